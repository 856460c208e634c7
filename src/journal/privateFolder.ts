/**
 * `mkdir -p` whose last folder, when it makes it, is its user's only (0700): a journal's store
 * and the CLI's task logs hold what tasks were given (a shell task's `env`) and what they output.
 * Made one folder at a time from the nearest one that exists: Node's recursive `mkdirSync` never
 * returns for a path under `/proc` (Node 20), this fails with its error. The folders on the way
 * get the usual permissions, and a folder that exists keeps its own. It checks nothing else.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function makePrivateFolder(dir: string): void {
  const missing: string[] = [];
  for (let at = dir; !fs.existsSync(at); at = path.dirname(at)) {
    missing.push(at);
    if (path.dirname(at) === at) break;
  }
  for (const folder of missing.reverse()) {
    try {
      fs.mkdirSync(folder, folder === dir ? { mode: 0o700 } : undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
