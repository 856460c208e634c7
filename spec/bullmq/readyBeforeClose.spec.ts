import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { Queue } from 'bullmq';
import { RedisConnectionError, startWorker } from '../../src/bullmq/index';
import { describeRedis, prefixPerTest } from '../support/redis';
import { sleep, waitFor } from './helpers';

jest.setTimeout(20_000);

/**
 * A worker closed before its connections came up: its `ready()`, waiting or called later, rejects
 * with a `RedisConnectionError` that says so (with the last reason Redis was not reached, if
 * any), whatever the server did: answered nothing at all, or refused the connection. It never
 * resolves as if the worker had been up. No Redis is needed for those; one that was up (on a
 * real Redis) stays ready, even asked first after its close.
 */
describe('ready() of a worker closed before it was up', () => {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    server = undefined;
  });

  /** A port that accepts connections and never answers; or, with `refuse`, one nothing listens on. */
  async function port(refuse: boolean): Promise<number> {
    const listening = createServer((socket) => sockets.add(socket.on('error', () => undefined)));
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const { port: number } = listening.address() as AddressInfo;
    if (refuse) await new Promise<void>((resolve) => listening.close(() => resolve()));
    else server = listening;
    return number;
  }

  it.each([
    ['a server that never answers', false, /\(Redis did not answer before then\)$/],
    ['a port that refuses the connection', true, /\(last: .*ECONNREFUSED.*\)$/],
  ])('rejects at close on %s, and so does a later call', async (_what, refuse, reason) => {
    const at = await port(refuse);
    const worker = startWorker({
      connection: `redis://127.0.0.1:${at}`,
      agents: { work: () => 1 },
      concurrency: 1,
      leaseMs: 1000,
      onLog: () => undefined,
    });
    const ready = worker.ready().then(
      () => 'resolved',
      (error: unknown) => error,
    );
    // (the refused port's first error comes within the ready wait: give it a moment)
    await new Promise((resolve) => setTimeout(resolve, 300));
    await worker.close();
    for (const outcome of [await ready, await worker.ready().catch((error: unknown) => error)]) {
      expect(outcome).toBeInstanceOf(RedisConnectionError);
      expect((outcome as Error).message).toMatch(
        new RegExp(`^Redis at redis://127\\.0\\.0\\.1:${at}/0: cannot serve queue "work": the worker was closed before it was up `),
      );
      expect((outcome as Error).message).toMatch(reason);
    }
  });
});

describeRedis('ready() of a worker that was up, asked first after its close', (env) => {
  let prefix = '';
  prefixPerTest(env, (fresh) => (prefix = fresh));

  it('resolves', async () => {
    const worker = startWorker({
      connection: env.url,
      prefix,
      agents: { work: () => 1 },
      concurrency: 1,
      leaseMs: 1000,
      onLog: () => undefined,
    });
    // up without anyone asking: seen from Redis, which lists its connection once it waits for jobs
    const queue = new Queue('work', { connection: { url: env.url }, prefix });
    try {
      await waitFor(async () => (await queue.getWorkers()).length > 0, 'the worker to wait for jobs');
      await sleep(1500); // (its other connections come up about as soon: room for a loaded machine)
    } finally {
      await queue.close();
    }
    await worker.close();
    await expect(worker.ready()).resolves.toBeUndefined();
  });
});
