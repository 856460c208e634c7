import { Redis } from 'ioredis';
import { from, type ObservableInput } from 'rxjs';
import { type AgentDefinition, type DagEvent, type DagSpec, runDag, type TaskContext } from '../../src/index';
import {
  type RedisConnectionChange,
  type RemoteAgent,
  type RemoteAgentClient,
  remoteAgent,
  startWorker,
  type WorkerOptions,
} from '../../src/bullmq/index';
import { describeOwnRedis, type OwnRedis, startRedisServer } from '../support/redis';
import { Closer, runNow, sleep, waitFor } from './helpers';
import { PausableProxy } from './pausableProxy';

/**
 * A Redis that stops answering or goes away, on a throwaway `redis-server` of each test's own
 * (frozen with SIGSTOP, or killed). The scheduler side: an attempt fails with a
 * `RedisConnectionError` that says the real cause, within about a lease period, and is retried by
 * the task's policy; an add rides out a Redis away for less than a lease period; closing the agent does not wait for such a Redis, and says which cancels
 * did not go out. The worker side: an outage is logged once per source, `ready()` waits for
 * Redis, and a close neither hangs nor leaves a connection trying to reach Redis.
 *
 * The tests mostly wait (on time limits and reconnect delays of the libraries), so they run at
 * once, each with a `redis-server` of its own ({@link withOwnRedis}).
 */
jest.setTimeout(20_000);

/** The lease of these tests: the time limit of a command is then its minimum, 1 s. */
const LEASE_MS = 500;
/** The command time limit a lease of {@link LEASE_MS} gives. */
const COMMAND_TIMEOUT_MS = 1000;

/** What a test of {@link withOwnRedis} gets. */
interface OwnRedisTest {
  /** The test's server (the one started again, after {@link restart}). */
  redis(): OwnRedis;
  /** Starts a server again on the test's port (after `stop()`): Redis is back. */
  restart(): Promise<OwnRedis>;
  /** What the test opened, closed after it (once its servers are stopped). */
  closer: Closer;
}

/**
 * A test with a throwaway `redis-server` of its own, killed after it whatever happened, and then
 * what it opened closed. `describeOwnRedis` gives one to each test through hooks, which tests
 * that run at once (`it.concurrent`) do not get; its suite still says loudly when `redis-server`
 * is missing.
 */
function withOwnRedis(test: (own: OwnRedisTest) => Promise<void>): () => Promise<void> {
  return async () => {
    const closer = new Closer();
    const servers: OwnRedis[] = [await startRedisServer()];
    try {
      await test({
        redis: () => servers[servers.length - 1]!,
        restart: async () => {
          const again = await startRedisServer([], servers[0]!.port);
          servers.push(again);
          return again;
        },
        closer,
      });
    } finally {
      for (const server of servers) await server.stop();
      await closer.closeAll();
    }
  };
}

/** The name of the connections the tests look at Redis with (not the worker's, not BullMQ's). */
/** An agent that rests `ms`, or until its signal fires; `note` hears each step of each attempt. */
function napping(ms: number, note: (step: 'start' | 'done' | 'aborted', task: TaskContext) => void) {
  return (task: TaskContext) =>
    new Promise<string>((resolve) => {
      note('start', task);
      const timer = setTimeout(() => {
        note('done', task);
        resolve('rested');
      }, ms);
      task.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        note('aborted', task);
        resolve('stopped');
      });
    });
}

const CHECK_CONNECTION = 'rxdag-spec-check';

/** Resolves once Redis at `url` holds a job `jobId` of a queue (`<prefix>:<queue>:<jobId>`). */
async function jobAdded(url: string, jobId: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, connectionName: CHECK_CONNECTION });
  client.on('error', () => undefined);
  try {
    await waitFor(async () => (await client.keys(`*:${jobId}`)).length > 0, `job "${jobId}" to be in Redis`);
  } finally {
    client.disconnect();
  }
}

describeOwnRedis('remote agents and workers when Redis stops answering or goes away', () => {
  /** A worker on `url` (one attempt at a time, a lease of 1 s, quiet unless `options.onLog`), closed after its test. */
  const workerOf = (closer: Closer, url: string, agents: WorkerOptions['agents'], options: Partial<WorkerOptions> = {}) =>
    closer.add(startWorker({ connection: url, agents, concurrency: 1, leaseMs: 1000, onLog: () => undefined, ...options }));
  /** The context a scheduler gives attempt 1 of task `id` of run `r1`, for calling a remote agent directly. */
  const contextOf = (id: string): TaskContext => ({
    id,
    runId: 'r1',
    dagId: 'd',
    input: null,
    upstream: {},
    attempt: 1,
    idempotencyKey: `r1/${id}`,
    signal: new AbortController().signal,
    spawn: () => undefined,
  });

  /** Runs `dag` on `agents`, its events collected; `ended` resolves at its end (it is unsubscribed after the test). */
  function collected(closer: Closer, dag: DagSpec, agents: Record<string, AgentDefinition>): { events: DagEvent[]; ended: Promise<void> } {
    const events: DagEvent[] = [];
    const ended = new Promise<void>((resolve) => {
      const subscription = runDag(dag, { agents }).subscribe({ next: (event) => void events.push(event), complete: resolve });
      closer.onClose(() => subscription.unsubscribe());
    });
    return { events, ended };
  }

  // the tests run at once (five at a time), the longest first
  const echoDag = { id: 'outage', tasks: [{ id: 'a', agent: 'echo', input: 1, retry: { attempts: 2, backoffMs: 0 } }] };

  /** Runs `echoDag` with no worker; `onStarted` runs once its first attempt's job is in Redis. */
  function runWithoutWorker({ redis, closer }: OwnRedisTest, onStarted: () => void): { events: DagEvent[]; ended: Promise<number> } {
    const echo = closer.add(remoteAgent({ connection: redis().url, queue: 'echo', leaseMs: LEASE_MS }));
    const events: DagEvent[] = [];
    const ended = new Promise<number>((resolve, reject) => {
      const subscription = runDag(echoDag, { agents: { echo } }).subscribe({
        next: (event) => {
          events.push(event);
          if (event.type === 'task.started' && event.attempt === 1) jobAdded(redis().url, `${event.runId}|a|1`).then(onStarted, reject);
          if (event.type === 'dag.completed') resolve(Date.now());
        },
      });
      closer.onClose(() => subscription.unsubscribe());
    });
    return { events, ended };
  }

  const failures = (events: readonly DagEvent[]) =>
    events.flatMap((event) =>
      event.type === 'task.failed' ? [{ attempt: event.attempt, name: event.error.name, message: event.error.message }] : [],
    );

  // every connect of an ioredis client, by client (its first connection, then each reconnect
  // try): the workers', BullMQ's, the remote agents'; a test tells its own by their port
  const connects = new Map<Redis, number>();
  let connectSpy: jest.SpyInstance | undefined;
  beforeAll(() => {
    const connect = Redis.prototype.connect;
    connectSpy = jest.spyOn(Redis.prototype, 'connect').mockImplementation(function (this: Redis, callback) {
      connects.set(this, (connects.get(this) ?? 0) + 1);
      return connect.call(this, callback);
    });
  });
  afterAll(() => connectSpy?.mockRestore());
  /** The clients made for the server on `port`, with how often each has tried to connect so far. */
  const triesOf = (port: number) =>
    new Map([...connects].filter(([client]) => client.options.port === port && client.options.connectionName !== CHECK_CONNECTION));
  /** Waits until each client in `before` (see {@link triesOf}), or each client of `port` then, has tried to connect `times` more times. */
  const triedAgain = (before: ReadonlyMap<Redis, number> | number, times: number, what: string) =>
    waitFor(() => {
      const clients = typeof before === 'number' ? triesOf(before) : before;
      const since = typeof before === 'number' ? () => 0 : (client: Redis) => before.get(client)!;
      return clients.size > 0 && [...clients.keys()].every((client) => connects.get(client)! - since(client) >= times);
    }, what);

  it.concurrent(
    'should leave no connection trying to reach Redis once closed, also one BullMQ was bringing back after a blocking read it gave up',
    withOwnRedis(async ({ redis, closer }) => {
      const unhandled: string[] = [];
      const consoleError = console.error;
      // an unhandled error event of ioredis while this test runs (the other tests' too: none may have one)
      const consoleSpy = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
        if (String(args[0]).includes('[ioredis]')) unhandled.push(args.map(String).join(' '));
        else consoleError(...args);
      });
      // clients that start connecting once the worker is closing: none may, or the process never exits
      const tryingAfterClose = new Set<Redis>();
      closer.onClose(() => {
        consoleSpy.mockRestore();
        for (const client of tryingAfterClose) client.disconnect(); // what a failing test left trying
      });
      const worker = workerOf(closer, redis().url, { echo: () => 1 }, { concurrency: 2 });
      await worker.ready();
      await blockingReadSent(redis().url, worker.id);
      await redis().stop();
      const stoppedAt = Date.now();
      // BullMQ gives up a blocking read that Redis leaves unanswered for its block time (5 s) plus
      // 1 s, then waits for that connection to come back, and connects it again if it ends during
      // the wait. A close ends it there when it comes while the connection tries to connect
      // (between two tries, the connection just stops). So the close comes past 6 s of outage, as
      // the connection starts a try: BullMQ's tries are 1 s apart at first, then 7.1 s after the drop.
      const blocking = [...triesOf(redis().port).keys()].find((client) =>
        String(client.options.connectionName).endsWith(`:w:${worker.id}`),
      );
      expect(blocking).toBeDefined();
      await sleep(6500 - (Date.now() - stoppedAt));
      const closed = await new Promise<Promise<void>>((resolve) =>
        blocking!.once('connecting', () => {
          // every ioredis client of the worker made so far (the worker's, BullMQ's)
          for (const client of triesOf(redis().port).keys()) client.on('connecting', () => tryingAfterClose.add(client));
          resolve(worker.close());
        }),
      );
      await closed;
      await sleep(1000); // a connection BullMQ brings back tries at once
      expect([...tryingAfterClose].map((client) => client.options.connectionName)).toEqual([]);
      expect(unhandled).toEqual([]);
    }),
    30_000,
  );

  it.concurrent(
    'should log an outage once per queue and cancel connection, and once more when Redis is back',
    withOwnRedis(async ({ redis, restart, closer }) => {
      const logs: string[] = [];
      const worker = workerOf(closer, redis().url, { echo: ({ input }) => input, nap: () => 1 }, { onLog: (line) => logs.push(line) });
      await worker.ready();
      const connected = triesOf(redis().port);
      await redis().stop();
      // several reconnect tries of every connection: the third starts once the second was refused
      await triedAgain(connected, 3, 'every connection to try to reconnect three times');
      // a dropped connection says ECONNRESET, the next tries ECONNREFUSED: one line a source either way
      const gone = `(connect ECONNREFUSED 127\\.0\\.0\\.1:${redis().port}|read ECONNRESET)`;
      expect([...logs].sort()).toEqual([
        expect.stringMatching(
          new RegExp(`^rxdag worker ${worker.id}: Redis at redis://127\\.0\\.0\\.1:${redis().port}/0: cannot hear cancels: ${gone}$`),
        ),
        expect.stringMatching(new RegExp(`^rxdag worker ${worker.id}: queue "echo": ${gone}$`)),
        expect.stringMatching(new RegExp(`^rxdag worker ${worker.id}: queue "nap": ${gone}$`)),
      ]);
      await restart();
      await waitFor(() => logs.length >= 6, 'the worker to say Redis is back', 8000);
      expect(logs.slice(3).sort()).toEqual(
        [
          `rxdag worker ${worker.id}: cancels: connected to Redis again`,
          `rxdag worker ${worker.id}: queue "echo": connected to Redis again`,
          `rxdag worker ${worker.id}: queue "nap": connected to Redis again`,
        ].sort(),
      );
    }),
  );

  it.concurrent(
    'should log once that a frozen Redis does not answer, and once more when it answers again',
    withOwnRedis(async ({ redis, closer }) => {
      const logs: string[] = [];
      const worker = workerOf(closer, redis().url, { echo: () => 1 }, { onLog: (line) => logs.push(line) });
      await worker.ready();
      redis().freeze(); // the connections stay open: no connection error says anything
      const location = `redis://127.0.0.1:${redis().port}/0`;
      const unanswered = `rxdag worker ${worker.id}: Redis at ${location}: cannot hear cancels: it did not answer within ${COMMAND_TIMEOUT_MS} ms`;
      await waitFor(() => logs.includes(unanswered), 'the worker to say Redis does not answer', 5000);
      await sleep(2000); // several more polls Redis does not answer
      redis().thaw();
      const back = `rxdag worker ${worker.id}: cancels: connected to Redis again`;
      await waitFor(() => logs.includes(back), 'the worker to say Redis answers again', 5000);
      // (on a loaded machine the subscription of the worker's start may time out too: said apart, as "listen for cancels")
      expect(logs.filter((line) => line.includes('hear cancels') || line.includes('cancels: connected'))).toEqual([unanswered, back]);
    }),
  );

  it.concurrent(
    "should keep a worker's ready() waiting while Redis is gone, and resolve it once Redis is back",
    withOwnRedis(async ({ redis, restart, closer }) => {
      await redis().stop();
      const worker = workerOf(closer, redis().url, { echo: () => 1 });
      let ready: 'pending' | 'resolved' | 'rejected' = 'pending';
      worker.ready().then(
        () => (ready = 'resolved'),
        () => (ready = 'rejected'),
      );
      await triedAgain(redis().port, 3, 'several refused tries of every connection');
      expect(ready).toBe('pending');
      await restart();
      await waitFor(() => ready !== 'pending', 'ready() to settle once Redis is back', 5000);
      expect(ready).toBe('resolved');
    }),
  );

  it.concurrent(
    'should close a worker whose attempt finished while Redis was frozen, within a few seconds, saying what was not recorded',
    withOwnRedis(async ({ redis, closer }) => {
      const logs: string[] = [];
      let release = () => undefined as void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const worker = workerOf(closer, redis().url, { hold: () => released.then(() => 'done') }, { onLog: (line) => logs.push(line) });
      const hold = closer.add(remoteAgent({ connection: redis().url, queue: 'hold', leaseMs: 1000 }));
      const subscription = runDag({ id: 'hold', tasks: [{ id: 'a', agent: 'hold' }] }, { agents: { hold } }).subscribe();
      closer.onClose(() => subscription.unsubscribe());
      await waitFor(() => worker.running === 1, 'the attempt to start on the worker');
      redis().freeze();
      const closing = Date.now();
      const closed = worker.close();
      await sleep(300); // the close is under way
      release(); // the attempt ends; Redis cannot record it
      await closed;
      // the 300 ms before the release, its wait for Redis to record it (3 s), and slack for a loaded machine
      expect(Date.now() - closing).toBeLessThan(300 + 3000 + 1200);
      expect(logs).toContain(
        `rxdag worker ${worker.id}: Redis did not record what 1 attempt(s) did in time; their jobs go to another worker once their lease lapses`,
      );
    }),
  );

  it.concurrent(
    'should name the refused connection, not the retries of ioredis, when Redis is gone',
    withOwnRedis(async (own) => {
      const { events, ended } = runWithoutWorker(own, () => void own.redis().stop());
      await ended;
      const refused = `connect ECONNREFUSED 127.0.0.1:${own.redis().port}`;
      // refused on each reconnect try, or waited for past the command's time limit (on a busy
      // machine the first read may wait that long too); tried again within the lease when the
      // first try was quicker than it
      const orTimedOut = `( \\(no connection for ${COMMAND_TIMEOUT_MS} ms\\))?( \\(tried \\d+ times in \\d+ ms\\))?$`;
      expect(failures(events)).toEqual([
        {
          attempt: 1,
          name: 'RedisConnectionError',
          message: expect.stringMatching(new RegExp(`: cannot read job ".*\\|a\\|1": ${refused}${orTimedOut}`)),
        },
        {
          attempt: 2,
          name: 'RedisConnectionError',
          // tried, or (the outage older than a lease period by then) failed untried
          message: expect.stringMatching(
            new RegExp(
              `: cannot (reach|add 1 job\\(s\\) to) queue "echo": ${refused}( \\(no connection for ${COMMAND_TIMEOUT_MS} ms\\))?( \\(tried \\d+ times in \\d+ ms\\)| \\(Redis away for \\d+ s: no job is added until it answers again\\))?$`,
            ),
          ),
        },
      ]);
      expect(JSON.stringify(events)).not.toMatch(/maxRetriesPerRequest|max retries/);
    }),
  );

  it.concurrent(
    'should fail an attempt whose Redis froze, within about a lease period, saying Redis did not answer, and retry it',
    withOwnRedis(async (own) => {
      let frozenAt = 0;
      const { events, ended } = runWithoutWorker(own, () => {
        own.redis().freeze();
        frozenAt = Date.now();
      });
      const endedAt = await ended;
      const location = `redis://127.0.0.1:${own.redis().port}/0`;
      expect(failures(events)).toEqual([
        {
          attempt: 1,
          name: 'RedisConnectionError',
          message: expect.stringMatching(
            new RegExp(`^Redis at ${location}: cannot read job ".*\\|a\\|1": it did not answer within ${COMMAND_TIMEOUT_MS} ms$`),
          ),
        },
        {
          attempt: 2,
          name: 'RedisConnectionError',
          message: `Redis at ${location}: cannot add 1 job(s) to queue "echo": it did not answer within ${COMMAND_TIMEOUT_MS} ms`,
        },
      ]);
      expect(events.some((event) => event.type === 'task.retrying')).toBe(true);
      // the lease check at most a lease after the freeze, its command's time limit, the retry's add
      expect(endedAt - frozenAt).toBeLessThan(LEASE_MS + 2 * COMMAND_TIMEOUT_MS + 1500);
    }),
  );

  it.concurrent(
    'should add an attempt whose Redis was gone for less than a lease period once it is back, without using up a retry',
    withOwnRedis(async ({ redis, restart, closer }) => {
      const worker = workerOf(closer, redis().url, { echo: ({ input }) => input });
      await worker.ready();
      await redis().stop();
      const echo = closer.add(remoteAgent({ connection: redis().url, queue: 'echo', leaseMs: 4000 }));
      const { events, ended } = collected(closer, { id: 'back', tasks: [{ id: 'a', agent: 'echo', input: 7 }] }, { echo }); // no retry
      await sleep(1200); // several adds refused
      await restart();
      await ended;
      expect(failures(events)).toEqual([]);
      expect(events.filter((event) => event.type === 'task.started').map((event) => event.attempt)).toEqual([1]);
      expect(events.find((event) => event.type === 'task.completed')).toMatchObject({ taskId: 'a', output: 7, worker: worker.id });
      expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    }),
  );

  it.concurrent(
    'should fail an attempt whose job cannot be added for a lease period, saying how long it was tried',
    withOwnRedis(async ({ redis, closer }) => {
      await redis().stop();
      const leaseMs = 3000;
      const echo = closer.add(remoteAgent({ connection: redis().url, queue: 'echo', leaseMs }));
      const startedAt = Date.now();
      const { events, ended } = collected(closer, { id: 'gone', tasks: [{ id: 'a', agent: 'echo' }] }, { echo });
      await ended;
      const elapsed = Date.now() - startedAt;
      const refused = `connect ECONNREFUSED 127.0.0.1:${redis().port}`;
      // (on a loaded machine the scheduler's look at the job may give up first, saying how long it had no connection)
      expect(failures(events)).toEqual([
        {
          attempt: 1,
          name: 'RedisConnectionError',
          message: expect.stringMatching(
            new RegExp(
              `: (cannot (reach|add 1 job\\(s\\) to) queue "echo": ${refused}.* \\(tried \\d+ times in \\d+ ms\\)|cannot read job "[^"]+": ${refused} \\(no connection for \\d+ ms\\))$`,
            ),
          ),
        },
      ]);
      // tried until the next pause would pass the lease (the longest pause is 1 s), not failed at once
      expect(elapsed).toBeGreaterThanOrEqual(leaseMs - 1000);
      expect(elapsed).toBeLessThan(leaseMs + 3 * COMMAND_TIMEOUT_MS);
    }),
  );

  it.concurrent(
    'should cancel nothing in Redis for an attempt that timed out while its add waited for Redis, and close at once',
    withOwnRedis(async ({ redis, closer }) => {
      await redis().stop();
      const echo = remoteAgent({ connection: redis().url, queue: 'echo', leaseMs: 5000 });
      const { events, ended } = collected(closer, { id: 'waits', tasks: [{ id: 'a', agent: 'echo', timeoutMs: 300 }] }, { echo });
      await ended;
      const failed = events.find((event) => event.type === 'task.failed');
      expect(failed).toMatchObject({ error: { name: 'TaskTimeoutError' } });
      // its job never reached Redis: no worker to blame, nothing to cancel there
      expect(JSON.stringify(failed)).not.toMatch(/no worker took its job/);
      const closing = Date.now();
      await expect(echo.close()).resolves.toEqual({ cancelsNotSent: [] });
      // (not the 2 s a close gives its connections to a Redis that is away; room for a loaded machine)
      expect(Date.now() - closing).toBeLessThan(1800);
    }),
  );

  it.concurrent(
    'should cancel the job of an attempt its lease check failed while Redis was away, once Redis is back',
    withOwnRedis(async ({ redis, closer }) => {
      // the worker reaches Redis directly: only the scheduler side loses it
      const signalled: string[] = [];
      const worker = workerOf(
        closer,
        redis().url,
        {
          // (longer than a loaded machine takes to fail the attempt and send the cancel: the cancel ends it)
          nap: napping(20_000, (step, { signal }) => {
            if (step === 'aborted') signalled.push(String((signal.reason as Error | undefined)?.name));
          }),
        },
        { leaseMs: 5000 },
      );
      await worker.ready();
      const proxy = await PausableProxy.start(redis().url);
      closer.onClose(() => proxy.close());
      const nap = remoteAgent({ connection: proxy.url, queue: 'nap', leaseMs: LEASE_MS });
      const { events, ended } = collected(closer, { id: 'lost', tasks: [{ id: 'a', agent: 'nap' }] }, { nap });
      await waitFor(() => worker.running === 1, 'the job to run on the worker');
      await proxy.refuse(); // away before its first lease check
      await waitFor(() => events.some((event) => event.type === 'task.failed'), 'the lease check to fail the attempt', 8000);
      expect(failures(events)).toEqual([{ attempt: 1, name: 'RedisConnectionError', message: expect.stringMatching(/cannot read job/) }]);
      await proxy.admit(); // back: the cancel goes out, and the job does not run on for an attempt that failed
      await ended;
      await waitFor(() => signalled.length > 0, "the worker's attempt to be told to stop", 10_000);
      expect(signalled).toEqual(['TaskCancelledError']);
    }),
  );

  it.concurrent(
    'should cancel the job of an attempt whose add Redis left unanswered, once Redis answers and runs the add after all',
    withOwnRedis(async ({ redis, closer }) => {
      const seen: string[] = [];
      const worker = workerOf(
        closer,
        redis().url,
        {
          nap: napping(1500, (step, { id }) => seen.push(`${step} ${id}`)),
        },
        { concurrency: 2, leaseMs: 500 },
      );
      await worker.ready();
      const proxy = await PausableProxy.start(redis().url);
      closer.onClose(() => proxy.close());
      const nap = remoteAgent({ connection: proxy.url, queue: 'nap', leaseMs: 500 });
      const client = nap.create!();
      await runNow(nap, contextOf('warm'), client); // its connections are open
      proxy.pause(); // Redis stops answering: the add of `b` goes out and is held
      await expect(runNow(nap, contextOf('b'), client)).rejects.toThrow(/cannot add 1 job\(s\) to queue "nap": it did not answer/);
      await sleep(2000); // away on: the cancel's own commands go unanswered too, and are tried again
      proxy.resume(); // the add lands after all, and the cancel right after it
      // removed before a worker took it, or taken and told to stop: never run to its end (1.5 s)
      await sleep(2500);
      expect(seen.filter((line) => line.endsWith(' b'))).toEqual(
        expect.arrayContaining(seen.includes('start b') ? ['start b', 'aborted b'] : []),
      );
      expect(seen).not.toContain('done b');
      await expect(nap.close()).resolves.toEqual({ cancelsNotSent: [] });
    }),
  );

  /**
   * A test where the add of job `b` goes out to a frozen Redis, which holds it as it holds the
   * commands after it; `end` ends its attempt while Redis says nothing, and the agent closes then,
   * no one left to ask again. Once Redis is thawed, the add lands after all, and the cancel sent
   * behind it: the job is dropped before it starts, or told to stop, never run to its end (1.5 s).
   */
  const neverRunOnceThawed = (leaseMs: number, end: (nap: RemoteAgent, client: RemoteAgentClient) => Promise<void>) =>
    withOwnRedis(async ({ redis, closer }) => {
      const seen: string[] = [];
      const worker = workerOf(closer, redis().url, { nap: napping(1500, (step, { id }) => seen.push(`${step} ${id}`)) }, { leaseMs: 500 });
      await worker.ready();
      const nap = remoteAgent({ connection: redis().url, queue: 'nap', leaseMs });
      const client = await nap.create!();
      await runNow(nap, contextOf('warm'), client); // its connections are open
      redis().freeze();
      await end(nap, client);
      const { cancelsNotSent } = await nap.close();
      expect(cancelsNotSent.map(({ jobId }) => jobId)).toEqual([expect.stringMatching(/\|b\|1$/)]);
      redis().thaw();
      await sleep(2500);
      expect(seen).not.toContain('done b');
      expect(seen.filter((line) => line.endsWith(' b'))).toEqual(seen.includes('start b') ? ['start b', 'aborted b'] : []);
    });

  it.concurrent(
    'should send the cancel of an attempt whose add Redis left unanswered right behind it, so that the job does not run once Redis is back after the agent closed',
    neverRunOnceThawed(500, async (nap, client) => {
      await expect(runNow(nap, contextOf('b'), client)).rejects.toThrow(/cannot add 1 job\(s\) to queue "nap": it did not answer/);
    }),
  );

  it.concurrent(
    'should send at its close the cancel of an attempt cancelled while its add waited on a silent Redis, so that the job does not run once Redis is back',
    neverRunOnceThawed(5000, async (nap, client) => {
      // nothing has said Redis is away yet when the attempt is cancelled (Ctrl-C, a time limit):
      // its cancel asks Redis first whose job it is, and waits, past the close's grace
      const attempt = from(nap.run(contextOf('b'), client) as ObservableInput<unknown>).subscribe({ error: () => undefined });
      await sleep(200);
      attempt.unsubscribe();
    }),
  );

  it.concurrent(
    'should tell onConnectionChange once that Redis stopped answering, its connection kept, and once that it answers again',
    withOwnRedis(async ({ redis, closer }) => {
      const changes: RedisConnectionChange[] = [];
      await workerOf(closer, redis().url, { echo: () => 'echoed' }).ready();
      const echo = closer.add(
        remoteAgent({ connection: redis().url, queue: 'echo', leaseMs: 500, onConnectionChange: (change) => changes.push(change) }),
      );
      const client = echo.create!();
      expect(await runNow(echo, contextOf('warm'), client)).toMatchObject({ output: 'echoed' });
      redis().freeze(); // the connection stays up: nothing reconnects, nothing says it is down
      await expect(runNow(echo, contextOf('b'), client)).rejects.toThrow(/cannot add 1 job\(s\) to queue "echo": it did not answer/);
      expect(changes).toEqual([
        {
          queue: 'echo',
          connected: false,
          error: expect.objectContaining({ name: 'RedisConnectionError', reason: `it did not answer within ${COMMAND_TIMEOUT_MS} ms` }),
        },
      ]);
      redis().thaw();
      // past a lease of outage an add fails untried while a probe looks for Redis: its answer ends the outage
      await runNow(echo, contextOf('c'), client).catch(() => undefined);
      await waitFor(() => changes.length === 2, 'the return to be told');
      expect(changes[1]).toEqual({ queue: 'echo', connected: true });
      expect(await runNow(echo, contextOf('d'), client)).toMatchObject({ output: 'echoed' });
      expect(changes).toHaveLength(2);
    }),
  );

  it.concurrent(
    'should tell onConnectionChange that Redis stopped answering when a lease check finds it frozen, every job added, and that it answers again',
    withOwnRedis(async ({ redis, closer }) => {
      const changes: RedisConnectionChange[] = [];
      const echo = closer.add(
        remoteAgent({ connection: redis().url, queue: 'echo', leaseMs: LEASE_MS, onConnectionChange: (change) => changes.push(change) }),
      );
      const client = echo.create!();
      const waiting = runNow(echo, contextOf('a'), client); // no worker: its job waits in Redis
      await jobAdded(redis().url, 'r1|a|1');
      redis().freeze(); // no add goes out: only the lease check's read finds it
      await expect(waiting).rejects.toThrow(/cannot read job "r1\|a\|1": it did not answer/);
      expect(changes).toEqual([
        {
          queue: 'echo',
          connected: false,
          error: expect.objectContaining({ name: 'RedisConnectionError', reason: `it did not answer within ${COMMAND_TIMEOUT_MS} ms` }),
        },
      ]);
      redis().thaw();
      // that outage holds back no add: the next one goes out, and Redis's answer ends it
      workerOf(closer, redis().url, { echo: () => 'echoed' });
      expect(await runNow(echo, contextOf('b'), client)).toMatchObject({ output: 'echoed' });
      expect(changes).toEqual([expect.objectContaining({ connected: false }), { queue: 'echo', connected: true }]);
    }),
  );

  it.concurrent(
    "should give a connection held up longer than a command's time limit its own, not fail the first commands sent on it",
    withOwnRedis(async ({ redis, closer }) => {
      workerOf(closer, redis().url, { echo: ({ input }) => input });
      const proxy = await PausableProxy.start(redis().url);
      closer.onClose(() => proxy.close());
      const echo = closer.add(remoteAgent({ connection: proxy.url, queue: 'echo', leaseMs: LEASE_MS }));
      proxy.pause(); // a loaded machine: the connection is slow to come up
      const { events, ended } = collected(closer, { id: 'slow', tasks: [{ id: 'a', agent: 'echo', input: 7 }] }, { echo });
      await sleep(COMMAND_TIMEOUT_MS + 400);
      proxy.resume();
      await ended;
      expect(failures(events)).toEqual([]);
      expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    }),
  );

  it.concurrent(
    'should not add the job of an attempt that ended while its connection was being made',
    withOwnRedis(async ({ redis, closer }) => {
      const seen: string[] = [];
      const worker = workerOf(closer, redis().url, { nap: ({ id }) => seen.push(id) });
      await worker.ready();
      const proxy = await PausableProxy.start(redis().url);
      closer.onClose(() => proxy.close());
      const nap = remoteAgent({ connection: proxy.url, queue: 'nap', leaseMs: 1000 });
      proxy.pause(); // the agent's first connection is made, and waits for Redis's answers
      const subscription = from(nap.run(contextOf('gone'), await nap.create!()) as ObservableInput<unknown>).subscribe({
        error: () => undefined,
      });
      await sleep(100);
      subscription.unsubscribe(); // cancelled before its job went out
      await sleep(100);
      proxy.resume(); // connected now: nothing of it is to be sent
      await sleep(1500);
      expect(seen).toEqual([]);
      const client = new Redis(redis().url, { maxRetriesPerRequest: 1, connectionName: CHECK_CONNECTION });
      try {
        expect(await client.keys('*r1|gone*')).toEqual([]);
      } finally {
        client.disconnect();
      }
      await expect(nap.close()).resolves.toEqual({ cancelsNotSent: [] });
    }),
  );

  it.concurrent(
    'should find at once, not at its next lease check, that a Redis back from a restart lost the job a worker was running, fail the attempt and leave its cancel for that worker',
    withOwnRedis(async ({ redis, restart, closer }) => {
      const worker = workerOf(closer, redis().url, { nap: () => sleep(3000).then(() => 'rested') }, { leaseMs: 8000 });
      await worker.ready();
      const nap = closer.add(remoteAgent({ connection: redis().url, queue: 'nap', leaseMs: 8000 }));
      const { events, ended } = collected(closer, { id: 'lost', tasks: [{ id: 'a', agent: 'nap' }] }, { nap });
      await waitFor(() => worker.running === 1, 'the job to run on the worker');
      await sleep(1000); // the scheduler hears from the event stream that a worker took it (within ms, unless the machine is busy)
      await redis().stop();
      await restart(); // without its data: the job is gone
      const backAt = Date.now();
      await ended;
      // the worker may still run it under its id: not added again (a retry is a new attempt, a new id)
      expect(failures(events)).toEqual([
        {
          attempt: 1,
          name: 'RemoteJobError',
          message: expect.stringMatching(/is no longer in Redis \(removed by someone else, or Redis lost its data\)$/),
        },
      ]);
      expect(Date.now() - backAt).toBeLessThan(4000); // its lease check would come 8 s after the add
      // cancelled on its worker (which may run it still), by the key its poll reads
      const client = new Redis(redis().url, { maxRetriesPerRequest: 1, connectionName: CHECK_CONNECTION });
      closer.onClose(async () => void client.disconnect());
      await waitFor(async () => (await client.keys('*:nap:rxdag-cancel:*')).length === 1, 'the cancel of the vanished job', 3000);
    }),
  );

  it.concurrent(
    'should add again, for the same attempt, a job no worker had taken that a Redis restart lost: a worker started later runs it, no retry used',
    withOwnRedis(async ({ redis, restart, closer }) => {
      const agent = closer.add(remoteAgent({ connection: redis().url, queue: 'nap', leaseMs: 8000 }));
      const { events, ended } = collected(closer, { id: 'waiting', tasks: [{ id: 'a', agent: 'nap' }] }, { nap: agent });
      const client = new Redis(redis().url, { maxRetriesPerRequest: 1, connectionName: CHECK_CONNECTION });
      await waitFor(async () => (await client.keys('*:nap:wait')).length > 0, 'the job to wait in Redis', 5000);
      client.disconnect();
      await redis().stop();
      await restart(); // without its data: the job is gone
      const again = new Redis(redis().url, { maxRetriesPerRequest: 1, connectionName: CHECK_CONNECTION });
      closer.onClose(async () => void again.disconnect());
      await waitFor(async () => (await again.keys('*:nap:wait')).length > 0, 'the job to be added again', 5000);
      let calls = 0;
      const worker = workerOf(closer, redis().url, { nap: () => (calls++, 'rested') });
      await worker.ready();
      await ended;
      expect(failures(events)).toEqual([]);
      expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
      expect(events.filter((event) => event.type === 'task.started')).toHaveLength(1);
      expect(calls).toBe(1);
    }),
  );

  it.concurrent(
    'should fail the attempt when its job vanished from Redis a fourth time, having added it again three times',
    withOwnRedis(async ({ redis, closer }) => {
      // no worker: the job waits in Redis, where a hand removes it each time it is added
      const agent = closer.add(remoteAgent({ connection: redis().url, queue: 'nap', leaseMs: 1000 }));
      const { events, ended } = collected(closer, { id: 'vanishing', tasks: [{ id: 'a', agent: 'nap' }] }, { nap: agent });
      const client = new Redis(redis().url, { maxRetriesPerRequest: 1, connectionName: CHECK_CONNECTION });
      closer.onClose(async () => void client.disconnect());
      let removed = 0;
      let over = false;
      void ended.then(() => (over = true));
      while (!over) {
        const keys = (await client.keys('*:nap:*vanishing*')).filter((key) => !key.endsWith(':logs'));
        if (keys.length > 0) {
          removed++;
          await client.del(...keys);
          await client.del(...(await client.keys('*:nap:wait')));
        }
        await sleep(50);
      }
      expect(removed).toBeGreaterThanOrEqual(4);
      expect(failures(events)).toEqual([
        {
          attempt: 1,
          name: 'RemoteJobError',
          message: expect.stringMatching(
            /is no longer in Redis \(removed by someone else, or Redis lost its data\); it was added again 3 times and vanished each time$/,
          ),
        },
      ]);
    }),
  );

  it.concurrent(
    'should return from a forced close within a few seconds while Redis is gone and an attempt runs',
    withOwnRedis(async ({ redis, closer }) => {
      const worker = workerOf(closer, redis().url, {
        hold: ({ signal }) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
      });
      const hold = closer.add(remoteAgent({ connection: redis().url, queue: 'hold', leaseMs: 1000 }));
      const subscription = runDag({ id: 'hold', tasks: [{ id: 'a', agent: 'hold' }] }, { agents: { hold } }).subscribe();
      closer.onClose(() => subscription.unsubscribe());
      await waitFor(() => worker.running === 1, 'the attempt to start on the worker');
      await redis().stop();
      const gentle = worker.close(); // waits for the attempt
      await sleep(500);
      expect(worker.running).toBe(1);
      const forcing = Date.now();
      await worker.close({ force: true });
      await gentle;
      expect(Date.now() - forcing).toBeLessThan(3500);
      expect(worker.running).toBe(0);
    }),
  );

  it.concurrent(
    'should close a remote agent within a few seconds when Redis is frozen, saying which cancels did not go out',
    withOwnRedis(async ({ redis, closer }) => {
      const echo = closer.add(remoteAgent({ connection: redis().url, queue: 'echo', leaseMs: 5000 }));
      let subscription = { unsubscribe: () => undefined as void };
      const started = new Promise<string>((resolve) => {
        subscription = runDag(echoDag, { agents: { echo } }).subscribe((event) => {
          if (event.type === 'task.started') resolve(event.runId);
        });
      });
      const runId = await started;
      await jobAdded(redis().url, `${runId}|a|1`);
      redis().freeze();
      subscription.unsubscribe(); // cancels the attempt: the cancel waits for Redis
      const closing = Date.now();
      const closed = await echo.close();
      expect(Date.now() - closing).toBeLessThan(3000);
      expect(closed.cancelsNotSent).toEqual([
        {
          queue: 'echo',
          jobId: `${runId}|a|1`,
          error: expect.objectContaining({
            name: 'RedisConnectionError',
            message: `Redis at redis://127.0.0.1:${redis().port}/0: cannot send the cancel of job "${runId}|a|1": it did not answer within 2000 ms`,
          }),
        },
      ]);
      expect((await echo.close()).cancelsNotSent).toEqual([]); // said once
    }),
  );

  it.concurrent(
    'should close an idle worker within a few seconds while Redis is gone',
    withOwnRedis(async ({ redis, closer }) => {
      const worker = workerOf(closer, redis().url, { echo: ({ input }) => input });
      await worker.ready();
      const connected = triesOf(redis().port);
      await redis().stop();
      await triedAgain(connected, 1, 'every connection to be reconnecting');
      const closing = Date.now();
      await worker.close();
      expect(Date.now() - closing).toBeLessThan(3000);
    }),
  );

  it.concurrent(
    'should say a closed remote agent left nothing unsent when Redis took every cancel',
    withOwnRedis(async ({ redis, closer }) => {
      const echo = closer.add(remoteAgent({ connection: redis().url, queue: 'echo', leaseMs: 5000 }));
      let runId: string | undefined;
      const subscription = runDag(echoDag, { agents: { echo } }).subscribe((event) => {
        if (event.type === 'task.started') runId = event.runId;
      });
      await waitFor(() => runId !== undefined, 'the attempt to start');
      await jobAdded(redis().url, `${runId}|a|1`);
      subscription.unsubscribe();
      expect((await echo.close()).cancelsNotSent).toEqual([]);
    }),
  );

  it.concurrent(
    'should not call the adds a full Redis refused (OOM) cancels that did not reach the workers: those jobs never were',
    withOwnRedis(async ({ redis, closer }) => {
      const echo = closer.add(remoteAgent({ connection: redis().url, queue: 'echo', leaseMs: 1000 }));
      const client = new Redis(redis().url, { connectionName: CHECK_CONNECTION });
      closer.onClose(() => client.disconnect());
      await client.config('SET', 'maxmemory-policy', 'noeviction');
      await client.config('SET', 'maxmemory', '1'); // full: every write is refused
      const { events, ended } = collected(closer, echoDag, { echo });
      await ended;
      const refused = events.filter((event) => event.type === 'task.failed');
      expect(refused).toEqual([
        expect.objectContaining({
          attempt: 1,
          error: { name: 'RedisConnectionError', message: expect.stringMatching(/OOM command not allowed/) },
        }),
        expect.objectContaining({
          attempt: 2,
          error: { name: 'RedisConnectionError', message: expect.stringMatching(/OOM command not allowed/) },
        }),
      ]);
      expect(await client.keys('*')).toEqual([]);
      // still full as the agent closes: the cancels of jobs that were never added are not tried for ever, nor reported
      expect((await echo.close()).cancelsNotSent).toEqual([]);
    }),
  );
});

/** Resolves once the worker `workerId` waits on Redis at `url` in a blocking read of its queue (BullMQ's `BZPOPMIN`). */
async function blockingReadSent(url: string, workerId: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, connectionName: CHECK_CONNECTION });
  client.on('error', () => undefined);
  try {
    const blocked = async () =>
      String(await client.client('LIST'))
        .split('\n')
        .some((line) => line.includes(`:w:${workerId} `) && /\bcmd=bzpopmin\b/.test(line));
    await waitFor(blocked, 'its blocking read of the queue to be sent');
  } finally {
    client.disconnect();
  }
}
