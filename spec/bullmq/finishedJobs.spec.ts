import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { FinishedJobs } from '../../src/bullmq/finishedJobs';
import { describeRedis } from '../support/redis';
import { Closer, waitFor } from './helpers';

describeRedis('the removal of finished jobs in bulk', (env) => {
  const closer = new Closer();
  let tests = 0;
  afterEach(() => closer.closeAll());

  /** A queue of its own with a worker (one job at a time) that completes, fails or holds jobs by name. */
  function setUp() {
    const prefix = `${env.prefix}-${++tests}`;
    const redis = new Redis(env.url);
    closer.onClose(() => redis.disconnect());
    const queue = closer.add(new Queue('q', { connection: redis, prefix }));
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const worker = new Worker(
      'q',
      async (job: Job) => {
        if (job.name === 'fail') throw new Error('boom');
        if (job.name === 'hold') await held;
        return { v: 1, ok: true, worker: 'spec' };
      },
      { connection: { url: env.url }, prefix, concurrency: 1 },
    );
    closer.onClose(async () => {
      release();
      await worker.close();
    });
    const keys = { completed: queue.keys.completed, failed: queue.keys.failed, jobPrefix: queue.toKey('') };
    return { redis, queue, keys, release };
  }

  it('should remove the completed and failed jobs of one tick in one call, and leave waiting and running jobs alone', async () => {
    const { redis, queue, keys } = setUp();
    await queue.addBulk([
      { name: 'ok', data: {}, opts: { jobId: 'r|a|1' } },
      { name: 'ok', data: {}, opts: { jobId: 'r|b|1' } },
      { name: 'fail', data: {}, opts: { jobId: 'r|c|1' } },
    ]);
    await waitFor(async () => (await queue.getCompletedCount()) === 2 && (await queue.getFailedCount()) === 1, 'three finished jobs');
    await queue.add('hold', {}, { jobId: 'r|running|1' });
    await waitFor(async () => (await queue.getActiveCount()) === 1, 'a running job');
    await queue.add('ok', {}, { jobId: 'r|waiting|1' });

    const sent: Promise<unknown>[] = [];
    const finished = new FinishedJobs(redis, keys, (sending) => sent.push(sending));
    for (const jobId of ['r|a|1', 'r|b|1', 'r|c|1', 'r|running|1', 'r|waiting|1']) finished.remove(jobId);
    expect(sent).toHaveLength(1);
    await Promise.all(sent);

    const exists = async (jobId: string) => (await redis.exists(`${keys.jobPrefix}${jobId}`)) === 1;
    expect(await Promise.all(['r|a|1', 'r|b|1', 'r|c|1', 'r|running|1', 'r|waiting|1'].map(exists))).toEqual([false, false, false, true, true]);
    expect([await queue.getCompletedCount(), await queue.getFailedCount(), await queue.getActiveCount(), await queue.getWaitingCount()]).toEqual([0, 0, 1, 1]);
    const events = await redis.xrange(queue.keys.events, '-', '+');
    expect(events.filter(([, fields]) => fields[1] === 'removed')).toEqual([]);
  });

  it('should send the removals of a later tick in a call of their own', async () => {
    const { redis, queue, keys } = setUp();
    await queue.addBulk([
      { name: 'ok', data: {}, opts: { jobId: 'r|a|1' } },
      { name: 'ok', data: {}, opts: { jobId: 'r|b|1' } },
    ]);
    await waitFor(async () => (await queue.getCompletedCount()) === 2, 'two finished jobs');
    const sent: Promise<unknown>[] = [];
    const finished = new FinishedJobs(redis, keys, (sending) => sent.push(sending));
    finished.remove('r|a|1');
    await Promise.all(sent);
    finished.remove('r|b|1');
    expect(sent).toHaveLength(2);
    await Promise.all(sent);
    expect(await queue.getCompletedCount()).toBe(0);
  });

  it('should resolve, not reject, what it hands over when Redis cannot be reached', async () => {
    const { keys } = setUp();
    const gone = new Redis(env.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    gone.on('error', () => undefined);
    gone.disconnect();
    const sent: Promise<unknown>[] = [];
    new FinishedJobs(gone, keys, (sending) => sent.push(sending)).remove('r|a|1');
    await expect(Promise.all(sent)).resolves.toBeDefined();
  });
});
