import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { events, fileJournal, type JournalWriter, type RunOutcome } from '../../../src/index';
import { tempDir } from '../support/files';
import { rxdagInProcess as rxdag } from '../support/inProcessCli';

/**
 * `rxdag resume` of a run that ended `cancelled` (Ctrl-C cancels a run for good), by id or as
 * the newest run of the store: the one-line refusal (exit 2) says how a run is stopped so that
 * it can be resumed, and how to start it over. Other ended runs are refused without it.
 */
describe('rxdag resume (a cancelled run)', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  /** A store folder holding one run per `[runId, outcome]`, started in that order, each ended so. */
  const storeWith = async (name: string, runs: readonly (readonly [string, RunOutcome | 'interrupted'])[]): Promise<string> => {
    const dir = tmp.file(name);
    mkdirSync(dir);
    for (const [i, [runId, outcome]] of runs.entries()) {
      const at = Date.UTC(2026, 10, 30, 12, i);
      const dagId = runId.replace(/-\d+$/, ''); // nightly-2 is a run of DAG nightly
      const writer = fileJournal(dir).create({
        runId,
        dagId,
        spec: { id: dagId, tasks: [{ id: 'a', agent: 'sleep', input: 1 }] },
        options: { failurePolicy: 'skip-dependents', contextInjection: false },
        createdAt: at,
      }) as JournalWriter;
      const cancelled = outcome === 'cancelled' ? 1 : 0;
      if (outcome === 'interrupted') {
        // its process died: no end, no owner
        writer.append([events.dagCreated({ runId, seq: 1, at, dagId, taskCount: 1 })]);
        await writer.close();
        continue;
      }
      writer.append([
        events.dagCreated({ runId, seq: 1, at, dagId, taskCount: 1 }),
        events.dagCompleted({
          runId,
          seq: 2,
          at,
          outcome,
          counts: { total: 1, completed: 1 - cancelled, failed: 0, skipped: 0, cancelled },
          durationMs: 0,
          failures: [],
        }),
      ]);
      await writer.close();
    }
    return dir;
  };

  const HINT = 'Ctrl-C cancels a run, SIGTERM leaves it resumable; to start it over, run the DAG file again: rxdag run FILE';
  const FAILED_RUN_HINT =
    'a run that failed is not continued: after a fix, run the DAG file again (rxdag run FILE), and every task runs again';

  it('should say how a run is stopped so that it can be resumed, refusing a cancelled run by id', async () => {
    const store = await storeWith('by-id', [['nightly-1', 'cancelled']]);
    expect(await rxdag('resume', 'nightly-1', '--store', store)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: run "nightly-1" already ended (cancelled); there is nothing to resume (${HINT})\n`,
    });
  });

  it('should say it when the newest run of the store was cancelled and none is interrupted', async () => {
    const store = await storeWith('newest', [
      ['nightly-1', 'succeeded'],
      ['nightly-2', 'cancelled'],
    ]);
    expect(await rxdag('resume', '--store', store)).toEqual({
      code: 2,
      stdout: '',
      stderr:
        `rxdag: no interrupted run to resume in the store ${store}/ (every run ended; rxdag runs --store ${store} lists them); ` +
        `the newest, nightly-2, was cancelled (${HINT})\n`,
    });
  });

  it('should finish a cancellation the journal holds part of (a Ctrl-C whose end a full disk cut), exit 130 as the Ctrl-C', async () => {
    const dir = tmp.file('part-cancelled');
    mkdirSync(dir);
    const runId = 'cut-1';
    const at = Date.UTC(2026, 10, 30, 12);
    const writer = fileJournal(dir).create({
      runId,
      dagId: 'cut',
      spec: { id: 'cut', tasks: ['a', 'b'].map((id) => ({ id, agent: 'sleep', input: 1 })) },
      options: { failurePolicy: 'skip-dependents', contextInjection: false },
      createdAt: at,
    }) as JournalWriter;
    writer.append([
      events.dagCreated({ runId, seq: 1, at, dagId: 'cut', taskCount: 2 }),
      events.taskReady({ runId, seq: 2, at, taskId: 'a', attempt: 1 }),
      events.taskReady({ runId, seq: 3, at, taskId: 'b', attempt: 1 }),
      events.taskCancelled({ runId, seq: 4, at, taskId: 'a', attempt: 1 }),
    ]);
    await writer.close();
    const resumed = await rxdag('resume', runId, '--store', dir);
    expect(resumed.code).toBe(130);
    expect(resumed.stdout).toMatch(/dag\.completed cancelled: 0\/2 completed, 0 failed, 0 skipped, 2 cancelled/);
  });

  it('should refuse a failed run, saying that a fixed run is a new run of the file', async () => {
    const store = await storeWith('others', [
      ['nightly-1', 'cancelled'],
      ['nightly-2', 'failed'],
    ]);
    expect(await rxdag('resume', 'nightly-2', '--store', store)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: run "nightly-2" already ended (failed); there is nothing to resume (${FAILED_RUN_HINT})\n`,
    });
    // the newest failed: an older cancelled run is not the one asked for
    expect((await rxdag('resume', '--store', store)).stderr).toBe(
      `rxdag: no interrupted run to resume in the store ${store}/ (every run ended; rxdag runs --store ${store} lists them); ` +
        `the newest, nightly-2, failed (${FAILED_RUN_HINT})\n`,
    );
  });

  it("should name a program's newest ended run without the command line's hints", async () => {
    const dir = tmp.file('program');
    mkdirSync(dir);
    for (const [runId, outcome, at] of [
      ['svc-1', 'cancelled', Date.UTC(2026, 10, 30, 12)],
      ['svc-2', 'failed', Date.UTC(2026, 10, 30, 13)],
    ] as const) {
      const writer = fileJournal(dir).create({
        runId,
        dagId: 'svc',
        spec: { id: 'svc', tasks: [{ id: 'a', agent: 'llm' }] }, // an agent of a program's own
        options: { failurePolicy: 'skip-dependents', contextInjection: false },
        createdAt: at,
      }) as JournalWriter;
      const counts = {
        total: 1,
        completed: 0,
        failed: outcome === 'failed' ? 1 : 0,
        skipped: 0,
        cancelled: outcome === 'cancelled' ? 1 : 0,
      };
      writer.append([
        events.dagCreated({ runId, seq: 1, at, dagId: 'svc', taskCount: 1 }),
        events.dagCompleted({ runId, seq: 2, at, outcome, counts, durationMs: 0, failures: [] }),
      ]);
      await writer.close();
      expect((await rxdag('resume', '--store', dir)).stderr).toBe(
        `rxdag: no interrupted run to resume in the store ${dir}/ (every run ended; rxdag runs --store ${dir} lists them); ` +
          `the newest, ${runId}, ${outcome === 'cancelled' ? 'was cancelled' : 'failed'}\n`,
      );
    }
  });

  it('should still say that no run is left to resume when the newest ended run cannot be read, without the hints', async () => {
    // a run of the command line that failed, its tally kept beside it: the listing reads that, not the header
    const store = tmp.file('unreadable');
    const dag = tmp.file('failing.yaml');
    writeFileSync(dag, 'id: failing\ntasks:\n  - id: a\n    run: exit 3\n');
    expect((await rxdag('run', dag, '--store', store, '--quiet')).code).toBe(1);
    const [file] = readdirSync(store).filter((name) => name.endsWith('.jsonl'));
    const runId = file!.replace(/\.jsonl$/, '');
    const [header, ...rest] = readFileSync(`${store}/${file!}`, 'utf8').split('\n');
    writeFileSync(`${store}/${file!}`, [JSON.stringify({ ...JSON.parse(header!), spec: 7 }), ...rest].join('\n'));
    expect(await rxdag('resume', '--store', store)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: no interrupted run to resume in the store ${store}/ (every run ended; rxdag runs --store ${store} lists them); the newest, ${runId}, failed\n`,
    });
  });

  it('should not take up, unnamed, an interrupted run a later run of its DAG followed (started over after a fix)', async () => {
    const store = await storeWith('superseded', [
      ['nightly-1', 'interrupted'],
      ['nightly-2', 'succeeded'],
    ]);
    expect(await rxdag('resume', '--store', store)).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'rxdag: the newest interrupted run, nightly-1, was followed by run nightly-2 of the same DAG (succeeded): resuming it would run ' +
        `its tasks as they were journaled then, after the newer run; to resume it all the same, name it: rxdag resume nightly-1 --store ${store}\n`,
    });
  });

  it('should pass over such a run for an interrupted run of another DAG', async () => {
    const store = await storeWith('passed-over', [
      ['weekly-1', 'interrupted'],
      ['nightly-1', 'interrupted'],
      ['nightly-2', 'succeeded'],
    ]);
    const resumed = await rxdag('resume', '--store', store, '--quiet');
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/^rxdag: resuming run weekly-1 /);
  });

  it('should refuse a succeeded run as such', async () => {
    const store = await storeWith('succeeded', [['nightly-1', 'succeeded']]);
    expect((await rxdag('resume', 'nightly-1', '--store', store)).stderr).toBe(
      'rxdag: run "nightly-1" already ended (succeeded); there is nothing to resume\n',
    );
  });
});
