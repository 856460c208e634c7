/**
 * `mkdir -p` whose last folder, when it makes it, is its user's only (0700): a journal's store
 * and the CLI's task logs hold what tasks were given (a shell task's `env`) and what they output.
 * Made one folder at a time from the nearest one that exists: Node's recursive `mkdirSync` never
 * returns for a path under `/proc` (Node 20), this fails with its error. The folders on the way
 * get the usual permissions, and a folder that exists keeps its own. It checks nothing else.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * What a private folder rxdag makes holds, for git: nothing to commit (a store inside a
 * checkout would otherwise be offered to `git add`, each task's `env` with it).
 */
const GIT_IGNORES_ALL = '# made by rxdag: journals and task logs hold what tasks were given and wrote; not for git\n*\n';

/**
 * Makes `dir` (see the module's comment); when it made the last folder, with a `.gitignore` that
 * keeps its contents out of git. A `.gitignore` that cannot be written is left out: the folder
 * works without it.
 */
export function makePrivateFolder(dir: string, { gitIgnored = false }: { gitIgnored?: boolean } = {}): void {
  const missing: string[] = [];
  for (let at = dir; !fs.existsSync(at); at = path.dirname(at)) {
    missing.push(at);
    if (path.dirname(at) === at) break;
  }
  let made = false;
  for (const folder of missing.reverse()) {
    try {
      fs.mkdirSync(folder, folder === dir ? { mode: 0o700 } : undefined);
      made = folder === dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  if (!made || !gitIgnored) return;
  try {
    fs.writeFileSync(path.join(dir, '.gitignore'), GIT_IGNORES_ALL, { flag: 'wx' });
  } catch {
    // left out (see above)
  }
}
