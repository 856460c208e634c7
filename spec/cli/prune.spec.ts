import { hostname } from 'node:os';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { events, fileJournal, type Journal, type JournalWriter, type RunOutcome } from '../../src/index';
import { formatClock } from '../../src/cli/output/textTable';
import { postgresJournal } from '../../src/postgres';
import { describePostgres } from '../support/postgres';
import { ensureBuilt, runCli } from './support/builtCli';
import { tempDir } from './support/files';
import { rxdagInProcess } from './support/inProcessCli';
import { storeFiles } from './support/journaledRuns';
import { CLI_MARK } from '../../src/cli/store/programRuns';

/**
 * `rxdag prune`: forgets runs of a store, named or selected by age (`--older-than`) and count
 * per DAG (`--keep`) among the runs that ended; an interrupted run only with `--interrupted`, a
 * running one never; `--dry-run` changes nothing. Runs are journaled here with the times a spec
 * needs (a run that ended 40 days ago), through the library, and pruned by the built CLI.
 */

const DAY = 86_400_000;

/** `text` as a regular expression that matches it literally. */
const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A run to journal: it started at `startedAt`; it ended at `endedAt` with `outcome`, else it is interrupted (or, `running`, held open). */
interface RunShape {
  readonly runId: string;
  readonly dagId: string;
  readonly startedAt: number;
  readonly endedAt?: number;
  readonly outcome?: RunOutcome;
  readonly running?: boolean;
  /** The agent of its one task: `sleep` (a run of the command line) unless given. */
  readonly agent?: string;
}

/** Journals `run` into `journal`; the writer of a `running` run is left open (this process owns it), and returned. */
async function journalRun(journal: Journal, run: RunShape): Promise<JournalWriter> {
  const { runId, dagId, startedAt, endedAt } = run;
  const writer = await journal.create({
    runId,
    dagId,
    spec: { id: dagId, tasks: [{ id: 'a', agent: run.agent ?? 'sleep' }] },
    // as `rxdag run` marks its runs (a run on another agent is a program's all the same)
    options: { failurePolicy: 'skip-dependents', contextInjection: true, metadata: CLI_MARK },
    createdAt: startedAt,
  });
  const created = events.dagCreated({ runId, seq: 1, at: startedAt, dagId, taskCount: 1 });
  const outcome = run.outcome ?? 'succeeded';
  const completed = events.dagCompleted({
    runId,
    seq: 2,
    at: endedAt ?? startedAt,
    outcome,
    counts: { total: 1, completed: outcome === 'succeeded' ? 1 : 0, failed: outcome === 'failed' ? 1 : 0, skipped: 0, cancelled: 0 },
    durationMs: (endedAt ?? startedAt) - startedAt,
    failures: [],
  });
  await writer.append(endedAt === undefined ? [created] : [created, completed]);
  if (run.running !== true) await writer.close();
  return writer;
}

/** The line `prune` prints for a run it removes (`verb`: `removed` or `would remove`). */
function removedLine(run: RunShape, verb = 'removed'): string {
  const when =
    run.endedAt !== undefined
      ? `${run.outcome ?? 'succeeded'}, ended ${formatClock(run.endedAt)}`
      : `interrupted, started ${formatClock(run.startedAt)}`;
  return `${verb} ${run.runId}  (${when})`;
}

/** The run ids `rxdag runs --json` lists in `store`. */
async function listed(store: string): Promise<string[]> {
  const result = await runCli(['runs', '--store', store, '--json']);
  expect(result.code).toBe(0);
  return result.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { runId: string }).runId);
}

/** The command run in this process: the same code as the built one, without a process to start (the first test and the database's run it built). */
const inProcess = (args: readonly string[]) => rxdagInProcess(...args);

describe('rxdag prune', () => {
  const tmp = tempDir();
  const open: JournalWriter[] = [];
  beforeAll(() => ensureBuilt(), 120_000);
  afterEach(async () => {
    for (const writer of open.splice(0)) await writer.close();
  });
  afterAll(() => tmp.remove());

  /** A store folder of its own holding `runs`. */
  const storeWith = async (name: string, runs: readonly RunShape[]): Promise<string> => {
    const store = tmp.file(name);
    mkdirSync(store);
    const journal = fileJournal(store);
    for (const run of runs) {
      const writer = await journalRun(journal, run);
      if (run.running === true) open.push(writer);
    }
    return store;
  };

  it('should remove the named runs, a line each and a summary, leaving the others', async () => {
    const now = Date.now();
    const old: RunShape = { runId: 'nightly-41', dagId: 'nightly', startedAt: now - 3 * DAY, endedAt: now - 3 * DAY + 60_000 };
    const failed: RunShape = {
      runId: 'nightly-42',
      dagId: 'nightly',
      startedAt: now - 2 * DAY,
      endedAt: now - 2 * DAY + 5000,
      outcome: 'failed',
    };
    const store = await storeWith('named', [
      old,
      failed,
      { runId: 'nightly-43', dagId: 'nightly', startedAt: now - DAY, endedAt: now - DAY },
    ]);

    const result = await runCli(['prune', 'nightly-41', 'nightly-42', '--store', store]);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(`${removedLine(old)}\n${removedLine(failed)}\nremoved 2 runs; 1 kept\n`);
    expect(await listed(store)).toEqual(['nightly-43']);
    expect(Object.keys(storeFiles(store))).toEqual(['nightly-43.jsonl']);
  });

  it("should point an interrupted run a program made at the program's resumeRun, not at rxdag resume", async () => {
    const store = await storeWith('program', [{ runId: 'drafts', dagId: 'd', startedAt: Date.now() - DAY, agent: 'llm' }]);
    const result = await inProcess(['prune', 'drafts', '--store', store]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'rxdag: run "drafts" is interrupted and can still be resumed (resumeRun(journal, "drafts", { agents }) in the program that made it); add --interrupted to remove it anyway\n',
    );
  });

  // read as lines, or only once replayed: an event no run can have gone through (its task never started)
  const corruptions = {
    'a line not JSON': (lines: readonly string[], file: string) => ({
      lines: [...lines.slice(0, -1), 'not json', lines.at(-1)!],
      corrupt: `journal of run "broken" is corrupt at ${file}:${lines.length}: not JSON`,
    }),
    'a task completed that never started': (lines: readonly string[], file: string) => ({
      lines: [
        ...lines,
        JSON.stringify(events.taskCompleted({ runId: 'broken', seq: 2, at: Date.now(), taskId: 'a', attempt: 1, durationMs: 1 })),
      ],
      corrupt: `journal of run "broken" is corrupt at ${file}:3: task.completed for task "a" in status pending (expected running)`,
    }),
  };
  it.each(Object.keys(corruptions) as (keyof typeof corruptions)[])(
    'should not call an interrupted run whose journal is corrupt (%s) resumable, and a bare resume taking it should say how to go on',
    async (corruption) => {
      const store = await storeWith(corruption.replace(/ /g, '-'), [{ runId: 'broken', dagId: 'd', startedAt: Date.now() - DAY }]);
      const file = path.join(store, 'broken.jsonl');
      const made = corruptions[corruption](readFileSync(file, 'utf8').trimEnd().split('\n'), file);
      writeFileSync(file, `${made.lines.join('\n')}\n`);
      const { corrupt } = made;
      const pruned = await inProcess(['prune', 'broken', '--store', store]);
      expect(pruned.code).toBe(2);
      expect(pruned.stderr).toMatch(
        new RegExp(
          `^rxdag: run "broken" is interrupted, and no resume can take it: ${escaped(corrupt)}(?: .*)?; add --interrupted to remove it\n$`,
        ),
      );
      const resumed = await inProcess(['resume', '--store', store]);
      expect(resumed.code).toBe(2);
      expect(resumed.stderr).toMatch(
        new RegExp(
          `^rxdag: ${escaped(corrupt)}(?: .*)?\\. It is the newest interrupted run, taken as no run was named: resume another by its id ` +
            `\\(rxdag runs --store ${escaped(store)} lists them\\), or forget this one \\(rxdag prune broken --store ${escaped(store)} --interrupted\\)\n$`,
        ),
      );
      expect((await inProcess(['prune', 'broken', '--store', store, '--interrupted'])).code).toBe(0);
    },
  );

  it('should refuse an unknown, a running and, without --interrupted, an interrupted run, one line each, exit 2, removing the others', async () => {
    const now = Date.now();
    const ended: RunShape = { runId: 'ended', dagId: 'd', startedAt: now - 3 * DAY, endedAt: now - 3 * DAY };
    const interrupted: RunShape = { runId: 'stopped', dagId: 'd', startedAt: now - 2 * DAY };
    const store = await storeWith('refusals', [ended, interrupted, { runId: 'busy', dagId: 'd', startedAt: now - DAY, running: true }]);

    const result = await inProcess(['prune', 'ended', 'stopped', 'busy', 'nope', '--store', store]);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      [
        `rxdag: run "stopped" is interrupted and can still be resumed (rxdag resume stopped --store ${store}); add --interrupted to remove it anyway`,
        `rxdag: run "busy" is running, owned by ${hostname()}:${process.pid} (this process): wait for it to end or stop it first`,
        `rxdag: run "nope" is not in the store ${store}/ (rxdag runs --store ${store} lists its runs)`,
        '',
      ].join('\n'),
    );
    expect(result.stdout).toBe(`${removedLine(ended)}\nremoved 1 run; 2 kept\n`);
    expect(await listed(store)).toEqual(['busy', 'stopped']);

    const anyway = await inProcess(['prune', 'stopped', 'busy', '--interrupted', '--store', store]);
    expect(anyway.code).toBe(2);
    expect(anyway.stderr).toBe(
      `rxdag: run "busy" is running, owned by ${hostname()}:${process.pid} (this process): wait for it to end or stop it first\n`,
    );
    expect(anyway.stdout).toBe(`${removedLine(interrupted)}\nremoved 1 run; 1 kept\n`);
    expect(await listed(store)).toEqual(['busy']);
  });

  it('should say, of a run locked by a process of another host, to remove its lock file once that process is gone: prune and a bare resume', async () => {
    const store = await storeWith('elsewhere', [{ runId: 'far', dagId: 'd', startedAt: Date.now() - DAY }]);
    const lock = `${store}/far.lock`;
    writeFileSync(lock, JSON.stringify({ host: 'ci-runner-2', pid: 4321, since: 1 }));
    const owner = `process 4321 of host ci-runner-2, whose lock file is ${lock}`;
    const remedy = ' (if that process is gone, its host or container no longer running, remove that lock file)';
    expect(await inProcess(['prune', 'far', '--interrupted', '--store', store])).toMatchObject({
      code: 2,
      stderr: `rxdag: run "far" is running, owned by ${owner}: wait for it to end or stop it first${remedy}\n`,
    });
    const resumed = await inProcess(['resume', '--store', store]);
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toContain(`; the newest running one, far, is owned by ${owner}${remedy}\n`);
  });

  it("should write the host a lock file names with its control characters escaped when resuming the run by name (a store may be another's)", async () => {
    const store = await storeWith('forged-host', [{ runId: 'far', dagId: 'd', startedAt: Date.now() - DAY }]);
    writeFileSync(`${store}/far.lock`, JSON.stringify({ host: 'evil\u001b[2J\nfake line', pid: 4321, since: 1 }));
    const resumed = await inProcess(['resume', 'far', '--store', store]);
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toContain('evil\\u001b[2J\\nfake line');
    expect(resumed.stderr).not.toMatch(/\u001b/);
    expect(resumed.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('should remove, with --older-than, the runs that ended before then, and interrupted runs started before then only with --interrupted', async () => {
    const now = Date.now();
    const oldEnded: RunShape = { runId: 'old-ended', dagId: 'd', startedAt: now - 41 * DAY, endedAt: now - 40 * DAY, outcome: 'cancelled' };
    const oldInterrupted: RunShape = { runId: 'old-interrupted', dagId: 'd', startedAt: now - 39 * DAY };
    const store = await storeWith('older-than', [
      oldEnded,
      oldInterrupted,
      // started long ago, ended lately: its end decides
      { runId: 'long-run', dagId: 'd', startedAt: now - 45 * DAY, endedAt: now - 29 * DAY },
      { runId: 'recent', dagId: 'd', startedAt: now - DAY, endedAt: now - DAY },
      { runId: 'old-running', dagId: 'd', startedAt: now - 50 * DAY, running: true },
    ]);

    const first = await inProcess(['prune', '--older-than', '30d', '--store', store]);
    expect(first).toMatchObject({ code: 0, stderr: '', stdout: `${removedLine(oldEnded)}\nremoved 1 run; 4 kept\n` });

    // 35 days; interrupted runs are candidates now
    const second = await inProcess(['prune', '--older-than', '5w', '--interrupted', '--store', store]);
    expect(second).toMatchObject({ code: 0, stderr: '', stdout: `${removedLine(oldInterrupted)}\nremoved 1 run; 3 kept\n` });
    expect(await listed(store)).toEqual(['recent', 'long-run', 'old-running']);

    const none = await inProcess(['prune', '--older-than', '720h', '--interrupted', '--store', store]);
    expect(none).toMatchObject({ code: 0, stderr: '', stdout: 'no runs to remove\n' });
  });

  it('should keep, with --keep N, the N latest ended runs of each DAG, and with --older-than too remove only what is both', async () => {
    const now = Date.now();
    const nightly = (n: number, daysAgo: number): RunShape => ({
      runId: `nightly-${n}`,
      dagId: 'nightly',
      startedAt: now - daysAgo * DAY,
      endedAt: now - daysAgo * DAY + 1000,
    });
    const runs = [nightly(1, 60), nightly(2, 50), nightly(3, 40), nightly(4, 10)];
    const store = await storeWith('keep', [
      ...runs,
      { runId: 'weekly-1', dagId: 'weekly', startedAt: now - 70 * DAY, endedAt: now - 70 * DAY },
      // the latest nightly run is interrupted: not a candidate, it does not count among the kept
      { runId: 'nightly-5', dagId: 'nightly', startedAt: now - DAY },
    ]);

    const both = await inProcess(['prune', '--keep', '1', '--older-than', '55d', '--store', store]);
    expect(both).toMatchObject({ code: 0, stderr: '', stdout: `${removedLine(runs[0]!)}\nremoved 1 run; 5 kept\n` });

    const keep = await inProcess(['prune', '--keep', '2', '--store', store]);
    expect(keep).toMatchObject({ code: 0, stderr: '', stdout: `${removedLine(runs[1]!)}\nremoved 1 run; 4 kept\n` });
    expect(await listed(store)).toEqual(['nightly-5', 'nightly-4', 'nightly-3', 'weekly-1']);

    const zero = await inProcess(['prune', '--keep', '0', '--store', store]);
    expect(zero.stdout).toMatch(/^removed nightly-4 .*\nremoved nightly-3 .*\nremoved weekly-1 .*\nremoved 3 runs; 1 kept\n$/);
    expect(await listed(store)).toEqual(['nightly-5']);
  });

  it('should say, with --dry-run, what it would remove and change nothing', async () => {
    const now = Date.now();
    const a: RunShape = { runId: 'a', dagId: 'd', startedAt: now - 40 * DAY, endedAt: now - 40 * DAY };
    const b: RunShape = { runId: 'b', dagId: 'd', startedAt: now - 39 * DAY };
    const store = await storeWith('dry-run', [a, b, { runId: 'c', dagId: 'd', startedAt: now, endedAt: now }]);
    const before = storeFiles(store);

    const selected = await inProcess(['prune', '--older-than', '30d', '--interrupted', '--dry-run', '--store', store]);
    expect(selected).toMatchObject({
      code: 0,
      stderr: '',
      stdout: `${removedLine(b, 'would remove')}\n${removedLine(a, 'would remove')}\nwould remove 2 runs; 1 kept\n`,
    });
    const named = await inProcess(['prune', 'a', '--dry-run', '--store', store]);
    expect(named).toMatchObject({ code: 0, stdout: `${removedLine(a, 'would remove')}\nwould remove 1 run; 2 kept\n` });

    expect(storeFiles(store)).toEqual(before);
  });

  it('should refuse options that select no runs, or select them two ways, or a bad --older-than or --keep: exit 2, nothing removed', async () => {
    const now = Date.now();
    const store = await storeWith('bad-options', [{ runId: 'a', dagId: 'd', startedAt: now - 40 * DAY, endedAt: now - 40 * DAY }]);
    const before = storeFiles(store);
    const refused = async (...args: string[]) => {
      const result = await inProcess(['prune', ...args, '--store', store]);
      expect(result).toMatchObject({ code: 2, stdout: '' });
      return result.stderr;
    };

    expect(await refused()).toBe(
      'rxdag: say which runs to remove: name them (rxdag prune RUN_ID...), or select ended runs with --older-than DURATION (e.g. 30d) and/or --keep N (the newest N of each DAG stay)\n',
    );
    expect(await refused('--interrupted')).toMatch(/^rxdag: say which runs to remove: /);
    expect(await refused('a', '--older-than', '30d')).toBe(
      'rxdag: RUN_ID arguments cannot go with --older-than or --keep: name the runs to remove, or select them by age and count\n',
    );
    expect(await refused('a', '--keep', '3')).toMatch(/^rxdag: RUN_ID arguments cannot go with --older-than or --keep/);
    for (const duration of ['30', '30 days', '1.5h', '-2d', 'd']) {
      expect(await refused('--older-than', duration)).toBe(
        `rxdag: --older-than must be a whole number and a unit, s, m, h, d or w, as in 90m, 12h, 30d or 2w (got ${JSON.stringify(duration)})\n`,
      );
    }
    // every problem at once
    expect(await refused('--older-than', '3y', '--keep', '-1')).toBe(
      [
        'rxdag: --older-than must be a whole number and a unit, s, m, h, d or w, as in 90m, 12h, 30d or 2w (got "3y")',
        'rxdag: --keep must be a whole number of runs, 0 or more (got "-1")',
        '',
      ].join('\n'),
    );
    // whole numbers past the largest there is: the largest is said
    expect(await refused('--older-than', '104249992d', '--keep', '99999999999999999999')).toBe(
      [
        'rxdag: --older-than must be at most 104249991d (got "104249992d")',
        'rxdag: --keep must be at most 9007199254740991 runs (got "99999999999999999999")',
        '',
      ].join('\n'),
    );
    expect(storeFiles(store)).toEqual(before);
  });

  it('should find nothing to remove in a folder without a store, and refuse named runs there', async () => {
    const missing = tmp.file('no-store');
    const selected = await inProcess(['prune', '--older-than', '1d', '--store', missing]);
    expect(selected).toMatchObject({
      code: 0,
      stderr: '',
      stdout: `no runs to remove: ${missing}/ has no journal (runs are journaled there by rxdag run)\n`,
    });
    const named = await inProcess(['prune', 'nightly-1', '--store', missing]);
    expect(named).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `rxdag: no store at ${missing}/: the folder does not exist (runs are journaled there by rxdag run)\n`,
    });
  });

  describe('with --logs DIR', () => {
    const now = Date.now();
    const ended = (runId: string): RunShape => ({ runId, dagId: 'd', startedAt: now - 2 * DAY, endedAt: now - DAY });
    /** A folder as `rxdag run --logs` leaves it: a folder of logs for each of `runIds`. */
    const logsOf = (name: string, runIds: readonly string[]): string => {
      const logs = tmp.file(name);
      for (const runId of runIds) {
        mkdirSync(path.join(logs, runId), { recursive: true });
        writeFileSync(path.join(logs, runId, 'a.1.log'), 'output\n');
      }
      return logs;
    };
    /** The log files under `logs`, by their paths in it. */
    const logFiles = (logs: string): string[] =>
      readdirSync(logs, { recursive: true, encoding: 'utf8' })
        .filter((name) => name.endsWith('.log'))
        .sort();

    it("should remove each removed run's task logs, and only theirs; --dry-run says which, removing none", async () => {
      const [gone, noLogs, kept] = [ended('gone'), ended('no-logs'), ended('kept')];
      const store = await storeWith('with-logs', [gone, noLogs, kept]);
      const logs = logsOf('logs', ['gone', 'kept', 'other-store']);

      const dry = await inProcess(['prune', 'gone', 'no-logs', '--logs', logs, '--dry-run', '--store', store]);
      expect(dry).toMatchObject({ code: 0, stderr: '' });
      expect(dry.stdout).toBe(
        `${removedLine(gone, 'would remove')} and its logs ${logs}/gone\n${removedLine(noLogs, 'would remove')}\nwould remove 2 runs; 1 kept\n`,
      );
      expect(logFiles(logs)).toEqual(['gone/a.1.log', 'kept/a.1.log', 'other-store/a.1.log']);

      const result = await inProcess(['prune', 'gone', 'no-logs', '--logs', logs, '--store', store]);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toBe(`${removedLine(gone)} and its logs ${logs}/gone\n${removedLine(noLogs)}\nremoved 2 runs; 1 kept\n`);
      expect(logFiles(logs)).toEqual(['kept/a.1.log', 'other-store/a.1.log']);
    });

    it('should refuse a file or a path through a file, removing nothing, exit 2', async () => {
      const store = await storeWith('logs-file', [ended('r')]);
      const file = tmp.file('not-a-folder');
      writeFileSync(file, '');
      for (const [dir, problem] of [
        [file, `--logs ${JSON.stringify(file)} is a file: give the folder given to rxdag run --logs`],
        [`${file}/logs`, `--logs ${JSON.stringify(`${file}/logs`)}: ENOTDIR (not a directory)`],
      ] as const) {
        const result = await inProcess(['prune', 'r', '--logs', dir, '--store', store]);
        expect(result).toMatchObject({ code: 2, stdout: '', stderr: `rxdag: ${problem}\n` });
      }
      expect(await listed(store)).toEqual(['r']);
    });

    it('should say which logs it could not remove, exit 74, and remove the runs all the same', async () => {
      const store = await storeWith('logs-fail', [ended('first'), ended('second')]);
      // a path longer than the system takes: every look at a run's logs fails
      const logs = path.join(tmp.file('long'), ...Array.from({ length: 40 }, () => 'x'.repeat(120)));
      const result = await inProcess(['prune', 'first', 'second', '--logs', logs, '--store', store]);
      expect(result.code).toBe(74);
      expect(result.stderr).toBe(
        ['first', 'second']
          .map((runId) => `rxdag: could not remove the logs of run "${runId}" (${logs}/${runId}): ENAMETOOLONG (name too long)\n`)
          .join(''),
      );
      expect(result.stdout).toBe(`${removedLine(ended('first'))}\n${removedLine(ended('second'))}\nremoved 2 runs; 0 kept\n`);
      expect(await listed(store)).toEqual([]);
    });
  });

  it('should name a file of the store it cannot read, as rxdag runs does, and never remove it, exit 2', async () => {
    const now = Date.now();
    const old: RunShape = { runId: 'old', dagId: 'd', startedAt: now - 40 * DAY, endedAt: now - 40 * DAY };
    const store = await storeWith('unreadable', [old]);
    const junk = path.join(store, 'junk.jsonl');
    writeFileSync(junk, 'not a run header\n');
    const line = `journal of run "junk" is corrupt at ${junk}:1: the header is not JSON`;

    const selected = await inProcess(['prune', '--older-than', '30d', '--store', store]);
    expect(selected.code).toBe(2);
    expect(selected.stderr).toMatch(
      new RegExp(
        `^rxdag: ${escape(line)} \\(.*\\) \\(not removed; to go on without it, set it aside: mv ${escape(junk)} ${escape(junk)}\\.bad\\)\\n$`,
      ),
    );
    expect(selected.stdout).toBe(`${removedLine(old)}\nremoved 1 run; 0 kept\n`);

    const named = await inProcess(['prune', 'junk', '--store', store]);
    // the run named was refused: its refusal is all that is said
    expect(named).toMatchObject({ code: 2, stdout: '' });
    expect(named.stderr).toMatch(
      new RegExp(
        `^rxdag: ${escape(line)} .*\\(not removed; to go on without it, set it aside: mv ${escape(junk)} ${escape(junk)}\\.bad\\)\\n$`,
      ),
    );
    expect(Object.keys(storeFiles(store))).toEqual(['junk.jsonl']);
  });
});

describePostgres('rxdag prune with a PostgreSQL store', (db) => {
  beforeAll(() => ensureBuilt(), 120_000);

  it('should remove the runs that ended before --older-than from the database, and keep a running one', async () => {
    const now = Date.now();
    const journal = postgresJournal({ connectionString: db.connectionString, schema: db.schema });
    db.onCleanup(() => journal.end());
    const old: RunShape = { runId: 'pg-old', dagId: 'd', startedAt: now - 40 * DAY, endedAt: now - 40 * DAY, outcome: 'failed' };
    await journalRun(journal, old);
    await journalRun(journal, { runId: 'pg-recent', dagId: 'd', startedAt: now - DAY, endedAt: now - DAY });
    const running = await journalRun(journal, { runId: 'pg-running', dagId: 'd', startedAt: now - 50 * DAY, running: true });
    const store = `${db.connectionString}?schema=${db.schema}`;
    try {
      const result = await runCli(['prune', '--older-than', '30d', '--store', store]);
      expect(result).toMatchObject({ code: 0, stderr: '', stdout: `${removedLine(old)}\nremoved 1 run; 2 kept\n` });
      const rows = await db.query<{ run_id: string }>(`SELECT run_id FROM "${db.schema}".runs ORDER BY run_id`);
      expect(rows.map((row) => row.run_id)).toEqual(['pg-recent', 'pg-running']);
      expect(await db.query(`SELECT 1 FROM "${db.schema}".events WHERE run_id = 'pg-old'`)).toEqual([]);

      const named = await runCli(['prune', 'pg-running', '--interrupted', '--store', store]);
      expect(named.code).toBe(2);
      // the session of this process that holds its lock, as the server knows it
      expect(named.stderr).toMatch(
        new RegExp(
          `^rxdag: run "pg-running" is running, owned by ${hostname()}:${process.pid} \\(PostgreSQL backend pid \\d+\\): wait for it to end or stop it first\\n$`,
        ),
      );
    } finally {
      await running.close();
    }
    expect(await listed(store)).toEqual(['pg-recent', 'pg-running']);
  }, 60_000);
});

/** `text` for a regular expression that matches it literally. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
