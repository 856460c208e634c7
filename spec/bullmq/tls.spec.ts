import { readFileSync } from 'node:fs';
import { runDag, type DagEvent } from '../../src/index';
import { remoteAgent, startWorker } from '../../src/bullmq/index';
import { describeTlsRedis } from '../support/tlsRedis';
import { byTask, Closer, collect, ending, sleep, waitFor } from './helpers';

/**
 * `remoteAgent` and `startWorker` on a Redis that speaks only TLS, with a password and a
 * certificate from a private CA: a run across a worker with the CA given as `tls: { ca }` (to a
 * `rediss://` URL or in ioredis options), and the failures of a client that does not trust the
 * CA or does not speak TLS: the run ends (within the test's timeout) with a `RedisConnectionError`
 * saying why, which never shows the password.
 */
jest.setTimeout(30_000);

const PREFIX = 'rxdag-tls-spec';

describeTlsRedis('remote agents and workers over TLS (rediss://)', (server) => {
  const closer = new Closer();
  afterEach(() => closer.closeAll());

  const ca = () => readFileSync(server.caFile);
  const dag = {
    id: 'tls',
    tasks: [
      { id: 'a', agent: 'echo', input: 1 },
      { id: 'b', agent: 'nap', deps: ['a'], input: 20 },
      { id: 'c', agent: 'echo', deps: ['a'], input: 3 },
      { id: 'd', agent: 'echo', deps: ['b', 'c'], input: 4 },
    ],
  };
  const agents = {
    echo: ({ input }: { input: unknown }) => input,
    nap: async ({ input }: { input: unknown }) => {
      await sleep(Number(input));
      return 'rested';
    },
  };

  /** Runs `dag` through one worker; both sides connect with `connection` and `tls`. */
  async function runAcross(connection: Parameters<typeof remoteAgent>[0]['connection'], tls: { ca?: Buffer } | undefined) {
    const logs: string[] = [];
    const options = { connection, ...(tls === undefined ? {} : { tls }), prefix: PREFIX, leaseMs: 1000 };
    closer.add(startWorker({ ...options, agents, concurrency: 2, name: 'tls-worker', onLog: (line) => logs.push(line) }));
    const echo = closer.add(remoteAgent({ ...options, queue: 'echo' }));
    const nap = closer.add(remoteAgent({ ...options, queue: 'nap' }));
    const events = await collect(runDag(dag, { agents: { echo, nap } }));
    return { events, logs };
  }

  function expectSucceededOnWorker(events: readonly DagEvent[]): void {
    expect(ending(events).outcome).toBe('succeeded');
    const completed = byTask(events, 'task.completed');
    expect([...completed.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(completed.get('b')!.output).toBe('rested');
    expect(completed.get('d')!.output).toBe(4);
    for (const event of completed.values()) expect(event.worker).toBe('tls-worker');
  }

  it('should run a DAG across a worker with a rediss:// URL and the CA given as `tls: { ca }`', async () => {
    const { events, logs } = await runAcross(server.url('rediss'), { ca: ca() });
    expectSucceededOnWorker(events);
    expect(logs).toEqual([]);
  });

  it('should run a DAG across a worker with ioredis options holding the password and `tls: { ca }`', async () => {
    const { events, logs } = await runAcross(
      { host: '127.0.0.1', port: server.port, password: server.password, tls: { ca: ca() } },
      undefined,
    );
    expectSucceededOnWorker(events);
    expect(logs).toEqual([]);
  });

  it('should fail attempts with a certificate error, without hanging, when the CA is not trusted', async () => {
    const { events, logs } = await runAcross(server.url('rediss'), undefined);
    expect(ending(events).outcome).toBe('failed');
    const failed = byTask(events, 'task.failed').get('a')!;
    expect(failed.error.name).toBe('RedisConnectionError');
    expect(failed.error.message).toMatch(
      new RegExp(
        // (on a loaded machine the add may wait out its time limit first, the refusal its cause)
        `^Redis at rediss://:\\*\\*\\*@127\\.0\\.0\\.1:${server.port}/0: cannot reach queue "echo": self[- ]signed certificate in certificate chain( \\(no connection for \\d+ ms\\))?$`,
      ),
    );
    await waitFor(() => logs.some((line) => /certificate/.test(line)), 'the worker to log the certificate refusal');
    expect(server.leaks(JSON.stringify(events) + logs.join('\n'))).toEqual([]);
  });

  it('should fail attempts, without hanging, when a redis:// client (no TLS) reaches the TLS port, hinting at rediss://', async () => {
    const { events, logs } = await runAcross(server.url('redis'), undefined);
    expect(ending(events).outcome).toBe('failed');
    const failed = byTask(events, 'task.failed').get('a')!;
    expect(failed.error.name).toBe('RedisConnectionError');
    expect(failed.error.message).toMatch(
      new RegExp(
        `^Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${server.port}/0: cannot reach queue "echo": (read|write) (ECONNRESET|EPIPE) ` +
          '\\(the server hung up: if it expects TLS, use rediss://\\)$',
      ),
    );
    expect(server.leaks(JSON.stringify(events) + logs.join('\n'))).toEqual([]);
  });

  it('should refuse `tls` with a redis:// URL, which connects in clear', () => {
    expect(() => remoteAgent({ connection: server.url('redis'), tls: { ca: ca() }, queue: 'echo' })).toThrow(
      `remoteAgent: \`tls\` needs a rediss:// URL (redis://:***@127.0.0.1:${server.port}/0 connects in clear)`,
    );
  });
});
