import { type Agent, runDag } from '../../src/index';
import { type LeaseLapse, remoteAgent, startWorker } from '../../src/bullmq/index';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { cancelKey } from '../../src/bullmq/cancelSignals';
import { lostJobOf } from '../../src/bullmq/lostJobs';
import { redisTarget } from '../../src/bullmq/redisConnection';
import { describeRedis, prefixPerTest } from '../support/redis';
import { Closer, collect, ending, waitFor } from './helpers';
import { PausableProxy } from './pausableProxy';

jest.setTimeout(30_000);

describe('lostJobOf', () => {
  it.each([
    ['could not renew lock for job r1|build.x|1', { jobId: 'r1|build.x|1', loss: 'renewal' }],
    ['Lock mismatch for job r1|a|2. Cmd moveToFinished from active', { jobId: 'r1|a|2', loss: 'lease' }],
    ['Missing lock for job 17. moveToFinished', { jobId: '17', loss: 'lease' }],
    ['Missing key for job r1|c0|1. moveToFinished', { jobId: 'r1|c0|1', loss: 'gone' }],
  ])('should find the job and the loss of %j', (message, lost) => expect(lostJobOf(message)).toEqual(lost));

  it('should find none in other errors', () => {
    expect(lostJobOf('connect ECONNREFUSED 127.0.0.1:6379')).toBeUndefined();
    expect(lostJobOf('Missing key for parent job p:q:1. moveToFinished')).toBeUndefined();
  });
});

describeRedis('a worker that loses the lease of a job', (env) => {
  const closer = new Closer();
  let prefix = '';
  prefixPerTest(env, (fresh) => (prefix = fresh));
  afterEach(() => closer.closeAll());

  it("should say so once per job in its own words, not in BullMQ's", async () => {
    // the agent holds the event loop past the lease, so no renewal can go out
    const blocks: Agent = () => {
      const until = Date.now() + 400;
      while (Date.now() < until);
      return 'done late';
    };
    const lines: string[] = [];
    const worker = closer.add(
      startWorker({ connection: env.url, prefix, agents: { blocks }, concurrency: 1, leaseMs: 100, onLog: (line) => lines.push(line) }),
    );
    await worker.ready();
    const agent = closer.add(remoteAgent({ connection: env.url, prefix, queue: 'blocks', leaseMs: 100 }));
    const events = await collect(
      runDag({ id: 'l', tasks: [{ id: 'a', agent: 'blocks' }] }, { agents: { blocks: agent }, healthCheckIntervalMs: 0 }),
    );
    expect(ending(events).outcome).toBe('failed');
    const lost = lines.filter((line) => line.includes('lost the lease of job'));
    expect(lost.length).toBeGreaterThan(0);
    expect(new Set(lost).size).toBe(lost.length);
    expect(lost[0]).toContain('not renewed within 100 ms');
    expect(lines.filter((line) => /could not renew lock|Lock mismatch|Missing lock/.test(line))).toEqual([]);
  });

  it('should stop the attempt of a worker cut off from Redis once its lease lapsed, as another worker takes the job', async () => {
    const LEASE = 1000;
    const runs: { worker: string; started: number; abortedAt?: number }[] = [];
    const waitsForSignal =
      (worker: string): Agent =>
      ({ signal }) =>
        new Promise((_resolve, reject) => {
          const run: { worker: string; started: number; abortedAt?: number } = { worker, started: Date.now() };
          runs.push(run);
          signal.addEventListener('abort', () => ((run.abortedAt = Date.now()), reject(signal.reason)));
        });
    const proxy = await PausableProxy.start(env.url);
    closer.onClose(() => proxy.close());
    const start = (worker: string, connection: string) =>
      closer.add(
        startWorker({
          connection,
          prefix,
          agents: { job: waitsForSignal(worker) },
          concurrency: 1,
          leaseMs: LEASE,
          onLog: () => undefined,
        }),
      );
    const cutOff = start('cut-off', proxy.url);
    await cutOff.ready();
    const lapses: LeaseLapse[] = [];
    const onLeaseLapsed = (lapse: LeaseLapse) => lapses.push(lapse);
    const agent = closer.add(remoteAgent({ connection: env.url, prefix, queue: 'job', leaseMs: LEASE, onLeaseLapsed }));
    let runId = '';
    const run = runDag({ id: 'cut', tasks: [{ id: 't', agent: 'job', timeoutMs: 20_000 }] }, { agents: { job: agent } }).subscribe(
      (event) => (runId = event.runId),
    );
    closer.onClose(() => run.unsubscribe());
    await waitFor(() => runs.length === 1, 'the cut-off worker to take the job');
    await start('connected', env.url).ready();
    const cutAt = Date.now();
    await proxy.refuse(); // its machine loses Redis; the rest of the fleet does not
    await waitFor(() => runs.length === 2, 'the connected worker to take the job again', 8000);
    // stopped a lease after its last renewal (at most half a lease before the cut), about as the other copy started
    await waitFor(() => runs[0]!.abortedAt !== undefined, 'the cut-off copy to be stopped', 3000);
    expect(runs[0]!.abortedAt! - cutAt).toBeLessThan(LEASE + LEASE / 3 + 500);
    expect(runs[1]!.worker).toBe('connected');
    // the scheduler heard that the attempt runs again elsewhere, which its events do not tell
    await waitFor(() => lapses.length > 0, 'the scheduler to hear of the lapse');
    expect(lapses).toEqual([{ queue: 'job', runId, taskId: 't', attempt: 1 }]);
    run.unsubscribe(); // its attempt on the connected worker is cancelled
    await waitFor(() => runs[1]!.abortedAt !== undefined, 'the other copy to be cancelled');
  });

  it('should not run again a job taken back after its lease lapsed whose cancel came meanwhile (no worker held it to hear it)', async () => {
    const agent = closer.add(remoteAgent({ connection: env.url, prefix, queue: 'nap', leaseMs: 1000 }));
    const run = runDag(
      { id: 'late', tasks: [{ id: 'a', agent: 'nap' }] },
      { agents: { nap: agent }, healthCheckIntervalMs: 0 },
    ).subscribe();
    closer.onClose(async () => run.unsubscribe());
    // a worker that takes the job and dies holding it: its lease lapses, nobody renews it
    let takenId: string | undefined;
    const dying = new Worker('nap', async (job) => ((takenId = job.id), new Promise(() => undefined)), {
      connection: redisTarget(env.url, 'spec').bullmqOptions,
      prefix,
      lockDuration: 500,
      skipLockRenewal: true,
      skipStalledCheck: true,
    });
    await waitFor(() => takenId !== undefined, 'the job to be taken');
    await dying.close(true);
    // its cancel, as its scheduler sends it, while no worker holds the job
    const client = new Redis(env.url);
    closer.onClose(async () => void client.disconnect());
    await client.set(cancelKey(prefix, 'nap', takenId!), '1', 'PX', 60_000);
    let calls = 0;
    let taken = 0;
    const lines: string[] = [];
    closer.add(
      startWorker({
        connection: env.url,
        prefix,
        agents: { nap: () => (calls++, 'napped') },
        concurrency: 1,
        leaseMs: 1000,
        onLog: (line) => lines.push(line),
        onJobTaken: () => void taken++,
      }),
    );
    const queue = closer.add(new Queue('nap', { connection: env.client, prefix }));
    // the stalled check moves it back to wait; the worker takes it, reads its cancel, and ends it unrun
    // (its outcome read, its scheduler then removes it)
    await waitFor(() => taken > 0, 'the worker to take the job', 10_000);
    await waitFor(async () => {
      const job = await queue.getJob(takenId!);
      return job === undefined || job.finishedOn !== undefined;
    }, 'the job to end');
    expect(calls).toBe(0);
  });
});

describeRedis('a worker given a job again while it still runs it', (env) => {
  const closer = new Closer();
  let prefix = '';
  prefixPerTest(env, (fresh) => (prefix = fresh));
  afterEach(() => closer.closeAll());

  it('should stop the earlier copy, then run the job once it has stopped: counted, its lease renewed, waited for by close', async () => {
    const copies: { aborted: boolean; release: () => void }[] = [];
    let active = 0;
    let most = 0;
    const hold: Agent = (task) =>
      new Promise<string>((resolve) => {
        most = Math.max(most, ++active);
        const copy = { aborted: false, release: () => resolve('done') };
        task.signal.addEventListener('abort', () => {
          copy.aborted = true;
          setTimeout(() => resolve('stopped'), 800); // it heeds its signal, in a while (a shell task's kill grace)
        });
        copies.push(copy);
      }).finally(() => active--);
    let taken = 0;
    const onJobTaken = () => void taken++;
    const worker = closer.add(
      startWorker({ connection: env.url, prefix, agents: { hold }, concurrency: 2, leaseMs: 1000, onLog: () => undefined, onJobTaken }),
    );
    await worker.ready();
    const client = new Redis(env.url);
    closer.add({ close: () => client.quit() });
    const queue = closer.add(new Queue('hold', { connection: client, prefix }));
    const data = { v: 1, runId: 'r', dagId: 'd', id: 't', attempt: 1, idempotencyKey: 'r/t', upstream: {}, issuedAt: Date.now() };
    await queue.add('t', data, { jobId: 'r|t|1' });
    await waitFor(() => copies.length === 1, 'the first copy');
    // what a lapsed lease and a stalled check do (or a Redis that lost the job, and a re-add): the job waits again
    const token = await client.get(`${prefix}:hold:r|t|1:lock`);
    const job = (await queue.getJob('r|t|1'))!;
    await job.moveToWait(token!);
    await waitFor(() => copies.length === 2, 'the second copy', 5000);
    expect([copies[0]!.aborted, worker.running, most]).toEqual([true, 1, 1]); // never two at once
    expect(taken).toBe(2); // each copy that ran, once: not the takes of the second delayed while the first stopped
    await new Promise((resolve) => setTimeout(resolve, 1500)); // past a lease: its lock renewed all along
    expect([await client.exists(`${prefix}:hold:r|t|1:lock`), copies[1]!.aborted]).toEqual([1, false]);
    let closed = false;
    const closing = worker.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(closed).toBe(false); // waiting for the second copy
    copies[1]!.release();
    await closing;
    expect((await queue.getJob('r|t|1'))?.returnvalue).toMatchObject({ ok: true, output: 'done' });
  });
});
