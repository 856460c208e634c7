import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { JobCancels } from '../../src/bullmq/jobCancels';
import { cancelKeyTtlMs, publishCancel } from '../../src/bullmq/cancelSignals';
import { jobDataFor } from '../../src/bullmq/jobFormat';
import { type Agent, runDag, type TaskContext } from '../../src/index';
import { remoteAgent, startWorker } from '../../src/bullmq/index';
import { describeRedis, prefixPerTest } from '../support/redis';
import { Closer, collect, ending, sleep, waitFor } from './helpers';

/**
 * A cancel stops one add of a job id: a run cancelled with its remote attempts running leaves a
 * cancel key for each (and a cancelled job whose agent takes a while to stop), and the next run of
 * the same id (a fixed `runId`, `repeat()`, or a resume whose journal missed the cancel) adds jobs
 * of the same ids, which must run to their own end.
 */
jest.setTimeout(30_000);

const LEASE_MS = 600;

describeRedis('a run id used again after a cancelled run', (env) => {
  const closer = new Closer();
  let prefix = '';
  prefixPerTest(env, (fresh) => (prefix = fresh));
  afterEach(() => closer.closeAll());

  /** One call of {@link stoppable}: when it began, was aborted and returned. */
  interface Call {
    readonly at: number;
    abortedAt?: number;
    returnedAt?: number;
  }

  /** An agent that ends after `doneAfterMs`, or `stopsAfterMs` after its abort (an agent slow to stop), noting its calls. */
  const stoppable =
    (calls: Call[], doneAfterMs: number, stopsAfterMs = 0): Agent =>
    ({ signal }) =>
      new Promise((resolve, reject) => {
        const call: Call = { at: Date.now() };
        calls.push(call);
        const timer = setTimeout(() => ((call.returnedAt = Date.now()), resolve('done')), doneAfterMs);
        signal.addEventListener('abort', () => {
          call.abortedAt = Date.now();
          clearTimeout(timer);
          setTimeout(() => ((call.returnedAt = Date.now()), reject(signal.reason)), stopsAfterMs);
        });
      });

  /** A worker of `job` and the remote agents of its queue. */
  const serve = (job: Agent, leaseMs = LEASE_MS) => {
    closer.add(startWorker({ connection: env.url, prefix, agents: { job }, concurrency: 2, leaseMs, onLog: () => undefined }));
    return { job: closer.add(remoteAgent({ connection: env.url, prefix, queue: 'job', leaseMs })) };
  };

  const dag = { id: 'again', tasks: [{ id: 'a', agent: 'job' }] };

  /** Run `fixed` cancelled once its attempt started on the worker, and the cancel heard there. */
  async function cancelledRun(agents: ReturnType<typeof serve>, calls: readonly Call[]): Promise<void> {
    const first = runDag(dag, { agents, runId: 'fixed' }).subscribe();
    await waitFor(() => calls.length === 1, 'the first attempt to start');
    first.unsubscribe();
    await waitFor(() => calls[0]!.abortedAt !== undefined, 'the cancel to reach the worker');
  }

  it("should run the next run's attempts to their end, not stop them with the earlier run's cancels", async () => {
    const calls: Call[] = [];
    const agents = serve(stoppable(calls, 4 * LEASE_MS));
    await cancelledRun(agents, calls);
    const redis = new Redis(env.url);
    closer.onClose(() => void redis.disconnect());
    await waitFor(async () => (await redis.exists(`${prefix}:job:fixed|a|1`)) === 0, 'the cancelled job to be removed');
    await sleep(50);
    const events = await collect(runDag(dag, { agents, runId: 'fixed' }));
    expect(calls.map((call) => call.abortedAt !== undefined)).toEqual([true, false]);
    expect(ending(events).outcome).toBe('succeeded');
  });

  it("should run the next run's attempt again, not take the outcome of the earlier run's cancelled job still running", async () => {
    const calls: Call[] = [];
    // slow to stop: the cancelled job is still running when the next run adds its own
    const agents = serve(stoppable(calls, 3 * LEASE_MS, LEASE_MS));
    await cancelledRun(agents, calls);
    const events = await collect(runDag(dag, { agents, runId: 'fixed' }));
    expect(ending(events).outcome).toBe('succeeded');
    expect(calls.map((call) => call.abortedAt !== undefined)).toEqual([true, false]);
  });

  it("should start the next run's attempt once the earlier one's agent returned, not a third of a lease later", async () => {
    const calls: Call[] = [];
    // half a second to stop: the next run's job comes while it still runs
    const agents = serve(stoppable(calls, 200, 500), 9000);
    await cancelledRun(agents, calls);
    const events = await collect(runDag(dag, { agents, runId: 'fixed' }));
    expect(ending(events).outcome).toBe('succeeded');
    expect(calls).toHaveLength(2);
    // after the earlier agent returned, and well within a third of the lease
    expect(calls[1]!.at).toBeGreaterThanOrEqual(calls[0]!.returnedAt!);
    expect(calls[1]!.at - calls[0]!.returnedAt!).toBeLessThan(1000);
  });

  /** What a run cancelled while its job of task `a` ran leaves: the job (of `input`), and the cancel naming it. */
  async function cancelledJob(
    input: string,
  ): Promise<{ readonly redis: Redis; readonly queue: Queue; readonly cancelKey: string; readonly issuedAt: number }> {
    const queue = new Queue('job', { connection: { host: new URL(env.url).hostname, port: Number(new URL(env.url).port) }, prefix });
    closer.add(queue);
    const context = { id: 'a', runId: 'fixed', dagId: 'again', input, upstream: {}, attempt: 1, idempotencyKey: 'fixed/a' };
    const earlier = jobDataFor(context as unknown as TaskContext, undefined, Date.now() - 60_000);
    await queue.add('a', earlier, { jobId: 'fixed|a|1' });
    const redis = new Redis(env.url);
    closer.onClose(() => void redis.disconnect());
    const cancelKey = `${prefix}:job:rxdag-cancel:fixed|a|1`;
    await redis.set(cancelKey, `1 ${earlier.issuedAt}`, 'PX', 60_000);
    return { redis, queue, cancelKey, issuedAt: earlier.issuedAt };
  }

  /**
   * The next run of `fixed`, its task `a` given input `two`, which finds the earlier job and waits
   * it out until `gone` removes it, then a worker: the run's events, the inputs the worker got, and
   * when the earlier job went.
   */
  async function nextRunOnceGone(gone: () => Promise<unknown>, leaseMs: number) {
    const agents = { job: closer.add(remoteAgent({ connection: env.url, prefix, queue: 'job', leaseMs })) };
    const next = collect(runDag({ id: 'again', tasks: [{ id: 'a', agent: 'job', input: 'two' }] }, { agents, runId: 'fixed' }));
    await sleep(300); // it found the earlier job, and waits it out
    await gone();
    const goneAt = Date.now();
    const inputs: unknown[] = [];
    const job: Agent = ({ input }) => (inputs.push(input), 'done');
    closer.add(startWorker({ connection: env.url, prefix, agents: { job }, concurrency: 2, leaseMs, onLog: () => undefined }));
    return { events: await next, inputs, goneAt };
  }

  it("should wait out the earlier run's cancelled job when the next run gives its task another input, not take it for another run's", async () => {
    const { redis } = await cancelledJob('one');
    // gone, as its worker removes a cancelled job
    const { events, inputs } = await nextRunOnceGone(() => redis.del(`${prefix}:job:fixed|a|1`), LEASE_MS);
    expect(ending(events).failures).toEqual([]);
    expect(inputs).toEqual(['two']);
  });

  it("should add the next run's job as soon as the earlier run's waiting job is removed, not a lease later", async () => {
    const { redis, queue } = await cancelledJob('one');
    const leaseMs = 20_000;
    // as the cancel removes a job still waiting
    const { events, inputs, goneAt } = await nextRunOnceGone(() => queue.remove('fixed|a|1'), leaseMs);
    expect(ending(events).failures).toEqual([]);
    expect(inputs).toEqual(['two']);
    expect(Date.now() - goneAt).toBeLessThan(leaseMs / 4);
    await waitFor(async () => (await redis.exists(`${prefix}:job:fixed|a|1`)) === 0, 'its own job to be removed once recorded');
  });

  it("should look at its job one look at a time: the earlier job's removal heard during a look does not add its own job twice", async () => {
    const { queue } = await cancelledJob('one');
    const inputs: unknown[] = [];
    const job: Agent = async ({ input }) => (inputs.push(input), await sleep(100), 'done');
    const check = JobCancels.prototype.stopsInRedis;
    let first = true;
    // the earlier run's cancel removes its waiting job while the next run's look reads its cancel key
    const spy = jest.spyOn(JobCancels.prototype, 'stopsInRedis').mockImplementation(async function (this: JobCancels, ...args) {
      const stops = await check.apply(this, args);
      if (first) {
        first = false;
        await queue.remove('fixed|a|1');
        await sleep(300); // its `removed` heard meanwhile
        closer.add(startWorker({ connection: env.url, prefix, agents: { job }, concurrency: 2, leaseMs: 2000, onLog: () => undefined }));
      }
      return stops;
    });
    closer.onClose(() => spy.mockRestore());
    const agents = { job: closer.add(remoteAgent({ connection: env.url, prefix, queue: 'job', leaseMs: 2000 })) };
    const events = await collect(runDag({ id: 'again', tasks: [{ id: 'a', agent: 'job', input: 'two' }] }, { agents, runId: 'fixed' }));
    expect(ending(events).failures).toEqual([]);
    expect(inputs).toEqual(['two']);
  });

  it('should not run a job whose cancel was sent before its worker listened, left waiting by a scheduler that stopped at once', async () => {
    const { queue } = await cancelledJob('one'); // its cancel key set, the job still waiting: the removal never came
    const calls: string[] = [];
    const job: Agent = ({ id }) => (calls.push(id), 'ran');
    closer.add(startWorker({ connection: env.url, prefix, agents: { job }, concurrency: 2, leaseMs: LEASE_MS, onLog: () => undefined }));
    // removed by the worker as cancelled, or ended there after running
    const ended = async () => {
      const job = await queue.getJob('fixed|a|1');
      return job === undefined || job.finishedOn !== undefined;
    };
    await waitFor(ended, 'the job to be removed or to end');
    expect(calls).toEqual([]);
  });

  it('should not run a waiting job whose cancel it heard, however long after the cancel it takes the job (while the key lives)', async () => {
    let release: () => void = () => undefined;
    const busy = new Promise<void>((resolve) => (release = resolve));
    const started: string[] = [];
    const job: Agent = async ({ id }) => (started.push(id), id === 'busy' ? await busy : undefined, 'ran');
    const worker = closer.add(
      startWorker({ connection: env.url, prefix, agents: { job }, concurrency: 1, leaseMs: LEASE_MS, onLog: () => undefined }),
    );
    await worker.ready();
    await sleep(2500); // listening for longer than a scheduler's clock may be ahead
    const queue = closer.add(
      new Queue('job', { connection: { host: new URL(env.url).hostname, port: Number(new URL(env.url).port) }, prefix }),
    );
    const add = async (id: string) => {
      const context = { id, runId: 'late', dagId: 'again', input: null, upstream: {}, attempt: 1, idempotencyKey: `late/${id}` };
      const data = jobDataFor(context as unknown as TaskContext, undefined, Date.now());
      await queue.add(id, data, { jobId: `late|${id}|1` });
      return data;
    };
    await add('busy');
    await waitFor(() => started.includes('busy'), 'the busy job to start');
    const victim = await add('victim'); // waits behind it
    const redis = new Redis(env.url);
    closer.onClose(() => void redis.disconnect());
    // cancelled while it waits, by a scheduler that stopped before removing it
    await publishCancel(redis, prefix, 'job', 'late|victim|1', cancelKeyTtlMs(LEASE_MS, 0), 'cancelled', victim.issuedAt);
    await sleep(3 * LEASE_MS);
    release();
    const ended = async () => {
      const left = await queue.getJob('late|victim|1');
      return left === undefined || left.finishedOn !== undefined;
    };
    await waitFor(ended, 'the cancelled job to be removed or to end');
    expect(started).toEqual(['busy']);
  });

  it('should not cancel the next run of the same id when a run is left in the step that started it', async () => {
    const agents = serve(stoppable([], 30));
    const outcomes: string[] = [];
    for (let round = 0; round < 6; round++) {
      const runId = `left-${round}`;
      runDag(dag, { agents, runId }).subscribe().unsubscribe(); // its attempt ends before its add goes out
      outcomes.push(ending(await collect(runDag(dag, { agents, runId }))).outcome);
    }
    expect(outcomes).toEqual(Array(6).fill('succeeded'));
  });

  it("should leave the cancel of an earlier run's job as it is when an attempt waiting that job out is cancelled", async () => {
    // what a scheduler that died as it cancelled leaves: its job still waiting, and the cancel naming it
    const { redis, cancelKey, issuedAt } = await cancelledJob('one');
    const agents = { job: closer.add(remoteAgent({ connection: env.url, prefix, queue: 'job', leaseMs: LEASE_MS })) };
    const next = runDag(dag, { agents, runId: 'fixed' }).subscribe();
    await sleep(300); // it found the earlier job, stopped, and waits it out
    next.unsubscribe();
    await sleep(300);
    expect(await redis.get(cancelKey)).toBe(`1 ${issuedAt}`);
    // timed out while it waits: its error says what it waited for, and the cancel stays the earlier job's
    const timedOut = await collect(runDag({ id: 'again', tasks: [{ id: 'a', agent: 'job', timeoutMs: 300 }] }, { agents, runId: 'fixed' }));
    expect(ending(timedOut).failures.map((failure) => failure.error.message)).toEqual([
      expect.stringContaining('its job waited for an earlier job of the same id'),
    ]);
    await sleep(200);
    expect(await redis.get(cancelKey)).toBe(`1 ${issuedAt}`);
  });

  it("should still stop any job of its id on a cancel that names no job (an earlier rxdag's scheduler)", async () => {
    const calls: Call[] = [];
    const agents = serve(stoppable(calls, 4 * LEASE_MS));
    const redis = new Redis(env.url);
    closer.onClose(() => void redis.disconnect());
    await redis.set(`${prefix}:job:rxdag-cancel:fixed|a|1`, '1', 'PX', 60_000);
    const events = await collect(runDag(dag, { agents, runId: 'fixed' }));
    // stopped as it starts (a worker just started reads the key of every job issued before it listened) or while it runs
    expect(calls.filter((call) => call.abortedAt === undefined)).toEqual([]);
    expect(ending(events).failures.map((failure) => failure.error.message)).toEqual([expect.stringMatching(/it was cancelled/)]);
  });
});
