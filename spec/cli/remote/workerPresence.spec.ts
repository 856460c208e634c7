import { Redis } from 'ioredis';
import { startWorker } from '../../../src/bullmq/index';
import { redisTarget } from '../../../src/bullmq/redisConnection';
import { connectedWorkers } from '../../../src/cli/remote/workerPresence';
import { Closer } from '../../bullmq/helpers';
import { describeRedis } from '../../support/redis';

jest.setTimeout(30_000);

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

  it('should count the workers of the same database only', async () => {
    const worker = closer.add(
      startWorker({
        connection: onDatabase(0),
        prefix: env.prefix,
        agents: { echo: () => 1 },
        concurrency: 1,
        leaseMs: 1000,
        onLog: () => undefined,
      }),
    );
    await worker.ready();
    const counted = (db: number) => connectedWorkers(redisTarget(onDatabase(db), 'spec'), env.prefix, ['echo', 'other']);
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
});
