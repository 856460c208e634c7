import { Redis } from 'ioredis';
import type { Subscription } from 'rxjs';
import { type Agent, runDag } from '../../src/index';
import { remoteAgent, startWorker } from '../../src/bullmq/index';
import { describeOwnRedis } from '../support/redis';
import { Closer, waitFor } from './helpers';

/**
 * A worker whose running jobs vanish from Redis (Redis restarted without its data, or someone
 * removed them), on a throwaway `redis-server` emptied with `FLUSHALL` while the jobs run: the
 * worker says so once a job in its own words (not as a lost lease, not in BullMQ's), stops or
 * drops the attempt, and its close does not wait for Redis to record jobs that are not there.
 */
jest.setTimeout(15_000);

describeOwnRedis('a worker whose running jobs are no longer in Redis', (env) => {
  const closer = new Closer();
  afterEach(() => closer.closeAll());

  /**
   * Closes `worker` within a second, without saying Redis did not record its gone jobs, then the
   * rest while the test's Redis is up (the hooks stop it).
   */
  async function closesAtOnce(worker: { close(): Promise<void> }, lines: readonly string[]): Promise<void> {
    const started = Date.now();
    await worker.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(lines.filter((line) => line.includes('did not record'))).toEqual([]);
    await closer.closeAll();
  }

  /** Runs `agent` remotely on a worker with `leaseMs`, on two tasks; resolves once both run, with the worker's log. */
  async function twoRunning(agent: Agent, leaseMs: number, running: () => number) {
    const url = env.redis().url;
    const lines: string[] = [];
    const worker = closer.add(
      startWorker({ connection: url, agents: { hold: agent }, concurrency: 2, leaseMs, onLog: (line) => lines.push(line) }),
    );
    await worker.ready();
    // the agent closes first: its attempts fail at once, and no cancel waits for jobs that are gone
    let subscription: Subscription | undefined;
    closer.onClose(() => subscription?.unsubscribe());
    const hold = closer.add(remoteAgent({ connection: url, queue: 'hold', leaseMs: 60_000 }));
    const dag = {
      id: 'gone',
      tasks: [
        { id: 'a', agent: 'hold' },
        { id: 'b', agent: 'hold' },
      ],
    };
    subscription = runDag(dag, { agents: { hold }, healthCheckIntervalMs: 0 }).subscribe();
    await waitFor(() => running() === 2, 'both attempts to run on the worker');
    const client = new Redis(url, { maxRetriesPerRequest: 1 });
    await client.flushall();
    client.disconnect();
    return { worker, lines };
  }

  /** An agent whose attempts end, with an output, once `finish` is called; `running` counts those that started. */
  function heldUntilFinished(): { agent: Agent; finish: () => void; running: () => number } {
    let started = 0;
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const agent: Agent = async () => {
      started++;
      await finished;
      return 'done';
    };
    return { agent, finish, running: () => started };
  }

  const goneLines = (lines: readonly string[]) => lines.filter((line) => line.includes('is no longer in Redis'));

  it('should say once a job, in its own words, that a job whose lease it renews is gone, and stop its attempt', async () => {
    let running = 0;
    let aborted = 0;
    const agent: Agent = ({ signal }) =>
      new Promise((resolve) => {
        running++;
        signal.addEventListener('abort', () => resolve(`aborted ${++aborted}`));
      });
    const { worker, lines } = await twoRunning(agent, 300, () => running);
    await waitFor(() => goneLines(lines).length === 2 && aborted === 2, 'both jobs to be said gone and their attempts stopped');
    await new Promise((resolve) => setTimeout(resolve, 300)); // a renewal more: nothing more is said
    expect([...goneLines(lines)].sort()).toEqual([
      expect.stringMatching(
        /: queue "hold": job "[^"]+\|a\|1" is no longer in Redis \(its scheduler ended the attempt and removed it, .*\): what this worker did with it is dropped$/,
      ),
      expect.stringMatching(/: queue "hold": job "[^"]+\|b\|1" is no longer in Redis/),
    ]);
    expect(lines.filter((line) => /lost the lease|Missing key|Missing lock|Lock mismatch|could not renew/.test(line))).toEqual([]);
    await closesAtOnce(worker, lines);
  });

  it('should say once a job that a job that finished is gone, and close without waiting for Redis to record it', async () => {
    const { agent, finish, running } = heldUntilFinished();
    // no renewal before the attempts end: the finish is what finds the jobs gone
    const { worker, lines } = await twoRunning(agent, 30_000, running);
    finish();
    await waitFor(() => goneLines(lines).length === 2, 'both jobs to be said gone');
    await new Promise((resolve) => setTimeout(resolve, 200)); // BullMQ's second try to finish each: nothing more is said
    expect(goneLines(lines)).toHaveLength(2);
    expect(new Set(goneLines(lines)).size).toBe(2);
    expect(lines.filter((line) => /lost the lease|Missing key|Missing lock|Lock mismatch/.test(line))).toEqual([]);
    await closesAtOnce(worker, lines);
  });

  it('should say that jobs finishing while it closes are gone, and close without saying Redis did not record them', async () => {
    const { agent, finish, running } = heldUntilFinished();
    const { worker, lines } = await twoRunning(agent, 30_000, running);
    // a closing worker is paused, and BullMQ then reports no errors: the close itself asks Redis
    const started = Date.now();
    const closed = worker.close();
    finish();
    await closed;
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(goneLines(lines)).toHaveLength(2);
    expect(lines.filter((line) => line.includes('did not record'))).toEqual([]);
    await closer.closeAll(); // while the test's Redis is up (the hooks stop it)
  });
});
