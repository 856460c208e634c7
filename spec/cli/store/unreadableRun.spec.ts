import { chmodSync, copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { asAnotherUser } from '../../journal/support/anotherUser';
import { tempDir, writeText } from '../support/files';
import { rxdagInProcess as rxdag } from '../support/inProcessCli';

/**
 * A run's file of a folder store that cannot be read (no permission: a store another user
 * wrote; a folder in its place) is handled like a corrupt one: `rxdag runs` lists the others,
 * then names the file and why in one line (exit 2); `rxdag show` of another run is not
 * affected, and of that run names the file.
 */
describe('a folder store with a run the user cannot read', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  /** A store (open to other users) with one ended run; its id. */
  async function storeWithRun(name: string): Promise<{ store: string; runId: string }> {
    chmodSync(tmp.dir, 0o755);
    const store = tmp.file(name);
    // made by its user, open to others (a store rxdag makes is its user's only)
    mkdirSync(store, { mode: 0o755 });
    chmodSync(store, 0o755);
    const dag = writeText(tmp.file('quick.yaml'), 'id: quick\ntasks:\n  - id: a\n    sleep: 1\n');
    const run = await rxdag('run', dag, '--store', store, '--quiet');
    expect(run.code).toBe(0);
    const runId = /^rxdag: run (\S+) /m.exec(run.stderr)![1]!;
    chmodSync(path.join(store, `${runId}.jsonl`), 0o644); // its journal too (rxdag makes it its user's only)
    // the commands' modules loaded now: as another user, only the store is read
    expect((await rxdag('runs', '--store', store)).code).toBe(0);
    expect((await rxdag('show', runId, '--store', store)).code).toBe(0);
    return { store, runId };
  }

  it('should list and show the others around a file it has no permission to read, naming it', async () => {
    const { store, runId } = await storeWithRun('private');
    const file = path.join(store, 'private.jsonl');
    copyFileSync(path.join(store, `${runId}.jsonl`), file);
    chmodSync(file, 0o000); // no one but root may read it (and root reads it as another user)
    const line = `journal of run "private" cannot be read at ${file}: EACCES (permission denied)`;

    const listed = await asAnotherUser(() => rxdag('runs', '--store', store));
    expect(listed.code).toBe(2);
    expect(listed.stdout).toMatch(new RegExp(`^RUN .*\n${runId}\\s+quick\\s+succeeded`));
    expect(listed.stderr).toBe(`rxdag: ${line} (left out of the list)\n`); // not ours to move: no hint
    const shown = await asAnotherUser(() => rxdag('show', runId, '--store', store));
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    expect(shown.stdout).toContain(`run ${runId}: DAG quick, succeeded`);
    expect(await asAnotherUser(() => rxdag('show', 'private', '--store', store))).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: ${line}\n`,
    });
  });

  it('should list the others around a folder where a run file should be, naming it', async () => {
    const { store, runId } = await storeWithRun('folder');
    const folder = path.join(store, 'stray.jsonl');
    mkdirSync(folder);

    const listed = await rxdag('runs', '--store', store, '--json');
    expect(listed.code).toBe(2);
    expect(
      listed.stdout
        .trim()
        .split('\n')
        .map((json) => (JSON.parse(json) as { runId: string }).runId),
    ).toEqual([runId]);
    expect(listed.stderr).toBe(
      `rxdag: journal of run "stray" cannot be read at ${folder}: EISDIR (illegal operation on a directory) (left out of the list; to go on without it, set it aside: mv ${folder} ${folder}.bad)\n`,
    );
    expect(await rxdag('show', runId, '--store', store)).toMatchObject({ code: 0, stderr: '' });
    expect(readdirSync(store).sort()).toEqual([`${runId}.jsonl`, 'stray.jsonl']);
  });

  it('should name a file that is no journal with its terminal controls escaped, in its name and in what it holds', async () => {
    const { store, runId } = await storeWithRun('controls');
    writeText(path.join(store, 'a\u001b[2Jb.jsonl'), '\u001b]0;title\u0007{"x":1}\n');
    const listed = await rxdag('runs', '--store', store);
    expect(listed.code).toBe(2);
    expect(listed.stdout).toContain(runId);
    expect(listed.stderr).toContain('run "a\\u001b[2Jb"');
    expect(listed.stderr).toContain('\\u001b]0;title\\u0007');
    expect(listed.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });
});
