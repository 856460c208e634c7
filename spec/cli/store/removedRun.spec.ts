import { readdirSync, symlinkSync } from 'node:fs';
import { events, fileJournal, type JournalWriter } from '../../../src/index';
import { formatClock } from '../../../src/cli/output/textTable';
import { tempDir } from '../support/files';
import { rxdagInProcess as rxdag } from '../support/inProcessCli';

/**
 * A folder store in which another process (`rxdag prune`) removes a run while a command reads
 * it: the run is simply gone. `rxdag runs` lists the others with no error, `rxdag prune` removes
 * the others, `rxdag resume` picks among the others, and naming the run says it is not in the
 * store. A link to nothing stands for the removed run's file: a name the folder lists whose file
 * is not there when read.
 */
describe('a folder store with a run removed while a command reads it', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  const ENDED_AT = Date.UTC(2026, 0, 2, 3, 4, 5);

  /** A store with the ended run `done` and the name of the removed run `gone`. */
  function storeWithRemovedRun(name: string): string {
    const store = tmp.file(name);
    const writer = fileJournal(store).create({
      runId: 'done',
      dagId: 'd',
      spec: { id: 'd', tasks: [{ id: 'a', agent: 'sleep' }] },
      options: { failurePolicy: 'skip-dependents', contextInjection: true },
      createdAt: ENDED_AT,
    }) as JournalWriter;
    writer.append([
      events.dagCreated({ runId: 'done', seq: 1, at: ENDED_AT, dagId: 'd', taskCount: 1 }),
      events.dagCompleted({
        runId: 'done',
        seq: 2,
        at: ENDED_AT,
        outcome: 'succeeded',
        counts: { total: 1, completed: 1, failed: 0, skipped: 0, cancelled: 0 },
        durationMs: 0,
        failures: [],
      }),
    ]);
    writer.close();
    symlinkSync(tmp.file(`${name}-removed-meanwhile.jsonl`), `${store}/gone.jsonl`);
    return store;
  }

  it('should list the other runs, with no error', async () => {
    const store = storeWithRemovedRun('runs');

    const listed = await rxdag('runs', '--store', store, '--json');

    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(
      listed.stdout
        .trim()
        .split('\n')
        .map((json) => (JSON.parse(json) as { runId: string }).runId),
    ).toEqual(['done']);
  });

  it('should remove the other runs it selects, with no error', async () => {
    const store = storeWithRemovedRun('prune');

    expect(await rxdag('prune', '--keep', '0', '--store', store)).toEqual({
      code: 0,
      stdout: `removed done  (succeeded, ended ${formatClock(ENDED_AT)})\nremoved 1 run; 0 kept\n`,
      stderr: '',
    });
    expect(readdirSync(store).sort()).toEqual(['.gitignore', 'gone.jsonl']);
  });

  it('should look for the newest interrupted run among the others', async () => {
    const store = storeWithRemovedRun('resume');

    expect(await rxdag('resume', '--store', store)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: no interrupted run to resume in the store ${store}/ (every run ended; rxdag runs --store ${store} lists them)\n`,
    });
  });

  it('should say that the run is not in the store when it is named', async () => {
    const store = storeWithRemovedRun('named');
    const notInStore = `rxdag: run "gone" is not in the store ${store}/ (rxdag runs --store ${store} lists its runs)\n`;

    expect(await rxdag('resume', 'gone', '--store', store)).toEqual({ code: 2, stdout: '', stderr: notInStore });
    expect(await rxdag('prune', 'gone', '--interrupted', '--store', store)).toEqual({ code: 2, stdout: '', stderr: notInStore });
  });
});
