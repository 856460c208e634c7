import { runDag } from '../../src/index';
import { RedisConnectionError, remoteAgent, startWorker } from '../../src/bullmq/index';
import { describeRedis } from '../support/redis';
import { byTask, Closer, collect, ending, sleep, waitFor } from './helpers';

jest.setTimeout(30_000);

/**
 * A connection URL naming a database the server does not have: ioredis only emits an `error`
 * for the failed SELECT and goes on with database 0, so both sides must refuse it themselves.
 */
describeRedis('a Redis database the server does not have', (env) => {
  const closer = new Closer();
  afterEach(() => closer.closeAll());

  const missingDb = () => {
    const url = new URL(env.url);
    url.pathname = '/999999';
    return url.href;
  };

  it("should fail the attempt with the server's answer and add no job to database 0", async () => {
    const echo = closer.add(remoteAgent({ connection: missingDb(), prefix: env.prefix, queue: 'echo', leaseMs: 1000 }));
    const events = await collect(runDag({ id: 'db', tasks: [{ id: 'a', agent: 'echo', input: 1 }] }, { agents: { echo } }));
    expect(ending(events).outcome).toBe('failed');
    const failed = byTask(events, 'task.failed').get('a')!;
    expect(failed.error.name).toBe('RedisConnectionError');
    expect(failed.error.message).toMatch(/^Redis at redis:\/\/\S+\/999999: cannot reach queue "echo": ERR DB index is out of range/);
    expect(await env.keys()).toEqual([]);
  });

  it("should reject a worker's ready() with a RedisConnectionError naming the database", async () => {
    const worker = closer.add(
      startWorker({
        connection: missingDb(),
        prefix: env.prefix,
        agents: { echo: () => 1 },
        concurrency: 1,
        leaseMs: 1000,
        onLog: () => undefined,
      }),
    );
    const ready = worker.ready();
    await expect(ready).rejects.toBeInstanceOf(RedisConnectionError);
    await expect(ready).rejects.toThrow(/^Redis at redis:\/\/\S+\/999999: cannot select database 999999: ERR DB index is out of range$/);
  });

  it('should take no job from database 0 on a worker whose database is missing, and say so', async () => {
    const echo = closer.add(remoteAgent({ connection: env.url, prefix: env.prefix, queue: 'echo', leaseMs: 1000 }));
    const run = runDag({ id: 'db', tasks: [{ id: 'a', agent: 'echo', input: 1 }] }, { agents: { echo } }).subscribe();
    closer.onClose(() => run.unsubscribe());
    await waitFor(async () => (await env.keys()).some((key) => key.endsWith(':echo:wait')), 'the job to wait on database 0');
    let calls = 0;
    const logs: string[] = [];
    const worker = closer.add(
      startWorker({
        connection: missingDb(),
        prefix: env.prefix,
        agents: { echo: () => ++calls },
        concurrency: 1,
        leaseMs: 1000,
        onLog: (line) => logs.push(line),
      }),
    );
    await expect(worker.ready()).rejects.toBeInstanceOf(RedisConnectionError);
    await sleep(1000);
    expect(calls).toBe(0);
    expect(logs).toContainEqual(
      expect.stringMatching(/cannot select database 999999: ERR DB index is out of range; this worker takes no jobs$/),
    );
  });
});
