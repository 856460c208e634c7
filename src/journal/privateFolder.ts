/**
 * `mkdir -p` whose last folder, when it makes it, is its user's only (0700): a journal's store
 * and the CLI's task logs hold what tasks were given (a shell task's `env`) and what they output.
 * Made one folder at a time from the nearest one that exists: Node's recursive `mkdirSync` never
 * returns for a path under `/proc` (Node 20), this fails with its error. The folders on the way
 * get the usual permissions, and a folder that exists keeps its own; with `durable`, the names
 * of the folders it made are synced to disk, as a journal's are. It checks nothing else.
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
 * keeps its contents out of git. When that cannot be written (a full disk), the folder is removed
 * again and the error thrown: a folder kept without it would never get one. With `durable`, each
 * folder it made has its name synced (its parent's entry): a power loss does not take a store
 * away with the journals synced in it.
 */
export function makePrivateFolder(
  dir: string,
  { gitIgnored = false, durable = false }: { gitIgnored?: boolean; durable?: boolean } = {},
): void {
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
      continue;
    }
    if (durable) syncParent(folder);
  }
  if (!made || !gitIgnored) return;
  const file = path.join(dir, '.gitignore');
  try {
    fs.writeFileSync(file, GIT_IGNORES_ALL, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return; // another process made the folder's
    // a full disk: the folder is taken back with what was made of it, so that the next run makes both whole
    fs.rmSync(file, { force: true });
    try {
      fs.rmdirSync(dir);
    } catch {
      // something else was put in it meanwhile: kept
    }
    throw error;
  }
}

/**
 * Syncs the folder that holds `folder`: its name durable. A parent this user may pass through but
 * not open (mode 0711) cannot be synced by them: left as the system writes it back.
 */
function syncParent(folder: string): void {
  try {
    syncFolder(path.dirname(folder));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EACCES') throw error;
  }
}

/** A new file's or folder's name is durable once its folder is synced. */
export function syncFolder(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
