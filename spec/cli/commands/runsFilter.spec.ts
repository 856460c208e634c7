import { tempDir, writeText } from '../support/files';
import { rxdagInProcess as rxdag } from '../support/inProcessCli';

/**
 * `rxdag runs --status … --dag … --limit N`: only the runs of those statuses and that DAG, at
 * most the newest N, as a table or JSON lines; a filter nothing matches says so (exit 0); bad
 * options are refused all at once (exit 2) before the store is opened.
 */
describe('rxdag runs, filtered', () => {
  const tmp = tempDir();
  const store = tmp.file('store');
  /** Run ids, oldest first: etl succeeded, report failed, etl succeeded. */
  const started: string[] = [];
  beforeAll(async () => {
    const etl = writeText(tmp.file('etl.yaml'), 'id: etl\ntasks:\n  - { id: a, sleep: 1 }\n');
    const report = writeText(tmp.file('report.yaml'), 'id: report\ntasks:\n  - { id: a, run: "exit 3" }\n');
    for (const [file, code] of [
      [etl, 0],
      [report, 1],
      [etl, 0],
    ] as const) {
      const run = await rxdag('run', file, '--store', store, '--quiet');
      expect(run.code).toBe(code);
      started.push(/^rxdag: run (\S+) /m.exec(run.stderr)![1]!);
      await new Promise((resolve) => setTimeout(resolve, 5)); // a start of its own: newest first is by start
    }
  }, 30_000);
  afterAll(() => tmp.remove());

  const listed = async (...options: string[]) => {
    const result = await rxdag('runs', '--store', store, '--json', ...options);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    return result.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as { runId: string; status: string }).runId);
  };

  it('should list only the runs of the statuses given', async () => {
    expect(await listed('--status', 'failed')).toEqual([started[1]]);
    expect(await listed('--status', 'succeeded, failed')).toEqual([...started].reverse());
    // given twice, the statuses add up
    expect(await listed('--status', 'succeeded', '--status', 'failed')).toEqual([...started].reverse());
  });

  it('should list only the runs of the DAG given, at most the newest N', async () => {
    expect(await listed('--dag', 'etl')).toEqual([started[2], started[0]]);
    expect(await listed('--dag', 'etl', '--limit', '1')).toEqual([started[2]]);
    expect(await listed('--limit', '2')).toEqual([started[2], started[1]]);
  });

  it('should print the table of the runs kept, and say when none match', async () => {
    const table = await rxdag('runs', '--store', store, '--status', 'failed');
    expect(table.code).toBe(0);
    expect(table.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^RUN\b/),
      expect.stringMatching(new RegExp(`^${started[1]} +report +failed `)),
    ]);
    expect(await rxdag('runs', '--store', store, '--status', 'interrupted', '--dag', 'etl')).toEqual({
      code: 0,
      stdout: `no runs of 3 in ${store}/ match --status interrupted --dag "etl"\n`,
      stderr: '',
    });
  });

  it('should refuse bad options all at once, exit 2, before opening the store', async () => {
    const missing = tmp.file('no-store-here');
    expect(await rxdag('runs', '--store', missing, '--status', 'done,failed', '--limit', '0', '--dag', '')).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'rxdag: --status must be one or more of running, interrupted, succeeded, failed, cancelled, separated by commas (got "done,failed")\n' +
        'rxdag: --dag must name a DAG id (got "")\n' +
        'rxdag: --limit must be a whole number of runs, 1 or more (got "0")\n',
    });
    expect((await rxdag('runs', '--store', missing, '--limit', '9007199254740992')).stderr).toBe(
      'rxdag: --limit must be at most 9007199254740991 runs (got "9007199254740992")\n',
    );
  });
});
