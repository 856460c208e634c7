import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DagEvent } from '../../src/index';
import { describePostgres } from '../support/postgres';
import { CLI, type CliResult, ensureBuilt, notices, printedRunId, ROOT, runCli, SPEC_STORE } from './support/builtCli';
import { tempDir, writeText } from './support/files';
import { rxdagInProcess } from './support/inProcessCli';
import { rxdagWith } from './support/liveInProcessCli';
import { gatedDag, gatedEnv, interruptedRun, journalEvents, linesOf } from './support/journaledRuns';

/**
 * `rxdag run` journals every run (into `.rxdag/` of the working directory, `RXDAG_STORE`, or
 * `--store`; `--no-journal` writes none) and says its id once on stderr; `rxdag runs` lists a
 * store's runs and `rxdag show` one run (every failure, timings, its report); a failed run ends
 * with the list of every failure; shell tasks see the run's ids; a journal that cannot be
 * written stops the run (exit 74) and a store that cannot be reached refuses it (exit 2).
 */
describe('rxdag run with a journal, rxdag runs, rxdag show', () => {
  const tmp = tempDir();
  beforeAll(async () => {
    await ensureBuilt();
    // started now, so that its processes wait beside the first tests' own
    void journaled();
  }, 120_000);
  afterAll(() => tmp.remove());

  /** A DAG file with two failing shell tasks (stderr lines in their errors), a skipped and a completed one. */
  const failing = writeText(
    tmp.file('two-failures.yaml'),
    [
      'id: two-failures',
      'tasks:',
      '  - id: ok',
      '    run: echo "$RXDAG_RUN_ID $RXDAG_TASK_ID $RXDAG_IDEMPOTENCY_KEY"',
      '  - id: compile',
      '    deps: [ok]',
      `    run: 'echo "warning: old flag" >&2; echo "error: missing semicolon" >&2; exit 3'`,
      '  - id: lint',
      '    deps: [ok]',
      `    run: 'echo "src/a.ts:1 unused" >&2; exit 4'`,
      '  - id: ship',
      '    deps: [compile, lint]',
      '    sleep: 1',
      '',
    ].join('\n'),
  );
  const passing = writeText(tmp.file('passing.yaml'), 'id: passing\ntasks:\n  - id: only\n    sleep: 1\n');
  /** A folder of its own for a test. */
  const folder = (name: string) => {
    const dir = path.join(tmp.dir, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  };

  /**
   * The `rxdag run` processes most tests read (started once, by the first test that asks): the
   * failing DAG with --quiet, then the passing one, journaled into RXDAG_STORE (`store`); beside
   * them the failing DAG with --json into a --store of its own (`flagStore`), RXDAG_STORE naming
   * the other. What the tests then list and show runs in this process.
   */
  let journaledRuns: ReturnType<typeof runJournaled> | undefined;
  const journaled = () => (journaledRuns ??= runJournaled());
  async function runJournaled() {
    const dir = folder('journaled');
    const store = path.join(dir, 'store');
    const flagStore = path.join(dir, 'flag-store');
    const env = { RXDAG_STORE: store };
    const inOrder = async () => {
      const failed = await runCli(['run', failing, '--quiet'], env);
      return { failed, passed: await runCli(['run', passing, '--quiet'], env) };
    };
    const [{ failed, passed }, json] = await Promise.all([inOrder(), runCli(['run', failing, '--json', '--store', flagStore], env)]);
    const ids = { failed: printedRunId(failed.stderr)!, passed: printedRunId(passed.stderr)!, json: printedRunId(json.stderr)! };
    return { dir, store, flagStore, failed, passed, json, ids };
  }

  it('should journal into .rxdag/ of the working directory and print the run id once on stderr, stdout staying JSON lines', async () => {
    const cwd = folder('cwd');
    const result = await runCli(['run', passing, '--json'], { RXDAG_STORE: '' }, { cwd });
    expect(result.code).toBe(0);
    const runId = printedRunId(result.stderr)!;
    expect(runId).toMatch(/^passing-\d{8}-\d{4}-[0-9a-z]{4}$/);
    expect(result.stderr).toBe(`rxdag: run ${runId} (journal .rxdag/; resume with: rxdag resume ${runId})\n`);
    const printed = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as DagEvent);
    expect(readdirSync(path.join(cwd, '.rxdag')).sort()).toEqual(['.gitignore', `${runId}.jsonl`]);
    expect(journalEvents(path.join(cwd, '.rxdag'), runId)).toEqual(printed);
    // its agents (shell, sleep) never read their dependencies' outputs: none is handed to them (nor sent with remote jobs)
    const header = JSON.parse(readFileSync(path.join(cwd, '.rxdag', `${runId}.jsonl`), 'utf8').split('\n')[0]!) as { options: object };
    expect(header.options).toMatchObject({ contextInjection: false });
  }, 20_000);

  it('should write no journal and print no run id with --no-journal', async () => {
    const cwd = folder('no-journal');
    const result = await runCli(['run', passing, '--no-journal', '--quiet'], { RXDAG_STORE: '' }, { cwd });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(readdirSync(cwd)).toEqual([]);
    const both = await rxdagInProcess('run', passing, '--no-journal', '--store', cwd);
    expect(both).toEqual({
      code: 2,
      stdout: '',
      stderr: 'rxdag: --store and --no-journal cannot be used together (--no-journal writes no journal anywhere)\n',
    });
    expect(readdirSync(cwd)).toEqual([]);
  }, 20_000);

  it('should journal into RXDAG_STORE, and into --store before it (which the resume hint then names)', async () => {
    const { store, flagStore, failed, passed, json, ids } = await journaled();
    expect([failed.code, passed.code, json.code]).toEqual([1, 0, 1]);
    expect(readdirSync(store).sort()).toEqual(['.gitignore', `${ids.failed}.jsonl`, `${ids.passed}.jsonl`].sort());
    expect(readdirSync(flagStore).sort()).toEqual(['.gitignore', `${ids.json}.jsonl`]);
    expect(passed.stderr).toBe(`rxdag: run ${ids.passed} (journal ${store}/; resume with: rxdag resume ${ids.passed})\n`);
    expect(json.stderr.split('\n')[0]).toBe(
      `rxdag: run ${ids.json} (journal ${flagStore}/; resume with: rxdag resume ${ids.json} --store ${flagStore})`,
    );
  }, 30_000);

  it('should end a failed run with every failure and its stderr lines (on stderr with --json)', async () => {
    const { failed: lines, json } = await journaled();
    expect(lines.code).toBe(1);
    const list = [
      'rxdag: 2 tasks failed:',
      '  compile (attempt 1): ShellCommandError: `echo "warning: old flag" >&2; echo "error: missing semicolon" >&2; exit 3` exited with code 3; last stderr lines:',
      '      warning: old flag',
      '      error: missing semicolon',
      '  lint (attempt 1): ShellCommandError: `echo "src/a.ts:1 unused" >&2; exit 4` exited with code 4; last stderr lines:',
      '      src/a.ts:1 unused',
    ];
    const sorted = (text: string) => {
      // the two tasks run side by side: either may fail first
      const at = text.indexOf('rxdag: 2 tasks failed:');
      return at < 0 ? [] : text.slice(at).trimEnd().split('\n');
    };
    const printed = sorted(lines.stdout);
    expect(printed).toHaveLength(list.length);
    expect(new Set(printed)).toEqual(new Set(list));
    expect(notices(lines.stderr)).toBe('');
    expect(json.code).toBe(1);
    for (const line of json.stdout.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    expect(new Set(sorted(notices(json.stderr)))).toEqual(new Set(list));
  }, 30_000);

  it('should give shell tasks RXDAG_RUN_ID, RXDAG_TASK_ID and RXDAG_IDEMPOTENCY_KEY', async () => {
    const { json: result, ids } = await journaled();
    const runId = ids.json;
    const ok = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as DagEvent)
      .find((event) => event.type === 'task.completed' && event.taskId === 'ok');
    expect(ok).toMatchObject({ output: { stdout: `${runId} ok ${runId}/ok` } });
  }, 30_000);

  it('should list the runs of a store, newest first, as a table or JSON lines, and say when there are none', async () => {
    const {
      store,
      ids: { failed, passed },
    } = await journaled();

    const table = await rxdagInProcess('runs', '--store', store);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    const rows = table.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^RUN\s+DAG\s+STATUS\s+STARTED\s+TOOK\s+COMPLETED\s+FAILED\s+SKIPPED\s+TOTAL$/);
    expect(rows[1]).toMatch(
      new RegExp(
        `^${passed}\\s+passing\\s+succeeded\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+(?:\\d+ ms|\\d+(?:\\.\\d+)? s)\\s+1\\s+0\\s+0\\s+1$`,
      ),
    );
    expect(rows[2]).toMatch(
      new RegExp(`^${failed}\\s+two-failures\\s+failed\\s+\\S+ \\S+\\s+(?:\\d+ ms|\\d+(?:\\.\\d+)? s)\\s+1\\s+2\\s+1\\s+4$`),
    );
    expect(rows).toHaveLength(3);

    const json = await rxdagWith({ env: { RXDAG_STORE: store } }, 'runs', '--json');
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([
      expect.objectContaining({
        runId: passed,
        dagId: 'passing',
        status: 'succeeded',
        counts: expect.objectContaining({ total: 1, completed: 1 }),
      }),
      expect.objectContaining({
        runId: failed,
        dagId: 'two-failures',
        status: 'failed',
        counts: { total: 4, completed: 1, failed: 2, skipped: 1, cancelled: 0 },
      }),
    ]);

    const file = path.join(folder('a-file-store'), 'store');
    writeFileSync(file, '');
    expect(await rxdagInProcess('runs', '--store', file)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: no store at ${file}/: "${file}" is not a directory\n`,
    });
    // a path through that file: no folder can ever be there, which a listing says rather than "no runs"
    for (const command of [['runs'], ['resume'], ['show', 'x-1']]) {
      expect(await rxdagInProcess(...command, '--store', path.join(file, 'below'))).toEqual({
        code: 2,
        stdout: '',
        stderr: `rxdag: no store at ${file}/below/: "${file}" is not a directory\n`,
      });
    }

    const none = 'no runs: .rxdag/ has no journal (runs are journaled there by rxdag run)\n';
    const empty = { env: { RXDAG_STORE: '' }, cwd: folder('runs') };
    expect(await rxdagWith(empty, 'runs')).toEqual({ code: 0, stdout: none, stderr: '' });
    expect(await rxdagWith(empty, 'runs', '--json')).toEqual({ code: 0, stdout: '', stderr: none });
  }, 30_000);

  it("should list, show and resume around a run's file that cannot be read, naming it and leaving it as it is", async () => {
    const {
      store: journaledStore,
      ids: { passed },
    } = await journaled();
    // a store of its own: the passing run's journal, and a file beside it that is not one
    const store = path.join(folder('unreadable'), 'store');
    mkdirSync(store);
    copyFileSync(path.join(journaledStore, `${passed}.jsonl`), path.join(store, `${passed}.jsonl`));
    const bad = path.join(store, 'stray.jsonl');
    writeFileSync(bad, '{"not a header\n');
    const corrupt = `journal of run "stray" is corrupt at ${bad}:1: the header is not JSON`;

    const table = await rxdagInProcess('runs', '--store', store);
    expect(table.code).toBe(2);
    expect(table.stdout).toMatch(new RegExp(`^RUN .*\n${passed}\\s+passing\\s+succeeded`));
    expect(table.stderr).toMatch(
      new RegExp(
        `^rxdag: ${escape(corrupt)} \\(.+\\) \\(left out of the list; to go on without it, set it aside: mv ${escape(bad)} ${escape(bad)}\\.bad\\)\n$`,
      ),
    );
    const json = await rxdagInProcess('runs', '--store', store, '--json');
    expect(json.code).toBe(2);
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { runId: string }).runId),
    ).toEqual([passed]);

    const shown = await rxdagInProcess('show', passed, '--store', store);
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    expect(shown.stdout).toContain(`run ${passed}: DAG passing, succeeded`);
    // an ended run: every task ended, nothing to resume
    expect(shown.stdout).toContain('\n  tasks    1: 1 completed, 0 failed, 0 skipped, 0 cancelled\n');
    expect(shown.stdout).not.toContain('\n  resume ');
    const own = await rxdagInProcess('show', 'stray', '--store', store);
    expect(own).toMatchObject({ code: 2, stdout: '' });
    expect(own.stderr).toMatch(new RegExp(`^rxdag: ${escape(corrupt)}`));

    const resumed = await rxdagInProcess('resume', '--store', store);
    expect(resumed).toMatchObject({ code: 2, stdout: '' });
    expect(resumed.stderr).toContain(`${corrupt}`);
    expect(resumed.stderr).toContain('name the run (rxdag resume RUN_ID)');
    expect(readFileSync(bad, 'utf8')).toBe('{"not a header\n');
    expect(readdirSync(store).sort()).toEqual([`${passed}.jsonl`, 'stray.jsonl']);
  }, 30_000);

  it('should show a failed run: summary, every failure with its stderr lines, timings, --json and --report', async () => {
    const {
      store,
      ids: { failed: runId },
    } = await journaled();
    const env = { env: { RXDAG_STORE: store } };
    const report = path.join(folder('show'), 'report.html');

    const shown = await rxdagWith(env, 'show', runId, '--report', report);
    expect(shown).toMatchObject({ code: 0, stderr: `wrote ${report} (${journalEvents(store, runId).length} events)\n` });
    const text = shown.stdout;
    expect(text).toMatch(
      new RegExp(
        `^run ${runId}: DAG two-failures, failed\\n  store    ${store}/\\n  started  \\S+ \\S+, took (?:\\d+ ms|\\d+(?:\\.\\d+)? s)\\n  tasks    4: 1 completed, 2 failed, 1 skipped, 0 cancelled\\n`,
      ),
    );
    expect(text).toContain('\n2 tasks failed:\n');
    expect(text).toContain('exited with code 3; last stderr lines:\n      warning: old flag\n      error: missing semicolon\n');
    expect(text).toContain('exited with code 4; last stderr lines:\n      src/a.ts:1 unused\n');
    // a sleep is its own estimate; a skipped task says why
    expect(text).toMatch(/\nTASK\s+STATE\s+STARTED\s+TOOK\s+ATTEMPTS\s+ESTIMATE\s+WHY\n/);
    expect(text).toMatch(/\nok\s+completed\s+\+(?:\d+ ms|\d+(?:\.\d+)? s)\s+(?:\d+ ms|\d+(?:\.\d+)? s)\s+1\s+-\n/);
    // the first of its two dependencies to fail
    expect(text).toMatch(/\nship\s+skipped\s+-\s+-\s+0\s+1 ms\s+upstream task "(compile|lint)" failed\n/);

    const json = JSON.parse((await rxdagWith(env, 'show', runId, '--json')).stdout);
    expect(json).toMatchObject({ runId, dagId: 'two-failures', status: 'failed', resumed: 0, counts: { total: 4, failed: 2 } });
    expect(json.failures.map((f: { taskId: string }) => f.taskId).sort()).toEqual(['compile', 'lint']);
    expect(json.tasks).toContainEqual({
      id: 'ship',
      state: 'skipped',
      attempts: 0,
      estimateMs: 1,
      because: expect.stringMatching(/^upstream task "(compile|lint)" failed$/),
    });
    expect(json.tasks).toContainEqual(
      expect.objectContaining({ id: 'ok', state: 'completed', attempts: 1, durationMs: expect.any(Number) }),
    );

    const html = readFileSync(report, 'utf8');
    expect(html).toContain(`run ${runId}`);
    expect(html).toContain('<span class="outcome badge failed">failed</span>');

    expect(await rxdagWith(env, 'show', 'nope')).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `rxdag: run "nope" is not in the store ${store}/ (rxdag runs lists its runs)\n`,
    });
    // an id typed in may be anything: a long one is cut, its length said
    const long = 'x'.repeat(100_000);
    expect(await rxdagWith(env, 'show', long)).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `rxdag: run "${'x'.repeat(80)}…" (100000 characters) is not in the store ${store}/ (rxdag runs lists its runs)\n`,
    });
    // a DAG's id, not a run's: its newest run is named
    expect(await rxdagWith(env, 'show', 'two-failures')).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `rxdag: run "two-failures" is not in the store ${store}/: two-failures is a DAG, whose newest run is ${runId} (rxdag show ${runId})\n`,
    });
  }, 30_000);

  it('should stop the run with one line and exit 74 when the journal cannot be written', async () => {
    const dir = folder('journal-full');
    const store = path.join(dir, 'store');
    const tasks = Array.from({ length: 40 }, (_, i) => `  - id: t${i}\n    sleep: 2${i === 0 ? '' : `\n    deps: [t${i - 1}]`}`);
    const file = writeText(path.join(dir, 'chain.yaml'), `id: chain\ntasks:\n${tasks.join('\n')}\n`);
    // a file size limit of 8 KiB (16 blocks of 512 bytes): the header fits, the run's events do not
    const result = await runInShell(`ulimit -f 16; exec "$0" "$@"`, [process.execPath, CLI, 'run', file, '--store', store, '--quiet']);
    expect(result.code).toBe(74);
    const runId = printedRunId(result.stderr)!;
    expect(notices(result.stderr)).toBe(
      `rxdag: cannot write the journal ${store}/ (run "${runId}"): EFBIG (file too large); run stopped (rxdag resume ${runId} --store ${store} continues it once the store can be written)\n`,
    );
    // what the journal holds stays: the run can be resumed where the store has room
    const resumed = await rxdagWith({ env: { RXDAG_STORE: store } }, 'resume', '--quiet');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/dag\.completed succeeded: 40\/40 completed/);
  }, 30_000);

  it('should refuse a store that cannot be reached with one line and exit 2, its password never printed, nothing run', async () => {
    const dir = folder('unreachable');
    const events = path.join(dir, 'events.jsonl');
    const store = 'postgres://rxdag:s3cret-pw@127.0.0.1:1/runs';
    // run and resume in their own processes, runs and show in this one
    const results = await Promise.all([
      runCli(['run', failing, '--store', store, '--events', events]),
      rxdagInProcess('runs', '--store', store),
      rxdagInProcess('show', 'some-run', '--store', store),
      runCli(['resume', '--store', store]),
    ]);
    for (const result of results) {
      expect(result).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr).toMatch(
        /^rxdag: cannot reach the store: PostgreSQL journal at postgres:\/\/rxdag:\*\*\*@127\.0\.0\.1:1\/runs: cannot .*ECONNREFUSED.*\n$/,
      );
      expect(result.stderr).not.toContain('s3cret');
    }
    expect(existsSync(events)).toBe(false);
  }, 60_000);
});

describePostgres('rxdag run, runs, show and resume with a PostgreSQL store', (db) => {
  const tmp = tempDir();
  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(() => tmp.remove());

  it('should journal a run into the database, list it, show it and resume an interrupted one', async () => {
    const store = `${db.connectionString}?schema=${db.schema}`;
    const env = { ...gatedEnv(tmp.dir), RXDAG_STORE: store };
    const runId = await interruptedRun(gatedDag(tmp.dir, 'pg-gated'), env);
    const listed = await rxdagWith({ env }, 'runs', '--json');
    expect(JSON.parse(listed.stdout)).toMatchObject({ runId, status: 'interrupted', counts: { completed: 1 } });
    // what is left, and how to go on (the store is the environment's: no --store)
    expect((await rxdagWith({ env }, 'show', runId)).stdout).toContain(
      `\n  tasks    3: 1 completed, 0 failed, 0 skipped, 0 cancelled, 2 not ended\n  resume   rxdag resume ${runId}\n`,
    );
    writeFileSync(env.GATE, '');
    const resumed = await runCli(['resume', '--quiet'], env);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`^rxdag: resuming run ${runId} \\(journal postgres://`));
    const shown = JSON.parse((await rxdagWith({ env }, 'show', runId, '--json')).stdout);
    expect(shown).toMatchObject({ runId, status: 'succeeded', resumed: 1, counts: { total: 3, completed: 3 } });
    expect(linesOf(env.MARKERS)).toEqual(['first 1', 'gate 1', 'gate 1', 'last 1']);
  }, 60_000);

  it('should read a schema that holds no run without creating anything in it', async () => {
    const schema = db.newSchema();
    const store = `${db.connectionString}?schema=${schema}`;
    const [runs, show, resume] = await Promise.all([
      rxdagInProcess('runs', '--store', store),
      rxdagInProcess('show', 'nope', '--store', store),
      runCli(['resume', '--store', store]),
    ]);
    // nothing was ever journaled there (a misspelt schema, say): not an emptied store
    expect([runs.code, runs.stdout]).toEqual([0, `no runs: ${store} has no journal (runs are journaled there by rxdag run)\n`]);
    expect([show.code, show.stderr]).toEqual([2, expect.stringMatching(/^rxdag: run "nope" is not in the store postgres:\/\/[^\n]*\n$/)]);
    expect([resume.code, resume.stderr]).toEqual([
      2,
      expect.stringMatching(/^rxdag: no interrupted run to resume in the store postgres:\/\/[^\n]*\n$/),
    ]);
    expect(await db.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).toEqual([]);
  });

  it('should tell a store whose runs were all removed from one never journaled into', async () => {
    const store = `${db.connectionString}?schema=${db.newSchema()}`;
    const file = writeText(tmp.file('emptied.yaml'), 'id: emptied\ntasks:\n  - id: a\n    sleep: 1\n');
    const run = await rxdagInProcess('run', file, '--store', store, '--quiet');
    const runId = printedRunId(run.stderr)!;
    expect((await rxdagInProcess('prune', runId, '--store', store)).code).toBe(0);
    expect(await rxdagInProcess('runs', '--store', store)).toMatchObject({ code: 0, stdout: `no runs in the store ${store}\n` });
  });

  it("should keep PGPASSWORD from the tasks when it is the store's password, and pass it on with a folder store", async () => {
    const file = writeText(
      tmp.file('pgpassword.yaml'),
      'id: pgpassword\ntasks:\n  - id: a\n    run: echo "password=${PGPASSWORD-unset}."\n',
    );
    const env = { PGPASSWORD: 'st0re-pw' }; // trust auth: the server asks for none
    const address = (password: string) => {
      const url = new URL(db.connectionString);
      url.password = password;
      url.searchParams.set('schema', db.newSchema());
      return url.href;
    };
    const withPostgres = await runCli(['run', file, '--store', address(''), '--json'], env);
    const withFolder = await runCli(['run', file, '--store', tmp.file('pgpassword-store'), '--json'], env);
    const withPasswordInAddress = await runCli(['run', file, '--store', address('other'), '--json'], env);
    expect(
      [withPostgres, withFolder, withPasswordInAddress].map(({ code, stdout }) => [code, /password=([^.]*)\./.exec(stdout)?.[1]]),
    ).toEqual([
      [0, 'unset'],
      [0, 'st0re-pw'],
      [0, 'st0re-pw'],
    ]);
  });

  it("should keep PGPASSWORD from the tasks of a resume when it is the store's password", async () => {
    const dir = tmp.file('pgpassword-resume');
    mkdirSync(dir);
    const gates = gatedEnv(dir);
    const file = writeText(
      path.join(dir, 'dag.yaml'),
      'id: pgpassword-resume\ntasks:\n  - id: gate\n' +
        '    run: echo $$ >> "$PIDS"; echo "${PGPASSWORD-unset}" >> "$MARKERS"; while [ ! -f "$GATE" ]; do sleep 0.05; done\n',
    );
    const url = new URL(db.connectionString);
    url.searchParams.set('schema', db.newSchema());
    const env = { ...gates, RXDAG_STORE: url.href, PGPASSWORD: 'st0re-pw' }; // trust auth: the server asks for none
    const runId = await interruptedRun(file, env);
    writeFileSync(gates.GATE, '');
    expect((await runCli(['resume', runId, '--quiet'], env)).code).toBe(0);
    // the killed attempt, then the one the resume ran
    expect(linesOf(gates.MARKERS)).toEqual(['unset', 'unset']);
  });
});

/** Runs `script` with `/bin/sh -c` (its `$0`, `$@`: `args`), journaling into the specs' store unless told otherwise. */
function runInShell(script: string, args: readonly string[]): Promise<CliResult> {
  const child = spawn('/bin/sh', ['-c', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, RXDAG_STORE: SPEC_STORE },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** `text` for a regular expression that matches it literally. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
