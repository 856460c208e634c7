import { readFileSync } from 'node:fs';
import { fileJournal } from '../../../src/index';
import { runCommand } from '../../../src/cli/commands/run';
import { tempDir, writeText } from '../support/files';
import { type InProcessResult, textSink } from '../support/inProcessCli';

/**
 * `rxdag run` into a store that already holds the id it drew for the run (another run of the DAG
 * drew the same one in the same minute): it draws another and runs under it; when the store
 * holds every id it draws, it runs nothing and says so. The id's clock is `now` and its random
 * letters come from `random`, both given to the command.
 */
describe('rxdag run when the store holds the run id it draws', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  /** 2026-01-02 03:04 local time: ids `quick-20260102-0304-…`. */
  const NOW = new Date(2026, 0, 2, 3, 4, 5).getTime();
  const idOf = (letters: string) => `quick-20260102-0304-${letters}`;

  /** A random source that spells `ids`' last four letters in turn, then the last of them again and again. */
  const spelling = (...ids: string[]) => {
    const letters = [...ids.join('')];
    let next = 0;
    return () => {
      const letter = letters[Math.min(next++, letters.length - 1)]!;
      return ('0123456789abcdefghijklmnopqrstuvwxyz'.indexOf(letter) + 0.5) / 36;
    };
  };

  /** A store folder, the DAG `quick` whose one task appends a line to a file, and that file. */
  const setUp = (name: string) => {
    const dir = tmp.file(name);
    const ran = `${dir}-ran`;
    const dag = writeText(`${dir}.yaml`, `id: quick\ntasks:\n  - id: only\n    run: echo ran >> ${ran}\n`);
    return { store: dir, dag, ran };
  };

  /** `rxdag run DAG --store STORE --quiet` in this process, its id drawn at {@link NOW} from `random`. */
  const run = async (dag: string, store: string, random: () => number): Promise<InProcessResult> => {
    let stdout = '';
    let stderr = '';
    const io = { stdout: textSink((text) => (stdout += text)), stderr: textSink((text) => (stderr += text)) };
    const code = await runCommand(dag, { store, quiet: true }, io, { now: () => NOW, random });
    return { code, stdout, stderr };
  };

  /** The ids and statuses of the runs the store lists. */
  const listed = async (store: string) => (await fileJournal(store).runs()).map((summary) => [summary.runId, summary.status]).sort();

  it('should draw another id and run under it', async () => {
    const { store, dag, ran } = setUp('taken-once');
    expect(await run(dag, store, spelling('0000'))).toMatchObject({ code: 0 });

    const second = await run(dag, store, spelling('0000', 'iiii'));

    expect(second.code).toBe(0);
    expect(second.stderr).toBe(
      `rxdag: run ${idOf('iiii')} (journal ${store}/; resume with: rxdag resume ${idOf('iiii')} --store ${store})\n`,
    );
    expect(await listed(store)).toEqual([
      [idOf('0000'), 'succeeded'],
      [idOf('iiii'), 'succeeded'],
    ]);
    expect(readFileSync(ran, 'utf8')).toBe('ran\nran\n');
  });

  it('should run nothing and say so, exit 2, when the store holds each id it draws', async () => {
    const { store, dag, ran } = setUp('taken-always');
    expect(await run(dag, store, spelling('0000'))).toMatchObject({ code: 0 });

    const refused = await run(dag, store, spelling('0000'));

    expect(refused).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: the store already holds each of the 5 run ids drawn for the new run (the last: "${idOf('0000')}"); nothing ran, run it again\n`,
    });
    expect(await listed(store)).toEqual([[idOf('0000'), 'succeeded']]);
    expect(readFileSync(ran, 'utf8')).toBe('ran\n');
  });
});
