import { mkdirSync, writeFileSync } from 'node:fs';
import { events, fileJournal, type JournalWriter, type RunOutcome } from '../../../src/index';
import { tempDir } from '../support/files';
import { rxdagInProcess as rxdag } from '../support/inProcessCli';

/**
 * `rxdag run FILE` when the newest run of the same DAG in the store was interrupted: the new run
 * starts over all the same, after a note naming the interrupted run, how far it got, and the
 * command that goes on with it instead. No note for a run a later one already followed, another
 * DAG's run, or a program's run.
 */
describe('rxdag run (the newest run of its DAG was interrupted)', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  interface EarlierRun {
    readonly runId: string;
    readonly ended: RunOutcome | 'interrupted';
    readonly agent?: string;
    readonly metadata?: Record<string, unknown>;
  }

  /** A folder with a DAG file of DAG `nightly` (two sleep tasks) and a store holding `runs`, made in that order. */
  const folderWith = async (name: string, runs: readonly EarlierRun[]): Promise<{ file: string; store: string }> => {
    const dir = tmp.file(name);
    const store = `${dir}/store`;
    mkdirSync(store, { recursive: true });
    const file = `${dir}/nightly.yaml`;
    writeFileSync(file, 'id: nightly\ntasks:\n  - { id: a, sleep: 1 }\n  - { id: b, sleep: 1, deps: [a] }\n');
    for (const [i, { runId, ended, agent = 'sleep', metadata }] of runs.entries()) {
      const at = Date.UTC(2026, 10, 30, 12, i);
      const dagId = runId.replace(/-\d+$/, ''); // nightly-2 is a run of DAG nightly
      const writer = fileJournal(store).create({
        runId,
        dagId,
        spec: {
          id: dagId,
          tasks: [
            { id: 'a', agent, input: 1 },
            { id: 'b', agent, input: 1, deps: ['a'] },
          ],
        },
        options: { failurePolicy: 'skip-dependents', contextInjection: false, ...(metadata === undefined ? {} : { metadata }) },
        createdAt: at,
      }) as JournalWriter;
      writer.append([
        events.dagCreated({ runId, seq: 1, at, dagId, taskCount: 2 }),
        events.taskReady({ runId, seq: 2, at, taskId: 'a', attempt: 1 }),
        events.taskStarted({ runId, seq: 3, at, taskId: 'a', attempt: 1, agent }),
        events.taskCompleted({ runId, seq: 4, at, taskId: 'a', attempt: 1, durationMs: 0 }),
      ]);
      if (ended !== 'interrupted') {
        const cancelled = ended === 'succeeded' ? 0 : 1;
        writer.append([
          events.dagCompleted({
            runId,
            seq: 5,
            at,
            outcome: ended,
            counts: { total: 2, completed: 2 - cancelled, failed: 0, skipped: 0, cancelled },
            durationMs: 0,
            failures: [],
          }),
        ]);
      }
      await writer.close(); // an interrupted run: no end, no owner
    }
    return { file, store };
  };

  const noteOf = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('rxdag: note: run '));

  it('should name the interrupted run, how far it got and its resume command, then run all the same', async () => {
    const { file, store } = await folderWith('newest', [
      { runId: 'nightly-1', ended: 'succeeded' },
      { runId: 'nightly-2', ended: 'interrupted' },
    ]);
    const { code, stderr } = await rxdag('run', file, '--store', store, '-q');
    expect(code).toBe(0);
    expect(noteOf(stderr)).toEqual([
      'rxdag: note: run nightly-2 of this DAG was interrupted with 1 of 2 tasks ended; this run starts over. ' +
        `To go on with that one instead, stop this one and run: rxdag resume nightly-2 --store ${store}`,
    ]);
    // said before the run's own first line
    expect(stderr.indexOf('rxdag: note: run nightly-2')).toBeLessThan(stderr.indexOf('rxdag: run nightly-2026'));
    // once started over, the interrupted run is no longer the newest: no second note
    expect(noteOf((await rxdag('run', file, '--store', store, '-q')).stderr)).toEqual([]);
  });

  it('should give the flags that reach the workers of a run sent to them', async () => {
    const { file, store } = await folderWith('remote', [
      { runId: 'nightly-1', ended: 'interrupted', metadata: { remote: { resumeFlags: " --redis 'redis://:***@127.0.0.1:6379'" } } },
    ]);
    expect(noteOf((await rxdag('run', file, '--store', store, '-q')).stderr)).toEqual([
      expect.stringMatching(
        /stop this one and run: rxdag resume nightly-1 --store \S+ --redis 'redis:\/\/:\*\*\*@127\.0\.0\.1:6379' \(give the password where \*\*\* stands\)$/,
      ),
    ]);
  });

  it.each<[string, readonly EarlierRun[]]>([
    [
      'a later run followed',
      [
        { runId: 'nightly-1', ended: 'interrupted' },
        { runId: 'nightly-2', ended: 'cancelled' },
      ],
    ],
    ['it is another DAG’s', [{ runId: 'weekly-1', ended: 'interrupted' }]],
    ['a program made it (its agents are not the command line’s)', [{ runId: 'nightly-1', ended: 'interrupted', agent: 'llm' }]],
  ])('should say nothing of an interrupted run when %s', async (_, runs) => {
    const { file, store } = await folderWith(`quiet-${runs.length}-${runs[0]!.runId}-${runs[0]!.agent ?? ''}`, runs);
    const { code, stderr } = await rxdag('run', file, '--store', store, '-q');
    expect(code).toBe(0);
    expect(stderr).toMatch(/^rxdag: run nightly-2026/);
    expect(noteOf(stderr)).toEqual([]);
  });
});
