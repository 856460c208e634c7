import { type AddressInfo, createServer, type Socket } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { postgresJournal } from '../../src/postgres';
import { describePostgres, runLockHolder } from '../support/postgres';
import { startMutePostgres, startTcpProxy, type TcpProxy } from '../support/tcpProxy';
import { ensureBuilt, notices, printedRunId, runCli, type RunningCli, startCli } from './support/builtCli';
import { isRunning, tempDir, writeText } from './support/files';
import { rxdagInProcess } from './support/inProcessCli';
import { gatedDag, gatedEnv, linesOf, waitUntil } from './support/journaledRuns';

/**
 * `rxdag run`, `runs` and `show` with a PostgreSQL store that fails them: a run whose lock's
 * session is ended stops at once (exit 74, resumable); SIGTERM and Ctrl-C with a frozen store
 * stop the tasks at once and exit within bounds, the run left interrupted (a Ctrl-C whose
 * cancellation was not recorded says so); a store that stops answering stops a run (exit 74)
 * and fails a read (exit 2), naming the timeout. Network faults come from a TCP proxy
 * (`spec/support/tcpProxy.ts`); pg's `query_timeout` parameter of the store URL keeps the
 * timeouts short where a test does not measure the default ones. The tests wait on processes and
 * time limits, so they run at once (the longest first; a test that locks a table has a schema of
 * its own). What a process does on a signal or a lost store is run as a process; reads of the
 * store that check what it holds, or how a read fails, run in this process.
 */
describePostgres('rxdag with a PostgreSQL store that fails', (db) => {
  const tmp = tempDir();
  const server = new URL(db.connectionString);
  const target = { host: server.hostname, port: Number(server.port || 5432) };
  const proxies: TcpProxy[] = [];
  const clis: RunningCli[] = [];
  // files where gate tasks wrote their pids: a task left running by a failed test is killed
  const pidFiles: string[] = [];
  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(() => {
    for (const pid of pidFiles.splice(0).flatMap(linesOf).map(Number)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  afterAll(() => tmp.remove());
  // before the schemas are dropped: a frozen session may hold locks
  db.onCleanup(async () => {
    for (const cli of clis.splice(0)) if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
    for (const proxy of proxies.splice(0)) await proxy.close();
  });

  const proxy = async () => {
    const started = await startTcpProxy(target);
    proxies.push(started);
    return started;
  };
  /** The store URL of the specs' schema (or `schema`), through `network` when given, with `query_timeout` when given. */
  const storeOf = (network?: TcpProxy, queryTimeoutMs?: number, schema = db.schema) => {
    const base = network === undefined ? db.connectionString : network.url(db.connectionString);
    return `${base}?schema=${schema}${queryTimeoutMs === undefined ? '' : `&query_timeout=${queryTimeoutMs}`}`;
  };
  /** Starts `rxdag run` of a gated DAG into `store` and waits until its gate task runs. */
  const startGated = async (store: string, name: string) => {
    const dir = path.join(tmp.dir, name);
    const env = { ...gatedEnv(dir), RXDAG_STORE: '' };
    mkdirSync(dir, { recursive: true });
    const cli = startCli(['run', gatedDag(dir, name), '--store', store, '--kill-grace', '1000'], env);
    clis.push(cli);
    pidFiles.push(env.PIDS);
    // a loaded machine once took more than 15 s here: the failure says how far the run got
    const seen = () => `gate task pids: ${linesOf(env.PIDS).length}, stderr so far: ${JSON.stringify(cli.stderrSoFar())}`;
    const exited = () => cli.child.exitCode !== null || cli.child.signalCode !== null;
    const running = () => linesOf(env.PIDS).length > 0 && printedRunId(cli.stderrSoFar()) !== undefined;
    await waitUntil(() => running() || exited(), 'the gate task to run', 20_000, seen);
    if (!running()) throw new Error(`rxdag run ended (${cli.child.exitCode ?? cli.child.signalCode}) before its gate task ran; ${seen()}`);
    return { cli, env, runId: printedRunId(cli.stderrSoFar())!, gatePid: Number(linesOf(env.PIDS)[0]) };
  };
  /**
   * Starts a gated run through a proxy (with `queryTimeoutMs` when given), freezes the proxy
   * once the gate task runs and sends `signal` to the CLI; `signalledAt` is when.
   */
  const signalWithFrozenStore = async (name: string, signal: NodeJS.Signals, queryTimeoutMs?: number) => {
    const network = await proxy();
    const store = storeOf(network, queryTimeoutMs);
    const started = await startGated(store, name);
    network.freeze();
    const signalledAt = Date.now();
    started.cli.child.kill(signal);
    return { ...started, network, store, signalledAt };
  };
  /** The status `rxdag runs` gives `runId` (read directly, not through a proxy). */
  const statusOf = async (runId: string) => {
    const listed = await rxdagInProcess('runs', '--json', '--store', storeOf());
    const line = listed.stdout.split('\n').find((json) => json.includes(`"runId":"${runId}"`));
    return line === undefined ? undefined : (JSON.parse(line) as { status: string }).status;
  };
  /** Waits until the server dropped the frozen session of `runId` (after a cut) and the run is interrupted. */
  const interruptedOnceFree = async (runId: string) => {
    const deadline = Date.now() + 10_000;
    let status = await statusOf(runId);
    while (status === 'running' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = await statusOf(runId);
    }
    return status;
  };
  // the longest test (it measures a 10 s bound) starts its process first; the others wait until
  // it was signalled, so that their processes do not slow down its start (5 s at most: with
  // `--testNamePattern` it may not run at all)
  let firstSignalled: () => void = () => undefined;
  const signalledFirst = new Promise<void>((resolve) => (firstSignalled = resolve));
  const headStart = () => Promise.race([signalledFirst, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  const quoted = (store: string) => `'${store}'`;
  /** Polls `check` until it holds (at most 5 s). */
  const waitUntilAsync = async (check: () => Promise<boolean>, what: string) => {
    const deadline = Date.now() + 5000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it.concurrent(
    'should exit 130 within bounds on Ctrl-C with a frozen store, saying the cancellation is not recorded and the run can be resumed',
    async () => {
      const signalled = signalWithFrozenStore('sigint-frozen', 'SIGINT');
      void signalled.then(firstSignalled, firstSignalled);
      const { cli, runId, gatePid, network, store, signalledAt } = await signalled;
      const result = await cli.done;
      const exitedAfterMs = Date.now() - signalledAt;
      expect(result.code).toBe(130);
      expect(isRunning(gatePid)).toBe(false);
      expect(result.stdout).toMatch(/dag\.completed cancelled/);
      expect(notices(result.stderr)).toBe(
        'rxdag: stopping: waiting for 1 running shell task to exit (Ctrl-C again to kill it now)\n' +
          `rxdag: the cancellation of run "${runId}" was not recorded within 10 s (the journal ${store} did not answer); ` +
          `the run may stay interrupted (rxdag resume ${runId} --store ${quoted(store)} would finish it: the cancellation, if part of it was recorded, else its tasks)\n`,
      );
      expect(exitedAfterMs).toBeLessThan(14_000);
      network.cut();
      expect(await interruptedOnceFree(runId)).toBe('interrupted');
    },
    30_000,
  );

  it.concurrent(
    'should stop the tasks at once on SIGTERM with a frozen store and exit 143 within bounds, the run left interrupted',
    async () => {
      await headStart();
      const { cli, runId, gatePid, network, store, signalledAt } = await signalWithFrozenStore('sigterm-frozen', 'SIGTERM');
      await waitUntil(() => !isRunning(gatePid), 'the gate task to be stopped', 3000);
      const stoppedAfterMs = Date.now() - signalledAt;
      const result = await cli.done;
      const exitedAfterMs = Date.now() - signalledAt;
      expect(result.code).toBe(143);
      expect(notices(result.stderr)).toBe(
        `rxdag: stopping on SIGTERM: the run is left interrupted, stopping its running shell task (rxdag resume ${runId} --store ${quoted(store)} continues it)\n`,
      );
      expect(stoppedAfterMs).toBeLessThan(1500);
      expect(exitedAfterMs).toBeLessThan(9000);
      network.cut(); // the server drops the session, and the lock with it
      expect(await interruptedOnceFree(runId)).toBe('interrupted');
    },
    30_000,
  );

  it.concurrent(
    'should stop a run whose store stops answering with exit 74 naming the timeout; resume continues it',
    async () => {
      await headStart();
      const network = await proxy();
      const store = storeOf(network, 1000);
      const { cli, env, runId } = await startGated(store, 'frozen-run');
      network.freeze();
      const frozenAt = Date.now();
      writeFileSync(env.GATE, ''); // the gate task ends: its end is to be journaled
      const result = await cli.done;
      const exitedAfterMs = Date.now() - frozenAt;
      expect(result.code).toBe(74);
      expect(notices(result.stderr)).toMatch(
        new RegExp(
          `^rxdag: cannot write the journal ${escape(store)} \\(run "${runId}"\\): cannot append seq \\d+\\.\\.\\d+ to run "${runId}": ` +
            `no answer from the server within 1000 ms \\(query_timeout\\); the server may still write them \\(a resume reads what it holds\\); ` +
            `run stopped \\(rxdag resume ${runId} --store ${escape(quoted(store))} ` +
            'continues it once the store can be written\\)\\n$',
        ),
      );
      expect(exitedAfterMs).toBeLessThan(5000);
      network.cut();
      expect(await interruptedOnceFree(runId)).toBe('interrupted');
      const resumed = await runCli(['resume', runId, '--store', storeOf(), '--quiet'], env);
      expect(resumed.code).toBe(0);
      expect(linesOf(env.MARKERS)).toEqual(['first 1', 'gate 1', 'gate 1', 'last 1']);
    },
    30_000,
  );

  it.concurrent(
    'should exit 74 naming the timeout when the store stops answering as the last task ends, though the run reached its end',
    async () => {
      await headStart();
      const network = await proxy();
      const store = storeOf(network, 1000);
      const dir = path.join(tmp.dir, 'frozen-end');
      const env = { ...gatedEnv(dir), RXDAG_STORE: '' };
      mkdirSync(dir, { recursive: true });
      // the gate task is the last: once it ends, nothing waits for the store before dag.completed
      const dag = writeText(
        path.join(dir, 'frozen-end.yaml'),
        'id: frozen-end\ntasks:\n  - id: first\n    run: "true"\n  - id: gate\n    deps: [first]\n    run: while [ ! -f "$GATE" ]; do sleep 0.05; done\n',
      );
      const cli = startCli(['run', dag, '--store', store], env);
      clis.push(cli);
      await cli.waitForStdout(/task\.started gate/);
      const runId = printedRunId(cli.stderrSoFar())!;
      network.freeze();
      writeFileSync(env.GATE, '');
      const result = await cli.done;
      expect(result.stdout).toMatch(/dag\.completed succeeded/);
      expect(result.code).toBe(74);
      expect(notices(result.stderr)).toMatch(
        new RegExp(
          `^rxdag: cannot write the journal ${escape(store)} \\(run "${runId}"\\): .*no answer from the server within 1000 ms \\(query_timeout\\).*; its end is not recorded \\(rxdag resume ${runId} `,
        ),
      );
      network.cut();
      expect(await interruptedOnceFree(runId)).toBe('interrupted');
    },
    30_000,
  );

  it.concurrent(
    'should stop a run at once with exit 74 when the session holding its lock is terminated, its task stopped, resumable',
    async () => {
      await headStart();
      const store = storeOf();
      const { cli, runId, gatePid } = await startGated(store, 'lost');
      // the gate's start is stored: from here no append is out, only the lost session can tell
      const journal = postgresJournal({ connectionString: db.connectionString, schema: db.schema });
      try {
        const stored = async () =>
          (await journal.events(runId).catch(() => [])).some((e) => e.type === 'task.started' && e.taskId === 'gate');
        await waitUntilAsync(stored, "the gate task's start to be stored");
      } finally {
        await journal.end();
      }
      const holder = await runLockHolder(db, db.schema, runId);
      expect(holder?.applicationName).toBe(`rxdag ${hostname()}:${cli.child.pid}`.slice(0, 63));
      const terminatedAt = Date.now();
      await db.query('SELECT pg_terminate_backend($1)', [holder?.pid]);
      const result = await cli.done;
      const exitedAfterMs = Date.now() - terminatedAt;
      expect(result.code).toBe(74);
      expect(isRunning(gatePid)).toBe(false);
      // the store named once, as the user wrote it; the server's reason
      expect(notices(result.stderr)).toBe(
        `rxdag: cannot write the journal ${store} (run "${runId}"): cannot keep the lock of run "${runId}" (its session ended): ` +
          `terminating connection due to administrator command; run stopped (rxdag resume ${runId} --store ${quoted(store)} continues it once the store can be written, unless another process has)\n`,
      );
      expect(exitedAfterMs).toBeLessThan(3000);
      expect(await statusOf(runId)).toBe('interrupted');
    },
    30_000,
  );

  it.concurrent(
    'should say why a Ctrl-C cancellation could not be written, exit 130, and leave the run resumable',
    async () => {
      await headStart();
      const { cli, runId, network, store, signalledAt } = await signalWithFrozenStore('sigint-unwritten', 'SIGINT', 1000);
      const result = await cli.done;
      const exitedAfterMs = Date.now() - signalledAt;
      expect(result.code).toBe(130);
      expect(notices(result.stderr)).toMatch(
        new RegExp(
          `\\nrxdag: the cancellation of run "${runId}" is not recorded \\(cannot write the journal ${escape(store)}: ` +
            `cannot append seq \\d+\\.\\.\\d+ to run "${runId}": no answer from the server within 1000 ms \\(query_timeout\\); ` +
            `the server may still write them \\(a resume reads what it holds\\)\\); ` +
            `the run stays interrupted \\(rxdag resume ${runId} --store ${escape(quoted(store))} would finish it: the cancellation, if part of it was recorded, else its tasks\\)\\n$`,
        ),
      );
      expect(exitedAfterMs).toBeLessThan(5000);
      network.cut();
      expect(await interruptedOnceFree(runId)).toBe('interrupted');
    },
    30_000,
  );

  it.concurrent(
    "should give up connecting to a server that never answers its startup after the connection string's connect_timeout",
    async () => {
      await headStart();
      // accepts connections and says nothing, not even to the startup message
      const sockets = new Set<Socket>();
      const silent = createServer((socket) => (sockets.add(socket), socket.on('error', () => undefined)));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = silent.address() as AddressInfo;
        const store = `postgres://postgres@127.0.0.1:${port}/test?schema=${db.schema}&connect_timeout=1`;
        const started = Date.now();
        const runs = await rxdagInProcess('runs', '--store', store);
        expect(runs).toMatchObject({
          code: 2,
          stderr: expect.stringContaining('cannot connect: Connection terminated due to connection timeout'),
        });
        expect(Date.now() - started).toBeLessThan(5000); // not the 15 s it waits without one
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
      }
    },
    30_000,
  );

  it.concurrent(
    'should fail runs, show and run against a server that never answers with exit 2, naming the timeout and what it did',
    async () => {
      await headStart();
      const mute = await startMutePostgres();
      try {
        const store = `${mute.url(db.connectionString)}?schema=${db.schema}&query_timeout=1000`;
        const dag = gatedDag(tmp.dir, 'mute');
        const started = Date.now();
        // in this process: what a command prints and returns (`journal.spec.ts` runs such a refusal as a process)
        const [runs, show, run] = await Promise.all([
          rxdagInProcess('runs', '--store', store),
          rxdagInProcess('show', 'some-run', '--store', store),
          rxdagInProcess('run', dag, '--store', store),
        ]);
        const prefix = `rxdag: cannot reach the store: PostgreSQL journal at ${store}: cannot`;
        const timeout = 'no answer from the server within 1000 ms (query_timeout)';
        expect(runs).toMatchObject({ code: 2, stderr: `${prefix} list runs: ${timeout}\n` });
        expect(show).toMatchObject({ code: 2, stderr: `${prefix} read run "some-run": ${timeout}\n` });
        // a store that does not answer is said at the first look, for the run's estimates from earlier runs: not waited for twice
        expect(run).toMatchObject({ code: 2, stderr: `${prefix} read the earlier runs of DAG "mute" for estimates: ${timeout}\n` });
        expect(Date.now() - started).toBeLessThan(8000);
      } finally {
        await mute.close();
      }
    },
    30_000,
  );

  it.concurrent(
    'should fail runs and show with exit 2 naming the timeout while a table lock blocks them',
    async () => {
      await headStart();
      // a schema of its own: the lock would hold up the other tests' runs
      const schema = db.newSchema();
      const runId = (await runToItsEnd(storeOf(undefined, undefined, schema), 'locked'))!;
      const locker = new Client({ connectionString: db.connectionString });
      await locker.connect();
      try {
        await locker.query('BEGIN');
        await locker.query(`LOCK TABLE "${schema}".runs IN ACCESS EXCLUSIVE MODE`);
        const store = storeOf(undefined, 1000, schema);
        const [runs, show] = await Promise.all([rxdagInProcess('runs', '--store', store), rxdagInProcess('show', runId, '--store', store)]);
        const prefix = `rxdag: cannot reach the store: PostgreSQL journal at ${store}: cannot`;
        const timeout = 'no answer from the server within 1000 ms (query_timeout)';
        expect(runs).toMatchObject({ code: 2, stderr: `${prefix} list runs: ${timeout}\n` });
        expect(show).toMatchObject({ code: 2, stderr: `${prefix} read run "${runId}": ${timeout}\n` });
      } finally {
        await locker.query('ROLLBACK');
        await locker.end();
      }
    },
    30_000,
  );

  it.concurrent(
    'should refuse, exit 2 and nothing run, a resume whose store can be read but not written',
    async () => {
      await headStart();
      const { cli, env, runId, gatePid } = await startGated(storeOf(), 'read-only');
      const exited = new Promise((resolve) => cli.child.once('exit', resolve));
      cli.child.kill('SIGKILL');
      await exited;
      process.kill(gatePid, 'SIGKILL');
      expect(await interruptedOnceFree(runId)).toBe('interrupted');
      const started = linesOf(env.PIDS).length;
      // every transaction of its sessions read-only: the run's lock is taken, its first events cannot be written
      const readOnly = `${storeOf()}&options=${encodeURIComponent('-c default_transaction_read_only=on')}`;
      // a process of its own: a command module first required inside a concurrent test is refused by jest
      const result = await runCli(['resume', runId, '--store', readOnly]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        new RegExp(
          `\\nrxdag: PostgreSQL journal at ${escape(readOnly)}: cannot append seq \\d+\\.\\.\\d+ to run "${runId}": cannot execute UPDATE in a read-only transaction; nothing ran now, the run stays interrupted in the store \\(rxdag resume ${runId} --store '${escape(readOnly)}' continues it once the store can be written\\)\\n$`,
        ),
      );
      expect(linesOf(env.PIDS)).toHaveLength(started); // its gate task did not start again
      expect(await statusOf(runId)).toBe('interrupted');
    },
    30_000,
  );

  /** A run of a one-task DAG `name` into `store`, run to its end in this process; its id. */
  async function runToItsEnd(store: string, name: string): Promise<string | undefined> {
    const dag = writeText(path.join(tmp.dir, `${name}.yaml`), [`id: ${name}`, 'tasks:', '  - id: only', '    run: "true"', ''].join('\n'));
    const result = await rxdagInProcess('run', dag, '--store', store, '--quiet');
    expect(result.code).toBe(0);
    return printedRunId(result.stderr);
  }
});

/** `text` for a regular expression that matches it literally. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
