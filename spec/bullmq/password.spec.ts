import { runDag } from '../../src/index';
import { RedisConnectionError, remoteAgent, startWorker } from '../../src/bullmq/index';
import { redisTarget } from '../../src/bullmq/redisConnection';
import { describeRedis, freePort, type PasswordRedis, startPasswordRedis } from '../support/redis';
import { byTask, Closer, collect, ending, sleep, waitFor } from './helpers';

jest.setTimeout(30_000);

const PASSWORD = 'p@ss w0rd/with:odd&chars';
const WRONG = 'not-the-p@ssword';

describeRedis('a Redis with a password', (env) => {
  const closer = new Closer();
  let server: PasswordRedis;
  beforeAll(async () => {
    server = await startPasswordRedis(PASSWORD);
  });
  afterAll(() => server.stop());
  afterEach(() => closer.closeAll());

  const url = (password: string, port = server.port) => `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  const leaks = (text: string) =>
    [PASSWORD, encodeURIComponent(PASSWORD), WRONG, encodeURIComponent(WRONG)].filter((secret) => text.includes(secret));
  const dag = {
    id: 'pw',
    tasks: [
      { id: 'a', agent: 'echo', input: 1 },
      { id: 'b', agent: 'echo', deps: ['a'], input: 2 },
    ],
  };
  /** A worker of one echo agent on `connection`, its log lines to `onLog`. */
  const workerAt = (connection: string, onLog: (line: string) => void = () => undefined) =>
    closer.add(startWorker({ connection, prefix: env.prefix, agents: { echo: () => 1 }, concurrency: 1, leaseMs: 1000, onLog }));

  it('should work with the password in the URL', async () => {
    const logs: string[] = [];
    closer.add(
      startWorker({
        connection: url(PASSWORD),
        prefix: env.prefix,
        agents: { echo: ({ input }) => input },
        concurrency: 2,
        // (a lease that a loaded machine cannot lapse: this spec is about the password, and says so in `logs`)
        leaseMs: 10_000,
        onLog: (line) => logs.push(line),
      }),
    );
    const echo = closer.add(remoteAgent({ connection: url(PASSWORD), prefix: env.prefix, queue: 'echo', leaseMs: 10_000 }));
    const events = await collect(runDag(dag, { agents: { echo } }));
    expect(ending(events).outcome).toBe('succeeded');
    expect(byTask(events, 'task.completed').get('b')!.output).toBe(2);
    expect(logs).toEqual([]);
  });

  it('should fail attempts against a wrong password with an error that never shows a password', async () => {
    const logs: string[] = [];
    workerAt(url(WRONG), (line) => logs.push(line));
    const echo = closer.add(remoteAgent({ connection: url(WRONG), prefix: env.prefix, queue: 'echo', leaseMs: 1000 }));
    const started = Date.now();
    const events = await collect(runDag(dag, { agents: { echo } }));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(ending(events).outcome).toBe('failed');
    const failed = byTask(events, 'task.failed').get('a')!;
    expect(failed.error.name).toBe('RedisConnectionError');
    expect(failed.error.message).toContain(
      `Redis at redis://:***@127.0.0.1:${server.port}/0: cannot reach queue "echo": this Redis refused the user name or password of the URL (WRONGPASS`,
    );
    await sleep(300); // the worker's connections report their refusal
    expect(logs.length).toBeGreaterThan(0);
    expect(leaks(JSON.stringify(events) + logs.join('\n'))).toEqual([]);
  });

  it('should take a user name without a password for a password written without its colon: hidden, and said how to write it', async () => {
    const echo = closer.add(
      remoteAgent({
        connection: `redis://${encodeURIComponent(WRONG)}@127.0.0.1:${server.port}`,
        prefix: env.prefix,
        queue: 'echo',
        leaseMs: 1000,
      }),
    );
    const events = await collect(runDag(dag, { agents: { echo } }));
    const failed = byTask(events, 'task.failed').get('a')!;
    expect(failed.error.message).toMatch(
      new RegExp(
        `^Redis at redis://\\*\\*\\*@127\\.0\\.0\\.1:${server.port}/0: cannot reach queue "echo": this Redis refused the user name or password of the URL \\(WRONGPASS [^)]*\\): ` +
          'it gives a user name and no password; a password alone is written redis://:PASSWORD@HOST$',
      ),
    );
    expect(leaks(JSON.stringify(events))).toEqual([]);
  });

  it('should not call ioredis options a URL when Redis refuses their password', async () => {
    const echo = closer.add(
      remoteAgent({
        connection: { host: '127.0.0.1', port: server.port, password: WRONG },
        prefix: env.prefix,
        queue: 'echo',
        leaseMs: 1000,
      }),
    );
    const events = await collect(runDag(dag, { agents: { echo } }));
    expect(byTask(events, 'task.failed').get('a')!.error.message).toContain(
      'this Redis refused the user name or password given (WRONGPASS',
    );
  });

  /** What `ready()` of a worker did within `withinMs`: resolved, rejected (with what), or neither. */
  const readyWithin = async (ready: Promise<void>, withinMs: number): Promise<unknown> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        ready.then(
          () => 'resolved',
          (error: unknown) => error,
        ),
        new Promise((resolve) => (timer = setTimeout(() => resolve('pending'), withinMs))),
      ]);
    } finally {
      clearTimeout(timer); // no timer outlives the test
    }
  };

  it("should reject a worker's ready() when Redis refuses its password, without showing it", async () => {
    const logs: string[] = [];
    const worker = workerAt(url(WRONG), (line) => logs.push(line));
    const error = await readyWithin(worker.ready(), 5000);
    expect(error).toBeInstanceOf(RedisConnectionError);
    // whichever connection heard the refusal first: a queue's or the cancel watch's
    expect((error as Error).message).toMatch(
      new RegExp(
        `^Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${server.port}/0: cannot (reach queue "echo"|hear cancels): this Redis refused the user name or password of the URL \\(WRONGPASS `,
      ),
    );
    await expect(readyWithin(worker.ready(), 100)).resolves.toBe(error); // asked again: the same answer
    expect(leaks(String(error) + logs.join('\n'))).toEqual([]);
  });

  it("should reject a worker's ready() when Redis needs a password the URL does not give", async () => {
    const worker = workerAt(`redis://127.0.0.1:${server.port}`);
    const error = await readyWithin(worker.ready(), 5000);
    expect(error).toBeInstanceOf(RedisConnectionError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^Redis at redis://127\\.0\\.0\\.1:${server.port}/0: cannot (reach queue "echo"|hear cancels): this Redis needs a password \\(NOAUTH\\): give it in the URL`,
      ),
    );
  });

  it("should keep a worker's ready() waiting while nothing answers at its address (Redis may come)", async () => {
    const port = await freePort();
    const worker = workerAt(url(PASSWORD, port));
    expect(await readyWithin(worker.ready(), 2500)).toBe('pending'); // past a few reconnect tries of every connection
  });

  it('should fail attempts against a Redis that does not answer, in bounded time', async () => {
    const port = await freePort();
    const echo = closer.add(remoteAgent({ connection: url(WRONG, port), prefix: env.prefix, queue: 'echo', leaseMs: 1000 }));
    const started = Date.now();
    const events = await collect(runDag(dag, { agents: { echo } }));
    expect(Date.now() - started).toBeLessThan(10_000);
    const failed = byTask(events, 'task.failed').get('a')!;
    expect(failed.error.message).toMatch(new RegExp(`^Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}/0: cannot reach queue "echo": `));
    expect(leaks(JSON.stringify(events))).toEqual([]);
  });
});

describe('a password of a few characters', () => {
  const closer = new Closer();
  afterEach(() => closer.closeAll());

  it("should be hidden in URLs but leave the rest of a worker's lines alone", async () => {
    const port = await freePort(); // nothing answers there: the worker logs the refused connections
    const logs: string[] = [];
    const worker = closer.add(
      startWorker({
        connection: `redis://:x@127.0.0.1:${port}`,
        agents: { echo: () => 1 },
        concurrency: 1,
        leaseMs: 1000,
        onLog: (line) => logs.push(line),
      }),
    );
    await waitFor(() => logs.length >= 2, 'the worker to log its refused connections');
    const refused = `connect ECONNREFUSED 127.0.0.1:${port}`;
    expect([...logs].sort()).toEqual([
      `rxdag worker ${worker.id}: Redis at redis://:***@127.0.0.1:${port}/0: cannot hear cancels: ${refused}`,
      `rxdag worker ${worker.id}: queue "echo": ${refused}`,
    ]);
  });

  it('should be replaced in a URL whatever surrounds it, and nowhere else', () => {
    const x = redisTarget('redis://:x@127.0.0.1:6391', 'test');
    expect(x.redact('rxdag worker box:1: see redis://:x@127.0.0.1:6391/0 and rediss://alice:x@10.0.0.5')).toBe(
      'rxdag worker box:1: see redis://:***@127.0.0.1:6391/0 and rediss://alice:***@10.0.0.5',
    );
    const one = redisTarget('redis://:1@127.0.0.1:6391', 'test');
    expect(one.location).toBe('redis://:***@127.0.0.1:6391/0');
    expect(one.redact('connect ECONNREFUSED 127.0.0.1:6391 (redis://:1@127.0.0.1:6391)')).toBe(
      'connect ECONNREFUSED 127.0.0.1:6391 (redis://:***@127.0.0.1:6391)',
    );
    // an encoded one too: `/` is `%2F` in a URL
    expect(redisTarget('redis://:a%2F@h', 'test').redact('redis://:a%2F@h, a/ and a%2F')).toBe('redis://:***@h, a/ and a%2F');
    // a short password written without its colon (as the user name) is replaced in a URL too
    const bare = redisTarget('redis://abc@10.0.0.5:6379', 'test');
    expect([bare.location, bare.redact('failed: redis://abc@10.0.0.5:6379 (abc)')]).toEqual([
      'redis://***@10.0.0.5:6379/0',
      'failed: redis://***@10.0.0.5:6379 (abc)',
    ]);
  });

  it('should still be replaced everywhere from six characters on', () => {
    expect(redisTarget('redis://:abc123@127.0.0.1:6391', 'test').redact('auth abc123 failed; redis://:abc123@h')).toBe(
      'auth *** failed; redis://:***@h',
    );
  });
});
