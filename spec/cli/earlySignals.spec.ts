import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { describePostgres } from '../support/postgres';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy';
import { ensureBuilt, runCli, startCli } from './support/builtCli';
import { startFakePushgateway } from './support/fakePushgateway';
import { tempDir, writeText } from './support/files';
import { gatedDag, gatedEnv, interruptedRun, linesOf, waitUntil } from './support/journaledRuns';

/**
 * A stop signal while `rxdag run` sets its run up, once it has read its files (its store being
 * reached, here a PostgreSQL server behind a proxy that holds the connection until told): the
 * run starts nothing, says so, and exits with the signal's code; a second signal meanwhile ends
 * it at once. While it reads a file (a FIFO no one writes yet) a signal ends it by Node's default.
 */
describePostgres('rxdag run stopped before its run starts', (db) => {
  const tmp = tempDir();
  beforeAll(ensureBuilt, 120_000);
  afterAll(() => tmp.remove());

  /** A proxy to PostgreSQL that holds every connection until it is thawed: a store slow to answer. */
  async function holdingProxy(): Promise<TcpProxy> {
    const target = new URL(db.connectionString);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    proxy.freeze();
    return proxy;
  }

  const dag = () =>
    writeText(tmp.file('early.json'), JSON.stringify({ id: 'early', tasks: [{ id: 'a', run: `touch '${tmp.file('ran')}'` }] }));

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('should start nothing on %s while it reaches its store, say so, push no metrics and exit %i', async (signal, code) => {
    const proxy = await holdingProxy();
    const gateway = await startFakePushgateway();
    try {
      const target = new URL(proxy.url(db.connectionString));
      target.searchParams.set('schema', db.schema);
      const run = startCli(['run', dag(), '--store', target.toString(), '--metrics-push', gateway.url]);
      await waitUntil(() => proxy.connections() > 0, 'the run to reach its store');
      run.child.kill(signal);
      await waitUntil(() => run.stderrSoFar().includes('the run will not start'), 'the run to say it holds the signal');
      proxy.thaw();
      expect(await run.done).toMatchObject({
        code,
        signal: null,
        stderr:
          `rxdag: stopping on ${signal}: the run will not start (a second signal ends rxdag at once)\n` +
          `rxdag: stopped on ${signal} before the run started: nothing ran\n`,
      });
      expect(existsSync(tmp.file('ran'))).toBe(false);
      expect(gateway.requests).toEqual([]); // the DAG's group keeps its last run's
      expect(await db.query(`SELECT count(*)::int AS n FROM "${db.schema}".runs`).catch(() => [{ n: 0 }])).toEqual([{ n: 0 }]);
    } finally {
      await proxy.close();
      await gateway.close();
    }
  });

  it('should leave a run to resume as it was on a signal while the resume reaches its store, saying how to go on', async () => {
    const store = `${db.connectionString}?schema=${db.schema}`;
    const env = { ...gatedEnv(tmp.dir), RXDAG_STORE: store };
    const runId = await interruptedRun(gatedDag(tmp.dir, 'held-resume'), env);
    const markers = linesOf(env.MARKERS);
    const proxy = await holdingProxy();
    try {
      const target = new URL(proxy.url(db.connectionString));
      target.searchParams.set('schema', db.schema);
      const resume = startCli(['resume', runId], { ...env, RXDAG_STORE: target.toString() });
      await waitUntil(() => proxy.connections() > 0, 'the resume to reach its store');
      resume.child.kill('SIGTERM');
      await waitUntil(() => resume.stderrSoFar().includes('the run will not start'), 'the resume to say it holds the signal');
      proxy.thaw();
      expect(await resume.done).toMatchObject({
        code: 143,
        stderr:
          'rxdag: stopping on SIGTERM: the run will not start (a second signal ends rxdag at once)\n' +
          `rxdag: stopped on SIGTERM before the resume started: nothing ran, the run is as it was (rxdag resume ${runId} continues it)\n`,
      });
      expect(linesOf(env.MARKERS)).toEqual(markers);
      const listed = await runCli(['runs', '--json'], env);
      expect(JSON.parse(listed.stdout)).toMatchObject({ runId, status: 'interrupted' });
    } finally {
      await proxy.close();
    }
  });

  it('should end at once on a second signal while it reaches its store, its store never answering', async () => {
    const proxy = await holdingProxy();
    try {
      const target = new URL(proxy.url(db.connectionString));
      const run = startCli(['run', dag(), '--store', target.toString()]);
      await waitUntil(() => proxy.connections() > 0, 'the run to reach its store');
      run.child.kill('SIGINT');
      await waitUntil(() => run.stderrSoFar().includes('the run will not start'), 'the run to say it holds the signal');
      run.child.kill('SIGINT');
      expect(await run.done).toMatchObject({
        code: 130,
        stderr: expect.stringMatching(/\nrxdag: stopped on SIGINT before the run started: nothing ran\n$/),
      });
    } finally {
      await proxy.close();
    }
  });

  it('should end by the signal itself while it waits to read its DAG file from a FIFO', async () => {
    const fifo = tmp.file('waiting.json');
    execFileSync('mkfifo', [fifo]);
    const run = startCli(['run', fifo, '--no-journal']);
    const writer = await open(fifo, 'w'); // the CLI has opened it and now waits in its read
    run.child.kill('SIGINT');
    const result = await run.done;
    await writer.close();
    expect(result).toMatchObject({ code: null, signal: 'SIGINT' });
  });
});
