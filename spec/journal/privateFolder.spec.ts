import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lastValueFrom } from 'rxjs';
import { defineDag, fileJournal, runDag } from '../../src/index';
import { makePrivateFolder } from '../../src/journal/privateFolder';

/**
 * The folders rxdag makes for what tasks were given and wrote (a store, task logs): its user's
 * only, and, when it made them, kept out of git: a store inside a checkout is not offered to
 * `git add`, the tasks' `env` with it.
 */
describe('makePrivateFolder', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'rxdag-private-folder-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });

  it('should keep a store it made inside a git checkout out of git, the checkout seeing nothing new', async () => {
    git('init', '-q');
    const store = path.join(root, '.rxdag');
    const dag = defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'noop' }] });
    await lastValueFrom(runDag(dag, { agents: { noop: async () => 'done' }, journal: fileJournal(store), runId: 'r1' }));
    expect(readdirSync(store).sort()).toEqual(['.gitignore', 'r1.jsonl']);
    expect(statSync(store).mode & 0o777).toBe(0o700);
    expect(git('status', '--porcelain', '--untracked-files=all')).toBe('');
  });

  it('should write no .gitignore into a folder that was there, nor into the folders on the way', () => {
    const there = path.join(root, 'there');
    mkdirSync(there);
    makePrivateFolder(there, { gitIgnored: true });
    expect(readdirSync(there)).toEqual([]);
    makePrivateFolder(path.join(root, 'a', 'b'), { gitIgnored: true });
    expect(readdirSync(path.join(root, 'a'))).toEqual(['b']);
    expect(readFileSync(path.join(root, 'a', 'b', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    makePrivateFolder(path.join(root, 'plain'));
    expect(readdirSync(path.join(root, 'plain'))).toEqual([]);
  });
});
