import { type DagEvent, type DagSpec, runDag } from '../../src/index';
import { remoteAgent } from '../../src/bullmq/index';
import { eventLogViolations } from '../cli/support/eventLogInvariants';
import { describeRedis } from '../support/redis';
import { byTask, ending, waitFor } from './helpers';
import { type WorkerProcess, workerProcessSuite } from './workerProcess';

/**
 * A job whose lease lapsed more often than `maxLeaseLosses` and that no worker takes again.
 * BullMQ's stalled check (run by any worker of the queue) puts such a job back to wait with its
 * failure deferred to the next worker that takes it; while every worker of the queue is busy none
 * does, and only the scheduler, which looks at its job every lease period, fails the attempt
 * (`WorkerLostError`, then retried by its policy): within a lease period or two of the loss, not
 * once a worker frees.
 */
jest.setTimeout(60_000);

const LEASE_MS = 1000;
/** How long the other worker is busy: far past the loss's detection (a few lease periods). */
const BUSY_MS = 10_000;

describeRedis('a job whose lease lapsed too often while no worker is free to take it', (env) => {
  let prefix = '';
  const { closer, start } = workerProcessSuite(env, LEASE_MS, (fresh) => (prefix = fresh));

  /** A worker process serving the built-in agents, one attempt at a time, no lease loss allowed; resolves once it serves. */
  async function startWorkerProcess(): Promise<WorkerProcess> {
    const worker = start({ RXDAG_FIXTURE_CONCURRENCY: '1', RXDAG_FIXTURE_MAX_LEASE_LOSSES: '0' });
    await waitFor(() => worker.id !== '', 'the worker process to be ready', 20_000);
    return worker;
  }

  /** A run's events as they come, each with when it came, and whether the run ended. */
  function watch(spec: DagSpec, agents: NonNullable<Parameters<typeof runDag>[1]>['agents']) {
    const seen: { event: DagEvent; at: number }[] = [];
    let ended = false;
    let failure: unknown;
    const done = new Promise<DagEvent[]>((resolve, reject) => {
      const subscription = runDag(spec, { agents }).subscribe({
        next: (event) => seen.push({ event, at: Date.now() }),
        error: (error: unknown) => ((failure = error), reject(error)),
        complete: () => ((ended = true), resolve(seen.map(({ event }) => event))),
      });
      closer.onClose(() => subscription.unsubscribe());
    });
    return { seen, done, ended: () => ended || failure !== undefined };
  }

  it('should fail the attempt with WorkerLostError within a lease period or two, before a worker frees, then retry it', async () => {
    const sleep = closer.add(remoteAgent({ connection: env.url, prefix, queue: 'sleep', leaseMs: LEASE_MS, maxLeaseLosses: 0 }));
    // the worker that stays: busy with a long job of another run for the whole test
    const busy = await startWorkerProcess();
    const hog = watch({ id: 'hog', tasks: [{ id: 'hog', agent: 'sleep', input: BUSY_MS }] }, { sleep });
    await waitFor(() => busy.started.length === 1, 'the busy worker to take its long job', 20_000);
    // the worker that dies: it takes the job (the only one free), and is killed running it
    const victim = await startWorkerProcess();
    const spec: DagSpec = { id: 'lost', tasks: [{ id: 'long', agent: 'sleep', input: 1500, retry: { attempts: 2, backoffMs: 0 } }] };
    const lost = watch(spec, { sleep });
    await waitFor(() => victim.started.length > 0, 'the victim to take the job', 20_000);
    victim.child.kill('SIGKILL');
    const killedAt = Date.now();
    await victim.exited;
    expect(victim.started).toEqual(['long 1']);

    // the stalled check (the busy worker's) finds the lapsed lease and puts the job back to wait,
    // where no worker takes it: the scheduler fails the attempt by itself
    const failedNow = () => lost.seen.find(({ event }) => event.type === 'task.failed');
    await waitFor(() => failedNow() !== undefined || hog.ended(), 'the attempt to fail', BUSY_MS + 5000);
    const failed = failedNow();
    const types = lost.seen.map(({ event }) => event.type);
    expect(failed === undefined ? `no task.failed before the busy worker freed (events: ${types.join(', ')})` : 'failed').toBe('failed');
    // lock lapsed (a lease), stalled check (half a lease, twice), the scheduler's look (a lease): not the busy worker's end
    expect(failed!.at - killedAt).toBeLessThan(3 * LEASE_MS + 4000); // well before the busy worker's 10 s
    expect([hog.ended(), busy.started]).toEqual([false, ['hog 1']]);

    // retried by its policy: the busy worker runs attempt 2 once its long job is done
    const [events, hogEvents] = await Promise.all([lost.done, hog.done]);
    expect(eventLogViolations(events)).toEqual([]);
    const failures = events.flatMap((event) => (event.type === 'task.failed' ? [event] : []));
    expect(failures.map((event) => [event.attempt, event.error.name, event.severity, event.willRetry])).toEqual([
      [1, 'WorkerLostError', 'error', true],
    ]);
    const completed = byTask(events, 'task.completed').get('long')!;
    expect([completed.attempt, completed.worker]).toEqual([2, busy.id]);
    expect(ending(events).outcome).toBe('succeeded');
    expect(ending(hogEvents).outcome).toBe('succeeded');
    expect(busy.started).toEqual(['hog 1', 'long 2']);
  });
});
