import { runDag } from '../../src/index';
import { remoteAgent, startWorker } from '../../src/bullmq/index';
import { describeRedis, freePort, type PasswordRedis, startPasswordRedis } from '../support/redis';
import { byTask, Closer, collect, ending, sleep } from './helpers';

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
  const leaks = (text: string) => [PASSWORD, encodeURIComponent(PASSWORD), WRONG, encodeURIComponent(WRONG)].filter((secret) => text.includes(secret));
  const dag = { id: 'pw', tasks: [{ id: 'a', agent: 'echo', input: 1 }, { id: 'b', agent: 'echo', deps: ['a'], input: 2 }] };

  it('should work with the password in the URL', async () => {
    const logs: string[] = [];
    closer.add(startWorker({ connection: url(PASSWORD), prefix: env.prefix, agents: { echo: ({ input }) => input }, concurrency: 2, leaseMs: 1000, onLog: (line) => logs.push(line) }));
    const echo = closer.add(remoteAgent({ connection: url(PASSWORD), prefix: env.prefix, queue: 'echo', leaseMs: 1000 }));
    const events = await collect(runDag(dag, { agents: { echo } }));
    expect(ending(events).outcome).toBe('succeeded');
    expect(byTask(events, 'task.completed').get('b')!.output).toBe(2);
    expect(logs).toEqual([]);
  });

  it('should fail attempts against a wrong password with an error that never shows a password', async () => {
    const logs: string[] = [];
    closer.add(startWorker({ connection: url(WRONG), prefix: env.prefix, agents: { echo: () => 1 }, concurrency: 1, leaseMs: 1000, onLog: (line) => logs.push(line) }));
    const echo = closer.add(remoteAgent({ connection: url(WRONG), prefix: env.prefix, queue: 'echo', leaseMs: 1000 }));
    const started = Date.now();
    const events = await collect(runDag(dag, { agents: { echo } }));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(ending(events).outcome).toBe('failed');
    const failed = byTask(events, 'task.failed').get('a')!;
    expect(failed.error.name).toBe('RedisConnectionError');
    expect(failed.error.message).toContain(`Redis at redis://:***@127.0.0.1:${server.port}/0: cannot reach queue "echo": WRONGPASS`);
    await sleep(300); // the worker's connections report their refusal
    expect(logs.length).toBeGreaterThan(0);
    expect(leaks(JSON.stringify(events) + logs.join('\n'))).toEqual([]);
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
