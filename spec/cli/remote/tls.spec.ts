import { existsSync, writeFileSync } from 'node:fs';
import { describeTlsRedis } from '../../support/tlsRedis';
import { ensureBuilt, notices, printedRunId, runCli } from '../support/builtCli';
import { readEventLog, tempDir } from '../support/files';
import { WorkerFleet } from './workerProcesses';

/**
 * `rxdag worker` and `rxdag run --redis rediss://…` on a Redis that speaks only TLS, with a
 * password and a certificate from a private CA that the processes trust through
 * `NODE_EXTRA_CA_CERTS`: a DAG of shell tasks runs across a worker and no output shows the
 * password; a `redis://` URL to the TLS port and a CA that is not trusted are refused with one
 * line each (exit 2, nothing run).
 */
jest.setTimeout(60_000);

describeTlsRedis('rxdag run --redis and rxdag worker over TLS (rediss://)', (server) => {
  const tmp = tempDir();
  const fleet = new WorkerFleet();
  const keyFile = tmp.file('worker.key');
  writeFileSync(keyFile, `${'5e'.repeat(32)}\n`);
  beforeAll(() => ensureBuilt(), 120_000);
  afterEach(() => fleet.stopAll());
  afterAll(() => tmp.remove());

  /** The environment of a process that trusts the test CA, or (`trusted: false`) only Node's own CAs. */
  const caEnv = (trusted: boolean) => ({ NODE_EXTRA_CA_CERTS: trusted ? server.caFile : '', RXDAG_WORKER_KEY: '' });
  const secured = ['--key-file', keyFile];

  /** Shell tasks in a diamond; `b` and `d` write marker files. */
  function shellDag(name: string): { file: string; markers: string[] } {
    const markers = [tmp.file(`${name}-b.marker`), tmp.file(`${name}-d.marker`)];
    const file = tmp.file(`${name}.json`);
    const tasks = [
      { id: 'a', run: 'echo alpha' },
      { id: 'b', deps: ['a'], run: `printf '%s' "$RXDAG_TASK_ID" > '${markers[0]}'` },
      { id: 'c', deps: ['a'], run: 'sleep 0.1' },
      { id: 'd', deps: ['b', 'c'], run: `touch '${markers[1]}'` },
    ];
    writeFileSync(file, JSON.stringify({ id: name, tasks }));
    return { file, markers };
  }

  it('should run shell tasks across a worker with a rediss:// URL and a private CA, never printing the password', async () => {
    const worker = await fleet.start(server.url('rediss'), 'rxdag-tls', secured, caEnv(true));
    expect(worker.stderrSoFar()).toContain(`of Redis at rediss://:***@127.0.0.1:${server.port}/0, `);
    const { file, markers } = shellDag('tls');
    const log = tmp.file('tls.jsonl');
    const run = await runCli(
      ['run', file, '--redis', server.url('rediss'), '--redis-prefix', 'rxdag-tls', ...secured, '--events', log],
      caEnv(true),
    );
    expect([run.code, notices(run.stderr)]).toEqual([
      0,
      expect.stringContaining(`through Redis at rediss://:***@127.0.0.1:${server.port}/0 `),
    ]);
    expect(markers.map(existsSync)).toEqual([true, true]);
    const events = readEventLog(log);
    const completed = events.flatMap((event) => (event.type === 'task.completed' ? [event] : []));
    expect(completed.map((event) => [event.taskId, event.worker]).sort()).toEqual(['a', 'b', 'c', 'd'].map((id) => [id, worker.id]));
    const show = await runCli(['show', printedRunId(run.stderr)!, '--json'], caEnv(true));
    expect(show.code).toBe(0);
    const everything = [run.stdout, run.stderr, show.stdout, show.stderr, JSON.stringify(events), worker.stderrSoFar()].join('\n');
    expect(server.leaks(everything)).toEqual([]);
    expect(everything).not.toMatch(/Warning/); // e.g. Node's about an IP address as TLS server name
  });

  it('should refuse a redis:// URL (no TLS) to the TLS port with one line that suggests rediss://', async () => {
    const { file, markers } = shellDag('plain');
    const results = await Promise.all([
      runCli(['run', file, '--redis', server.url('redis'), ...secured], caEnv(true)),
      runCli(['worker', '--redis', server.url('redis'), ...secured], caEnv(true)),
    ]);
    for (const result of results) {
      expect([result.code, result.stdout]).toEqual([2, '']);
      expect(result.stderr).toMatch(
        new RegExp(
          `^rxdag: cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${server.port}/0: (read|write) (ECONNRESET|EPIPE) ` +
            '\\(the server hung up: if it expects TLS, use rediss://\\)\\n$',
        ),
      );
      expect(server.leaks(result.stderr)).toEqual([]);
    }
    expect(markers.map(existsSync)).toEqual([false, false]);
  });

  it('should refuse a rediss:// URL whose CA is not trusted with one line naming the certificate problem and how to trust a private CA', async () => {
    const { file, markers } = shellDag('untrusted');
    const results = await Promise.all([
      runCli(['run', file, '--redis', server.url('rediss'), ...secured], caEnv(false)),
      runCli(['worker', '--redis', server.url('rediss'), ...secured], caEnv(false)),
    ]);
    for (const result of results) {
      expect([result.code, result.stdout]).toEqual([2, '']);
      expect(result.stderr).toMatch(
        new RegExp(
          `^rxdag: cannot reach Redis at rediss://:\\*\\*\\*@127\\.0\\.0\\.1:${server.port}/0: self[- ]signed certificate in certificate chain \\(a certificate from a private CA is trusted with NODE_EXTRA_CA_CERTS=ca\\.pem\\)\\n$`,
        ),
      );
      expect(server.leaks(result.stderr)).toEqual([]);
    }
    expect(markers.map(existsSync)).toEqual([false, false]);
  });
});
