import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createScheduler, type DagEvent, fileJournal, JournalWriteError, resumeRun, runDag } from '../../src/index';
import { remoteAgent, startWorker } from '../../src/bullmq/index';
import { describeRedis, prefixPerTest } from '../support/redis';
import { PausableProxy } from './pausableProxy';
import { byTask, Closer, collect, ending, failingJournal, sleep, waitFor } from './helpers';

/**
 * A finished job stays in Redis until the outcome read from it is recorded in the run's journal:
 * a run that stops before (its journal failed, the process died) leaves it for the resume, which
 * re-attaches to it and reads the outcome instead of running the attempt again.
 */
jest.setTimeout(30_000);

const LEASE_MS = 1000;

describeRedis('removing a finished job once its outcome is recorded', (env) => {
  const closer = new Closer();
  let prefix = '';
  prefixPerTest(env, (fresh) => (prefix = fresh));
  afterEach(() => closer.closeAll());

  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'rxdag-recorded-removal-'));
    closer.onClose(() => rmSync(dir, { recursive: true, force: true }));
  });

  const remote = () => closer.add(remoteAgent({ connection: env.url, prefix, queue: 'job', leaseMs: LEASE_MS }));
  const dag = {
    id: 'recorded',
    tasks: [
      { id: 'remote', agent: 'job' },
      { id: 'after', agent: 'local', deps: ['remote'] },
    ],
  };
  const local = () => 'local';

  /** Whether the queue holds the job of attempt 1 of `taskId` in `runId`. */
  async function jobThere(runId: string, taskId: string): Promise<boolean> {
    const redis = new Redis(env.url);
    try {
      return (await redis.exists(`${prefix}:job:${runId}|${taskId}|1`)) === 1;
    } finally {
      redis.disconnect();
    }
  }

  it('should keep the job whose outcome the journal failed to record, so the resume reads it instead of running the attempt again', async () => {
    const ran: string[] = [];
    let finishedOnWorker = false;
    closer.add(
      startWorker({
        connection: env.url,
        prefix,
        agents: { job: ({ id }) => (ran.push(id), (finishedOnWorker = true), `ran ${id}`) },
        concurrency: 1,
        leaseMs: LEASE_MS,
        onLog: () => undefined,
      }),
    );
    // every append after the job finished fails: the group holding its completion among them
    const journal = failingJournal(dir, () => finishedOnWorker);
    const crashed = collect(runDag(dag, { agents: { job: remote(), local }, journal, runId: 'crashed', healthCheckIntervalMs: 0 }));
    await expect(crashed).rejects.toBeInstanceOf(JournalWriteError);
    await sleep(200); // a removal, had one been sent, would have reached Redis by now
    expect(await jobThere('crashed', 'remote')).toBe(true);

    const resumed: DagEvent[] = await collect(
      resumeRun(fileJournal(dir), 'crashed', { agents: { job: remote(), local }, healthCheckIntervalMs: 0 }),
    );
    expect(ending(resumed).outcome).toBe('succeeded');
    expect(byTask(resumed, 'task.completed').get('remote')).toMatchObject({ attempt: 1, output: 'ran remote' });
    expect(ran).toEqual(['remote']); // read from the job, not run again
    await waitFor(async () => !(await jobThere('crashed', 'remote')), 'the job to be removed once the resume recorded its outcome');
  });

  it('should remove each finished job once its outcome is recorded, by the end of the run', async () => {
    closer.add(
      startWorker({
        connection: env.url,
        prefix,
        agents: { job: ({ id }) => `ran ${id}` },
        concurrency: 1,
        leaseMs: LEASE_MS,
        onLog: () => undefined,
      }),
    );
    const events = await collect(
      runDag(dag, { agents: { job: remote(), local }, journal: fileJournal(dir), runId: 'plain', healthCheckIntervalMs: 0 }),
    );
    expect(ending(events).outcome).toBe('succeeded');
    await waitFor(async () => !(await jobThere('plain', 'remote')), 'the job to be removed');
  });

  it("should have removed every finished job when a scheduler's shutdown resolves, the agent not closed by hand", async () => {
    closer.add(
      startWorker({
        connection: env.url,
        prefix,
        agents: { job: ({ id }) => `ran ${id}` },
        concurrency: 4,
        leaseMs: LEASE_MS,
        onLog: () => undefined,
      }),
    );
    // an agent left to the scheduler, through a proxy that stops passing bytes once shutdown()
    // resolves: a program that exits then sends nothing more
    const proxy = closer.add(await PausableProxy.start(env.url));
    const job = remoteAgent({ connection: proxy.url, prefix, queue: 'job', leaseMs: LEASE_MS });
    const scheduler = createScheduler({ agents: { job }, healthCheckIntervalMs: 0 });
    const tasks = Array.from({ length: 12 }, (_, i) => ({ id: `t${i}`, agent: 'job' }));
    const events = await collect(scheduler.submit({ id: 'shut', tasks }, { runId: 'shut' }));
    expect(ending(events).outcome).toBe('succeeded');
    await scheduler.shutdown();
    proxy.pause();
    closer.onClose(() => proxy.resume());
    const left = await Promise.all(tasks.map(({ id }) => jobThere('shut', id)));
    expect(tasks.filter((_, i) => left[i]).map(({ id }) => id)).toEqual([]);
  });
});
