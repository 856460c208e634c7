import { Redis } from 'ioredis';
import { startWorker } from '../../../src/bullmq/index';
import { redisTarget } from '../../../src/bullmq/redisConnection';
import { connectedWorkers, watchWorkers, workersChangedLine } from '../../../src/cli/remote/workerPresence';
import { Closer, waitFor } from '../../bullmq/helpers';
import { describeRedis } from '../../support/redis';

jest.setTimeout(45_000); // (a loaded machine: a closed worker's connections may take seconds to be gone from Redis's list)

/**
 * The hint of `rxdag run --redis` that no worker is connected counts only the workers of the
 * run's own database: Redis lists the clients of every database, and a worker of database 0
 * takes no job a run adds to database 3.
 */
describeRedis("the workers connected to a run's queues", (env) => {
  const closer = new Closer();
  afterEach(() => closer.closeAll());

  const onDatabase = (db: number) => {
    const url = new URL(env.url);
    url.pathname = `/${db}`;
    return url.href;
  };

  /** A worker of the `echo` queue on `connection`, closed after the test. */
  const echoWorker = (connection: string, name?: string) =>
    closer.add(
      startWorker({
        connection,
        prefix: env.prefix,
        agents: { echo: () => 1 },
        concurrency: 1,
        leaseMs: 1000,
        ...(name === undefined ? {} : { name }),
        onLog: () => undefined,
      }),
    );

  it('should count a worker whose name Redis would not take as a connection name (spaces, non-ASCII)', async () => {
    await echoWorker(env.url, 'wörker 🚀 1').ready();
    const workers = await connectedWorkers(redisTarget(env.url, 'spec'), env.prefix, ['echo']);
    expect(workers?.get('echo')).toHaveLength(1);
  });

  it('should refuse a prefix Redis would not take in a connection name, before connecting', () => {
    expect(() =>
      closer.add(startWorker({ connection: env.url, prefix: 'rxdag-ü', agents: { echo: () => 1 }, concurrency: 1, leaseMs: 1000 })),
    ).toThrow('startWorker: `prefix` must be printable ASCII without whitespace (Redis names its connections after it)');
  });

  it('should count the workers of the same database only', async () => {
    await echoWorker(onDatabase(0)).ready();
    const counted = async (db: number) => {
      const workers = await connectedWorkers(redisTarget(onDatabase(db), 'spec'), env.prefix, ['echo', 'other']);
      return new Map([...workers!].map(([queue, names]) => [queue, names.length]));
    };
    expect(await counted(0)).toEqual(
      new Map([
        ['echo', 1],
        ['other', 0],
      ]),
    );
    // BullMQ's queue notes its meta in the database it opens on: removed from database 3 too
    const third = new Redis(onDatabase(3));
    try {
      expect(await counted(3)).toEqual(
        new Map([
          ['echo', 0],
          ['other', 0],
        ]),
      );
    } finally {
      const keys = await third.keys(`${env.prefix}*`);
      if (keys.length > 0) await third.del(...keys);
      third.disconnect();
    }
  });

  it('should say, as a run goes on, when workers leave a queue and when a queue that had none gets one', async () => {
    const target = redisTarget(env.url, 'spec');
    const start = () => echoWorker(env.url);
    const first = start();
    const second = start();
    await Promise.all([first.ready(), second.ready()]);
    const initial = await connectedWorkers(target, env.prefix, ['echo', 'other']);
    expect(initial!.get('echo')).toHaveLength(2);
    expect(initial!.get('other')).toEqual([]);
    const lines: string[] = [];
    const stop = watchWorkers(target, env.prefix, initial!, (line) => lines.push(line), 100);
    try {
      await first.close();
      await waitFor(() => lines.length === 1, 'the line of a worker that left', 10_000);
      await second.close();
      await waitFor(() => lines.length === 2, 'the line of the last worker that left', 10_000);
      await start().ready();
      await waitFor(() => lines.length === 3, 'the line of a worker back', 10_000);
      expect(lines).toEqual([
        'rxdag: a worker left queue echo (1 connected now): an attempt it still held goes to another (at once if handed back, else once its lease lapses)',
        'rxdag: no worker is connected to queue echo any more: its attempts wait in Redis until one starts (those a worker was running once their lease lapses)',
        'rxdag: a worker is connected to queue echo now',
      ]);
    } finally {
      stop();
    }
  });

  it('should say nothing of more workers on a queue that had some, nor of a worker that reconnected', () => {
    expect(workersChangedLine('shell', ['a'], ['a', 'b', 'c'])).toBeUndefined();
    expect(workersChangedLine('shell', [], [])).toBeUndefined();
    expect(workersChangedLine('shell', ['a', 'b'], ['b', 'a'])).toBeUndefined();
    expect(workersChangedLine('shell', ['a', 'b', 'c'], ['b'])).toBe(
      'rxdag: 2 workers left queue shell (1 connected now): an attempt they still held goes to another (at once if handed back, else once its lease lapses)',
    );
    expect(workersChangedLine('sleep', [], ['a', 'b'])).toBe('rxdag: 2 workers are connected to queue sleep now');
  });

  it('should say a worker left when another came between two looks (a rolling restart), also of one name shared', () => {
    expect(workersChangedLine('shell', ['a', 'b'], ['b', 'c'])).toBe(
      'rxdag: a worker left queue shell (2 connected now): an attempt it still held goes to another (at once if handed back, else once its lease lapses)',
    );
    expect(workersChangedLine('shell', ['host:1', 'host:1'], ['host:1'])).toBe(
      'rxdag: a worker left queue shell (1 connected now): an attempt it still held goes to another (at once if handed back, else once its lease lapses)',
    );
  });
});
