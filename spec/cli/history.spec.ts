import { fileJournal } from '../../src/index';
import { ensureBuilt, printedRunId, runCli } from './support/builtCli';
import { tempDir, writeText } from './support/files';
import { rxdagInProcess } from './support/inProcessCli';
import { CLI_MARK } from '../../src/cli/store/programRuns';

/**
 * Estimates from history: `rxdag run` fills in the `estimateMs` of tasks without one from the
 * median duration of the same task in earlier runs of the DAG in the store, `--no-history` turns
 * it off, and `rxdag show` says which estimates came from history.
 */
describe('rxdag run (estimates from earlier runs)', () => {
  const tmp = tempDir();
  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(() => tmp.remove());

  const store = tmp.file('store');
  const dag = writeText(
    tmp.file('history.yaml'),
    [
      'id: history',
      'tasks:',
      '  - id: build',
      '    run: sleep 0.05',
      '  - id: settle',
      '    deps: [build]',
      '    sleep: 30',
      '  - id: ship',
      '    deps: [settle]',
      '    run: echo shipped',
      '    estimateMs: 999',
      '',
    ].join('\n'),
  );

  let runsStarted = 0;
  /**
   * `rxdag run` of the DAG into the store, with `options`; its run id. The first run goes through
   * a process of its own, the later ones (those that read the store's history) run in this one.
   */
  async function run(...options: string[]): Promise<string> {
    const argv = ['run', dag, '--store', store, '--quiet', ...options];
    const result = runsStarted++ === 0 ? await runCli(argv) : await rxdagInProcess(...argv);
    expect(result.code).toBe(0);
    const runId = printedRunId(result.stderr);
    if (runId === undefined) throw new Error(`no run id in ${result.stderr}`);
    return runId;
  }

  interface ShownTask {
    readonly id: string;
    readonly estimateMs?: number;
    readonly estimateFromHistory?: true;
  }
  async function show(
    runId: string,
  ): Promise<{ json: { estimates?: { fromHistory: string[]; runs: string[] }; tasks: ShownTask[] }; text: string }> {
    // what a store holds is printed the same in this process: no `rxdag` process needed
    const json = await rxdagInProcess('show', runId, '--store', store, '--json');
    const text = await rxdagInProcess('show', runId, '--store', store);
    expect([json.code, text.code]).toEqual([0, 0]);
    return { json: JSON.parse(json.stdout) as never, text: text.stdout };
  }

  it('should take the median of two earlier runs, only for tasks without an estimate, and say so', async () => {
    const first = await run();
    const firstShown = await show(first);
    // nothing earlier: only the sleep's own length and the file's estimate
    expect(firstShown.json.estimates).toBeUndefined();
    expect(firstShown.json.tasks.map(({ id, estimateMs }) => [id, estimateMs])).toEqual([
      ['build', undefined],
      ['settle', 30],
      ['ship', 999],
    ]);
    const second = await run();

    const third = await run();
    const journal = fileJournal(store);
    const durations = await Promise.all(
      [first, second].map(async (runId) =>
        (await journal.events(runId)).flatMap((event) =>
          event.type === 'task.completed' && event.taskId === 'build' ? [event.durationMs] : [],
        ),
      ),
    );
    const median = Math.round((durations[0]![0]! + durations[1]![0]!) / 2);
    const { json, text } = await show(third);
    expect(json.estimates).toEqual({ fromHistory: ['build'], runs: [second, first] });
    expect(json.tasks).toEqual([
      expect.objectContaining({ id: 'build', estimateMs: median, estimateFromHistory: true }),
      expect.not.objectContaining({ estimateFromHistory: true }),
      expect.not.objectContaining({ estimateFromHistory: true }),
    ]);
    expect(json.tasks.map((task) => task.estimateMs)).toEqual([median, 30, 999]);
    // the journal keeps the estimate in the run's DAG, and the note in its metadata
    const header = await journal.header(third);
    expect(header.spec.tasks[0]).toMatchObject({ id: 'build', estimateMs: median });
    expect(header.options.metadata).toMatchObject({ ...CLI_MARK, estimates: { fromHistory: ['build'], runs: [second, first] } });
    expect(text).toContain(`history  estimates of 1 task from earlier runs: ${second}, ${first}`);
    expect(text).toMatch(new RegExp(`build .* ${median} ms \\(history\\)`));
    expect(text).not.toMatch(/settle .*\(history\)/);

    const without = await run('--no-history');
    const shown = await show(without);
    expect(shown.json.estimates).toBeUndefined();
    expect(shown.json.tasks.map((task) => task.estimateMs)).toEqual([undefined, 30, 999]);
    expect(shown.text).not.toContain('(history)');
    const withoutNotes = (await journal.header(without)).options.metadata;
    expect(withoutNotes).toMatchObject(CLI_MARK);
    expect(withoutNotes).not.toHaveProperty('estimates');
  }, 60_000);
});
