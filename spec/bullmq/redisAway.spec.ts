import { addRidingOutages, type JobAdds, type Outage, saysRedisAway } from '../../src/bullmq/redisAway';
import { RedisConnectionError } from '../../src/bullmq/redisConnection';

/**
 * The tries of an add while Redis is away, in virtual time (jest's fake timers move `Date.now`
 * and `setTimeout` together): pauses of 100 ms doubling to 1 s, within one lease period.
 */
describe('addRidingOutages', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const location = 'redis://127.0.0.1:6379/0';
  const refused = (count: number) => new RedisConnectionError(location, `add ${count} job(s)`, 'connect ECONNREFUSED 127.0.0.1:6379');

  /** What `failure` makes of the reason's text it is given (an add failed in an outage past a lease period). */
  const failedFor = (error: unknown, count: number) =>
    error instanceof RedisConnectionError ? error : new RedisConnectionError(location, `add ${count} job(s)`, String(error));

  /**
   * A burst of `items` whose add throws each of `errors` in turn (each after `tryMs`), then
   * succeeds; its probe (a PING) succeeds when `redis.back`, after `tryMs`.
   */
  function burst(items: string[], errors: readonly (RedisConnectionError | undefined)[], tryMs = 0, redis = { back: false }) {
    const tries: { at: number; items: readonly string[] }[] = [];
    const probes: number[] = [];
    const adds: JobAdds<string> = {
      pending: () => [...items],
      add: async (pending) => {
        tries.push({ at: Date.now(), items: pending });
        if (tryMs > 0) await new Promise((resolve) => setTimeout(resolve, tryMs));
        const error = errors[tries.length - 1];
        if (error !== undefined) throw error;
      },
      failure: failedFor,
      probe: async () => {
        probes.push(Date.now());
        if (tryMs > 0) await new Promise((resolve) => setTimeout(resolve, tryMs));
        if (!redis.back) throw refused(0);
      },
    };
    return { adds, tries, probes };
  }

  async function settled<T>(promise: Promise<T>): Promise<T> {
    await jest.runAllTimersAsync();
    return promise;
  }

  it('should try again after 100, 200, 400, 800 and 1000 ms while Redis refuses, and add once it is back', async () => {
    const start = Date.now();
    const { adds, tries } = burst(['a', 'b'], [refused(2), refused(2), refused(2), refused(2), refused(2), refused(2)]);
    const result = await settled(addRidingOutages(30_000, { since: undefined }, adds));
    expect(tries.map((one) => one.at - start)).toEqual([0, 100, 300, 700, 1500, 2500, 3500]);
    expect(result).toEqual({ added: ['a', 'b'] });
  });

  it('should fail the burst once the next pause would pass the lease period, saying how often and how long it tried', async () => {
    const start = Date.now();
    const { adds, tries } = burst(
      ['a'],
      Array.from({ length: 20 }, () => refused(1)),
    );
    const result = await settled(addRidingOutages(2_000, { since: undefined }, adds));
    // tries at 0, 100, 300, 700 and 1500: the next pause (1 s) would end past 2 s
    expect(tries.map((one) => one.at - start)).toEqual([0, 100, 300, 700, 1500]);
    expect(result).toEqual({ failed: ['a'], error: expect.any(RedisConnectionError) });
    const { error } = result as { error: RedisConnectionError };
    expect(error.message).toBe(`Redis at ${location}: cannot add 1 job(s): connect ECONNREFUSED 127.0.0.1:6379 (tried 5 times in 1500 ms)`);
    expect(error.severity).toBe('error');
  });

  it('should count the time a try waited for an answer against the lease period, starting no try past it', async () => {
    const unanswered = new RedisConnectionError(location, 'add 1 job(s)', 'it did not answer within 1000 ms');
    const { adds, tries } = burst(['a'], [unanswered, unanswered, unanswered], 1000);
    const result = await settled(addRidingOutages(2_500, { since: undefined }, adds));
    // 0–1000 (fails), pause 100, 1100–2100 (fails), pause 200, 2300–3300 (fails): the next try would start past 2.5 s
    expect(tries.map((one) => one.at - tries[0]!.at)).toEqual([0, 1100, 2300]);
    expect((result as { error: RedisConnectionError }).error.message).toMatch(
      /did not answer within 1000 ms \(tried 3 times in 3300 ms\)$/,
    );
  });

  it('should count the lease period from when the outage began: past it a burst fails untried, and one probe at a time looks for Redis', async () => {
    const outage: Outage = { since: undefined };
    const first = burst(
      ['a'],
      Array.from({ length: 20 }, () => refused(1)),
    );
    await settled(addRidingOutages(2_000, outage, first.adds));
    expect(outage.since).toBeDefined();
    await jest.advanceTimersByTimeAsync(1_000); // the outage is 2.5 s old now
    // each try would wait 1 s for a connection: the bursts fail at once, untried, while one probe waits
    const redis = { back: false };
    const later = [burst(['b'], [refused(1)], 1_000, redis), burst(['c'], [refused(1)], 1_000, redis)];
    const started = Date.now();
    const results = await Promise.all(later.map((one) => addRidingOutages(2_000, outage, one.adds)));
    expect(Date.now()).toBe(started);
    expect(results.map((result) => (result as { failed: readonly string[] }).failed)).toEqual([['b'], ['c']]);
    expect((results[0] as { error: RedisConnectionError }).error.message).toBe(
      `Redis at ${location}: cannot add 1 job(s): connect ECONNREFUSED 127.0.0.1:6379 (Redis away for 3 s: no job is added until it answers again)`,
    );
    expect(later.map((one) => one.tries.length)).toEqual([0, 0]);
    expect(later.map((one) => one.probes.length)).toEqual([1, 0]);
    await jest.advanceTimersByTimeAsync(1_000); // the probe failed: Redis is still away
    expect(outage.since).toBeDefined();
    // Redis is back: the next burst fails untried too, and its probe ends the outage
    redis.back = true;
    const next = burst(['d'], [], 1_000, redis);
    expect(await settled(addRidingOutages(2_000, outage, next.adds))).toMatchObject({ failed: ['d'] });
    expect(next.probes).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(outage.since).toBeUndefined();
    const back = burst(['e'], []);
    expect(await settled(addRidingOutages(2_000, outage, back.adds))).toEqual({ added: ['e'] });
  });

  it('should fail at once, with the error unchanged, when Redis refuses the credentials or the command', async () => {
    for (const reason of ['this Redis refused the user name or password of the URL (WRONGPASS …)', 'OOM command not allowed']) {
      const error = new RedisConnectionError(location, 'add 1 job(s)', reason);
      const { adds, tries } = burst(['a'], [error]);
      expect(await settled(addRidingOutages(30_000, { since: undefined }, adds))).toEqual({ failed: ['a'], error });
      expect(tries).toHaveLength(1);
    }
  });

  it('should try again only the attempts still waiting, and stop when none is', async () => {
    const items = ['a', 'b', 'c'];
    const tries: string[][] = [];
    const adds: JobAdds<string> = {
      pending: () => [...items],
      add: async (pending) => {
        tries.push([...pending]);
        items.shift(); // an attempt ends (cancelled, timed out) while its add waits
        throw refused(pending.length);
      },
      failure: failedFor,
      probe: async () => undefined,
    };
    expect(await settled(addRidingOutages(30_000, { since: undefined }, adds))).toEqual({ added: [] });
    expect(tries).toEqual([['a', 'b', 'c'], ['b', 'c'], ['c']]);
  });

  it('should tell a Redis that is away from one that refuses', () => {
    const says = (reason: string) => saysRedisAway(new RedisConnectionError(location, 'add', reason));
    expect(says('connect ECONNREFUSED 127.0.0.1:6379')).toBe(true);
    expect(says('read ECONNRESET')).toBe(true);
    expect(says('read ECONNRESET (the server hung up: if it expects TLS, use rediss://)')).toBe(false);
    expect(says('it did not answer within 1000 ms (no TLS handshake in time: if the server does not speak TLS, use redis://)')).toBe(false);
    expect(says('Connection is closed.')).toBe(true);
    expect(says('connect ECONNREFUSED 127.0.0.1:6379 (no connection for 1000 ms)')).toBe(true);
    expect(says('LOADING Redis is loading the dataset in memory')).toBe(true);
    expect(says('this Redis needs a password (NOAUTH): give it in the URL, redis://:PASSWORD@HOST:PORT')).toBe(false);
    expect(says('getaddrinfo ENOTFOUND redis.example')).toBe(false);
    expect(says('ERR Error running script (call to f_…): @user_script:1: user_script:1: attempt to compare nil')).toBe(false);
  });
});
