import { Redis } from 'ioredis';
import type { Subscription } from 'rxjs';
import { runDag } from '../../src/index';
import { type RedisConnectionChange, remoteAgent } from '../../src/bullmq/index';
import { describeOwnRedis } from '../support/redis';
import { Closer, sleep, waitFor } from './helpers';

/**
 * A remote agent tells `onConnectionChange` when it loses Redis and when it is back: once an
 * outage, whatever the number of reconnect tries, on a throwaway `redis-server` killed and started
 * again while an attempt waits.
 */
jest.setTimeout(15_000);

describeOwnRedis("a remote agent's onConnectionChange", (env) => {
  const closer = new Closer();
  afterEach(() => closer.closeAll());

  it('should hear once that Redis is lost, with why, and once that it is back', async () => {
    const changes: RedisConnectionChange[] = [];
    let subscription: Subscription | undefined;
    closer.onClose(() => subscription?.unsubscribe());
    const echo = closer.add(
      remoteAgent({ connection: env.redis().url, queue: 'echo', leaseMs: 60_000, onConnectionChange: (change) => changes.push(change) }),
    );
    // no worker: the attempt waits in Redis
    subscription = runDag({ id: 'outage', tasks: [{ id: 'a', agent: 'echo' }] }, { agents: { echo } }).subscribe();
    const client = new Redis(env.redis().url, { maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    await waitFor(async () => (await client.keys('*|a|1')).length > 0, 'the job to be in Redis');
    client.disconnect();
    await env.redis().stop();
    await waitFor(() => changes.length === 1, 'the outage to be told');
    await sleep(300); // reconnect tries go on: none is told
    expect(changes).toEqual([
      {
        queue: 'echo',
        connected: false,
        error: expect.objectContaining({ name: 'RedisConnectionError', reason: expect.stringMatching(/ECONNREFUSED|ECONNRESET/) }),
      },
    ]);
    await env.restart();
    await waitFor(() => changes.length === 2, 'the return to be told');
    expect(changes[1]).toEqual({ queue: 'echo', connected: true });
    await closer.closeAll(); // while the test's Redis is up (the hooks stop it)
    expect(changes).toHaveLength(2);
  });

  it('should refuse a listener that is not a function', () => {
    expect(() => remoteAgent({ connection: 'redis://127.0.0.1:1', queue: 'q', onConnectionChange: 'log' as never })).toThrow(
      new TypeError('remoteAgent: `onConnectionChange` must be a function (got "log")'),
    );
  });
});
