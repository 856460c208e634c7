import { CancelWatch, cancelChannel, cancelKey, type WatchedJob } from '../../src/bullmq/cancelSignals';
import { Worker } from 'bullmq';
import { remoteAgent, startWorker } from '../../src/bullmq/index';
import { redisTarget } from '../../src/bullmq/redisConnection';
import { runDag } from '../../src/index';
import { describeRedis, prefixPerTest } from '../support/redis';
import { Closer, sleep, waitFor } from './helpers';

/**
 * A cancel stops a job left waiting for as long as the job may still be taken: its key lives as
 * long as BullMQ keeps a job of a scheduler that died (`retainMs`, a day), or its signature when
 * longer; and a worker that no longer remembers a cancel it heard reads the key of an older job
 * it takes, whatever lease its scheduler had.
 */
jest.setTimeout(30_000);

describeRedis('how long a cancel stops a job left waiting', (env) => {
  const closer = new Closer();
  let prefix = '';
  prefixPerTest(env, (fresh) => (prefix = fresh));
  afterEach(async () => {
    jest.restoreAllMocks();
    await closer.closeAll();
  });

  /**
   * The time to live, in ms, of the cancel key of an attempt (of a task with `timeoutMs`) whose run
   * was cancelled while a worker that hears no cancels (BullMQ's own) ran it, with `options` for
   * its agent; the key is deleted once the job ended.
   */
  async function cancelKeyTtlOfRunningJob(runId: string, timeoutMs: number, options: { retainMs?: number; key?: string }): Promise<number> {
    const connection = { host: new URL(env.url).hostname, port: Number(new URL(env.url).port) };
    const own = `${prefix}-${runId}`;
    let release: (() => void) | undefined;
    const worker = new Worker('slow', () => new Promise<void>((resolve) => (release = resolve)), { connection, prefix: own });
    worker.on('error', () => undefined);
    closer.onClose(() => worker.close());
    const slow = closer.add(remoteAgent({ connection: env.url, prefix: own, queue: 'slow', leaseMs: 1000, ...options }));
    const cancel = cancelKey(own, 'slow', `${runId}|t|1`);
    const run = runDag({ id: 'keep', tasks: [{ id: 't', agent: 'slow', timeoutMs }] }, { agents: { slow }, runId }).subscribe();
    await waitFor(() => release !== undefined, 'the job to run on the worker');
    run.unsubscribe(); // the run cancelled: its attempt's job is cancelled
    await waitFor(async () => (await env.client.exists(cancel)) === 1, 'the cancel key');
    const ttlMs = await env.client.pttl(cancel);
    release?.();
    await waitFor(async () => (await env.client.exists(cancel)) === 0, 'the cancel key to be deleted once its job ended');
    return ttlMs;
  }

  it("should keep a cancel key a day by default, a job's retainMs, and until a signed job expires when later", async () => {
    expect(await cancelKeyTtlOfRunningJob('day', 60_000, {})).toBeGreaterThan(86_400_000 - 60_000);
    // never less than workers remember a cancel they heard
    const short = await cancelKeyTtlOfRunningJob('short', 60_000, { retainMs: 5000 });
    expect(short).toBeGreaterThan(50_000);
    expect(short).toBeLessThanOrEqual(60_000);
    // a signed job may be taken until its signature's hour and its task's time limit are over
    const signed = await cancelKeyTtlOfRunningJob('signed', 7_200_000, { retainMs: 5000, key: 'k'.repeat(32) });
    expect(signed).toBeGreaterThan(10_800_000 - 60_000);
    expect(signed).toBeLessThanOrEqual(10_800_000);
  });

  it('should send the cancel of every signed job of a fan-out, though jobs issued in one millisecond expire between two', async () => {
    const connection = { host: new URL(env.url).hostname, port: Number(new URL(env.url).port) };
    const taken: string[] = [];
    const releases: Array<() => void> = [];
    const worker = new Worker(
      'slow',
      (job) => {
        taken.push(job.id!);
        return new Promise<void>((resolve) => releases.push(resolve));
      },
      { connection, prefix, concurrency: 12 },
    );
    worker.on('error', () => undefined);
    closer.onClose(async () => {
      for (const release of releases) release();
      await worker.close();
    });
    // a retainMs shorter than the signature's hour: the key lives until the job expires
    const slow = closer.add(
      remoteAgent({ connection: env.url, prefix, queue: 'slow', leaseMs: 1000, retainMs: 5000, key: 'k'.repeat(32) }),
    );
    const tasks = Array.from({ length: 12 }, (_, i) => ({ id: `t${i}`, agent: 'slow' }));
    const run = runDag({ id: 'fan', tasks }, { agents: { slow }, runId: 'fan', maxConcurrency: 12 }).subscribe({ error: () => undefined });
    await waitFor(() => taken.length === 12, 'every job to run on the worker');
    const expiries = await Promise.all(taken.map(async (id) => (await env.client.hget(`${prefix}:slow:${id}`, 'data')) ?? ''));
    expect(expiries.some((data) => !Number.isInteger((JSON.parse(data) as { expiresAt: number }).expiresAt))).toBe(true);
    run.unsubscribe(); // every attempt cancelled: a cancel key per job
    await waitFor(async () => {
      const keys = await Promise.all(taken.map((id) => env.client.exists(cancelKey(prefix, 'slow', id))));
      return keys.every((exists) => exists === 1);
    }, 'a cancel key for every job');
  });

  it('should have a worker that drops a job for its cancel remove it with its cancel key, its scheduler gone', async () => {
    const slow = remoteAgent({ connection: env.url, prefix, queue: 'slow', leaseMs: 1000 });
    const run = runDag({ id: 'gone', tasks: [{ id: 't', agent: 'slow' }] }, { agents: { slow }, runId: 'gone' }).subscribe({
      error: () => undefined,
    });
    closer.onClose(() => run.unsubscribe());
    const jobKey = `${prefix}:slow:gone|t|1`;
    await waitFor(async () => (await env.client.exists(jobKey)) === 1, 'the job to wait in Redis');
    // its scheduler cancelled it and died before removing it (a second Ctrl-C): the key, the job left
    const issuedAt = (JSON.parse((await env.client.hget(jobKey, 'data'))!) as { issuedAt: number }).issuedAt;
    const cancel = cancelKey(prefix, 'slow', 'gone|t|1');
    await env.client.set(cancel, `1 ${issuedAt}`, 'PX', 600_000);
    await slow.close(); // its jobs go on
    let calls = 0;
    closer.add(
      startWorker({
        connection: env.url,
        prefix,
        agents: { slow: () => void calls++ },
        concurrency: 1,
        leaseMs: 1000,
        onLog: () => undefined,
      }),
    );
    await waitFor(async () => (await env.client.exists(jobKey, cancel)) === 0, 'the job and its cancel key to be removed');
    expect(calls).toBe(0);
  });

  it('should have a worker read the key of a job issued before what it remembers, though it listened then', async () => {
    const realNow = Date.now.bind(Date);
    let ahead = 0; // how far this worker's clock is moved on
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + ahead);
    const watch = new CancelWatch(redisTarget(env.url, 'spec'), prefix, 300, () => [], {
      cancelled: () => undefined,
      failed: () => undefined,
      connected: () => undefined,
    });
    closer.onClose(() => void watch.close(100));
    await watch.ready();
    const issuedAt = Date.now() + 5000; // well after it listened
    const job: WatchedJob = { queue: 'shell', jobId: 'r|a|1', issuedAt };
    // a job issued while it listened, whose cancel it never heard: no key read, nothing stops it
    await env.client.set(cancelKey(prefix, 'shell', 'r|a|1'), `1 ${issuedAt}`, 'PX', 600_000);
    ahead = 6000;
    expect(await watch.cancelledAtStart(job, false)).toBeUndefined();
    // its cancel heard: stopped
    await env.client.publish(cancelChannel(prefix), 'shell\nr|a|1');
    await waitFor(async () => (await watch.cancelledAtStart(job, false)) === 'cancelled', 'the cancel to be heard');
    // the cancel forgotten (a minute on), its key alive: the job, older than what it remembers, is stopped
    ahead += 61_000;
    await sleep(300); // a poll (a third of its lease) forgets what is older
    expect(await watch.cancelledAtStart(job, false)).toBe('cancelled');
  });
});
