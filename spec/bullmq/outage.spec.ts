import { Redis } from 'ioredis';
import { type DagEvent, runDag } from '../../src/index';
import { remoteAgent, startWorker } from '../../src/bullmq/index';
import { describeOwnRedis } from '../support/redis';
import { Closer, sleep, waitFor } from './helpers';

/**
 * The scheduler side of a Redis that stops answering or goes away, on a throwaway
 * `redis-server` of the spec's own (frozen with SIGSTOP, or killed): an attempt fails with a
 * `RedisConnectionError` that says the real cause, within about a lease period, and is retried by
 * the task's policy; closing the agent does not wait for such a Redis, and says which cancels
 * did not go out. The worker side is `workerOutage.spec.ts`.
 */
jest.setTimeout(20_000);

/** The lease of these tests: the time limit of a command is then its minimum, 1 s. */
const LEASE_MS = 500;
/** The command time limit a lease of {@link LEASE_MS} gives. */
const COMMAND_TIMEOUT_MS = 1000;

describeOwnRedis('remote agents when Redis stops answering or goes away', (env) => {
  const closer = new Closer();
  afterEach(() => closer.closeAll());

  const echoDag = { id: 'outage', tasks: [{ id: 'a', agent: 'echo', input: 1, retry: { attempts: 2, backoffMs: 0 } }] };

  /** Runs `echoDag` with no worker; `onStarted` runs once its first attempt's job is in Redis. */
  function runWithoutWorker(onStarted: () => void): { events: DagEvent[]; ended: Promise<number> } {
    const echo = closer.add(remoteAgent({ connection: env.redis().url, queue: 'echo', leaseMs: LEASE_MS }));
    const events: DagEvent[] = [];
    const ended = new Promise<number>((resolve) => {
      const subscription = runDag(echoDag, { agents: { echo } }).subscribe({
        next: (event) => {
          events.push(event);
          if (event.type === 'task.started' && event.attempt === 1) void sleep(200).then(onStarted); // the job is added by then
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

  it('should fail an attempt whose Redis froze, within about a lease period, saying Redis did not answer, and retry it', async () => {
    let frozenAt = 0;
    const { events, ended } = runWithoutWorker(() => {
      env.redis().freeze();
      frozenAt = Date.now();
    });
    const endedAt = await ended;
    const location = `redis://127.0.0.1:${env.redis().port}/0`;
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
  });

  it('should name the refused connection, not the retries of ioredis, when Redis is gone', async () => {
    const { events, ended } = runWithoutWorker(() => void env.redis().stop());
    await ended;
    const refused = `connect ECONNREFUSED 127.0.0.1:${env.redis().port}`;
    expect(failures(events)).toEqual([
      {
        attempt: 1,
        name: 'RedisConnectionError',
        message: expect.stringMatching(new RegExp(`: cannot read job ".*\\|a\\|1": ${refused}$`)),
      },
      // refused on each reconnect try, or waited for past the command's time limit
      {
        attempt: 2,
        name: 'RedisConnectionError',
        message: expect.stringMatching(
          new RegExp(`: cannot add 1 job\\(s\\) to queue "echo": ${refused}( \\(no connection for ${COMMAND_TIMEOUT_MS} ms\\))?$`),
        ),
      },
    ]);
    expect(JSON.stringify(events)).not.toMatch(/maxRetriesPerRequest|max retries/);
  });

  it('should close within a few seconds when Redis is frozen, saying which cancels did not go out', async () => {
    const echo = remoteAgent({ connection: env.redis().url, queue: 'echo', leaseMs: 5000 });
    let subscription = { unsubscribe: () => undefined as void };
    const started = new Promise<string>((resolve) => {
      subscription = runDag(echoDag, { agents: { echo } }).subscribe((event) => {
        if (event.type === 'task.started') resolve(event.runId);
      });
    });
    const runId = await started;
    await sleep(200); // the job is in Redis
    env.redis().freeze();
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
          message: `Redis at redis://127.0.0.1:${env.redis().port}/0: cannot send the cancel of job "${runId}|a|1": it did not answer within 2000 ms`,
        }),
      },
    ]);
    expect((await echo.close()).cancelsNotSent).toEqual([]); // said once
  });

  it('should say nothing was left unsent when Redis took every cancel', async () => {
    const echo = remoteAgent({ connection: env.redis().url, queue: 'echo', leaseMs: 5000 });
    let started = false;
    const subscription = runDag(echoDag, { agents: { echo } }).subscribe((event) => (started ||= event.type === 'task.started'));
    await waitFor(() => started, 'the attempt to start');
    await sleep(200); // the job is in Redis
    subscription.unsubscribe();
    expect((await echo.close()).cancelsNotSent).toEqual([]);
  });
});

describeOwnRedis('workers when Redis stops answering or goes away', (env) => {
  const closer = new Closer();
  afterEach(() => closer.closeAll());

  it('should log an outage once per queue and cancel connection, and once more when Redis is back', async () => {
    const logs: string[] = [];
    const worker = closer.add(
      startWorker({
        connection: env.redis().url,
        agents: { echo: ({ input }) => input, nap: () => 1 },
        concurrency: 1,
        leaseMs: 1000,
        onLog: (line) => logs.push(line),
      }),
    );
    await worker.ready();
    await env.redis().stop();
    await sleep(3500); // several reconnect tries of every connection
    // a dropped connection says ECONNRESET, the next tries ECONNREFUSED: one line a source either way
    const gone = `(connect ECONNREFUSED 127\\.0\\.0\\.1:${env.redis().port}|read ECONNRESET)`;
    expect([...logs].sort()).toEqual([
      expect.stringMatching(
        new RegExp(`^rxdag worker ${worker.id}: Redis at redis://127\\.0\\.0\\.1:${env.redis().port}/0: cannot hear cancels: ${gone}$`),
      ),
      expect.stringMatching(new RegExp(`^rxdag worker ${worker.id}: queue "echo": ${gone}$`)),
      expect.stringMatching(new RegExp(`^rxdag worker ${worker.id}: queue "nap": ${gone}$`)),
    ]);
    await env.restart();
    await waitFor(() => logs.length >= 6, 'the worker to say Redis is back', 8000);
    expect(logs.slice(3).sort()).toEqual(
      [
        `rxdag worker ${worker.id}: cancels: connected to Redis again`,
        `rxdag worker ${worker.id}: queue "echo": connected to Redis again`,
        `rxdag worker ${worker.id}: queue "nap": connected to Redis again`,
      ].sort(),
    );
  });

  it("should keep a worker's ready() waiting while Redis is gone, and resolve it once Redis is back", async () => {
    await env.redis().stop();
    const worker = closer.add(
      startWorker({ connection: env.redis().url, agents: { echo: () => 1 }, concurrency: 1, leaseMs: 1000, onLog: () => undefined }),
    );
    let ready: 'pending' | 'resolved' | 'rejected' = 'pending';
    worker.ready().then(
      () => (ready = 'resolved'),
      () => (ready = 'rejected'),
    );
    await sleep(2500); // several refused tries of every connection
    expect(ready).toBe('pending');
    await env.restart();
    await waitFor(() => ready !== 'pending', 'ready() to settle once Redis is back', 5000);
    expect(ready).toBe('resolved');
  });

  it('should close an idle worker within a few seconds while Redis is gone', async () => {
    const worker = startWorker({
      connection: env.redis().url,
      agents: { echo: ({ input }) => input },
      concurrency: 1,
      leaseMs: 1000,
      onLog: () => undefined,
    });
    closer.add(worker);
    await worker.ready();
    await env.redis().stop();
    await sleep(1500); // reconnecting
    const closing = Date.now();
    await worker.close();
    expect(Date.now() - closing).toBeLessThan(3000);
  });

  it('should leave no connection trying to reach Redis once closed, also one BullMQ was bringing back after a blocking read it gave up', async () => {
    // every ioredis client made while the test runs (the worker's, BullMQ's)
    const clients = new Set<Redis>();
    const connect = Redis.prototype.connect;
    jest.spyOn(Redis.prototype, 'connect').mockImplementation(function (this: Redis, callback) {
      clients.add(this);
      return connect.call(this, callback);
    });
    const unhandled: string[] = [];
    const consoleError = console.error;
    jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      if (String(args[0]).includes('[ioredis]')) unhandled.push(args.map(String).join(' '));
      else consoleError(...args);
    });
    // clients that start connecting once the worker is closing: none may, or the process never exits
    const tryingAfterClose = new Set<Redis>();
    closer.onClose(() => {
      jest.restoreAllMocks();
      for (const client of tryingAfterClose) client.disconnect(); // what a failing test left trying
    });
    const worker = closer.add(
      startWorker({ connection: env.redis().url, agents: { echo: () => 1 }, concurrency: 2, leaseMs: 1000, onLog: () => undefined }),
    );
    await worker.ready();
    await sleep(300); // its blocking read of the queue is sent
    await env.redis().stop();
    const stoppedAt = Date.now();
    // BullMQ gives up a blocking read that Redis leaves unanswered for its block time (5 s) plus
    // 1 s, then waits for that connection to come back, and connects it again if it ends during
    // the wait. A close ends it there when it comes while the connection tries to connect
    // (between two tries, the connection just stops). So the close comes past 6 s of outage, as
    // the connection starts a try: BullMQ's tries are 1 s apart at first, then 7.1 s after the drop.
    const blocking = [...clients].find((client) => String(client.options.connectionName).endsWith(`:w:${worker.id}`));
    expect(blocking).toBeDefined();
    await sleep(6500 - (Date.now() - stoppedAt));
    const closed = await new Promise<Promise<void>>((resolve) =>
      blocking!.once('connecting', () => {
        for (const client of clients) client.on('connecting', () => tryingAfterClose.add(client));
        resolve(worker.close());
      }),
    );
    await closed;
    await sleep(1000); // a connection BullMQ brings back tries at once
    expect([...tryingAfterClose].map((client) => client.options.connectionName)).toEqual([]);
    expect(unhandled).toEqual([]);
  }, 30_000);

  it('should close a worker whose attempt finished while Redis was frozen, within a few seconds, saying what was not recorded', async () => {
    const logs: string[] = [];
    let release = () => undefined as void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const worker = startWorker({
      connection: env.redis().url,
      agents: { hold: () => released.then(() => 'done') },
      concurrency: 1,
      leaseMs: 1000,
      onLog: (line) => logs.push(line),
    });
    closer.add(worker);
    const hold = closer.add(remoteAgent({ connection: env.redis().url, queue: 'hold', leaseMs: 1000 }));
    const subscription = runDag({ id: 'hold', tasks: [{ id: 'a', agent: 'hold' }] }, { agents: { hold } }).subscribe();
    closer.onClose(() => subscription.unsubscribe());
    await waitFor(() => worker.running === 1, 'the attempt to start on the worker');
    env.redis().freeze();
    const closing = Date.now();
    const closed = worker.close();
    await sleep(300);
    release(); // the attempt ends; Redis cannot record it
    await closed;
    expect(Date.now() - closing).toBeLessThan(300 + 3000);
    expect(logs).toContain(
      `rxdag worker ${worker.id}: Redis did not record what 1 attempt(s) did in time; their jobs go to another worker once their lease lapses`,
    );
  });

  it('should return from a forced close within a few seconds while Redis is gone and an attempt runs', async () => {
    const worker = startWorker({
      connection: env.redis().url,
      agents: {
        hold: ({ signal }) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
      },
      concurrency: 1,
      leaseMs: 1000,
      onLog: () => undefined,
    });
    closer.add(worker);
    const hold = closer.add(remoteAgent({ connection: env.redis().url, queue: 'hold', leaseMs: 1000 }));
    const subscription = runDag({ id: 'hold', tasks: [{ id: 'a', agent: 'hold' }] }, { agents: { hold } }).subscribe();
    closer.onClose(() => subscription.unsubscribe());
    await waitFor(() => worker.running === 1, 'the attempt to start on the worker');
    await env.redis().stop();
    const gentle = worker.close(); // waits for the attempt
    await sleep(500);
    expect(worker.running).toBe(1);
    const forcing = Date.now();
    await worker.close({ force: true });
    await gentle;
    expect(Date.now() - forcing).toBeLessThan(3500);
    expect(worker.running).toBe(0);
  });
});
