import * as fs from 'node:fs';
import * as path from 'node:path';
import { liveOwner, processGone } from './lockFile';

/**
 * The file a new run's header is written to before it is linked into place as the run's journal
 * (`<run>.jsonl.<pid>.new`, named by the process that makes it), and the sweep of those that a
 * process killed while it made a run left behind (only its own `finally` would have removed
 * them). It removes such a file only when its maker cannot still be writing it: the run's lock,
 * which the maker holds from before it opens the file until after it removed it, has no live
 * owner, and the pid the name gives is gone on this host (judged by `lockFile.ts`). It removes
 * nothing else: not a lock (`lockLeftovers.ts` sweeps those), not a journal, not a run.
 */

/** `<run>.jsonl.<pid>.new`: the run's file name (escaped id) and the pid of its maker. */
const ASIDE_NAME = /^(.+)\.jsonl\.(\d+)\.new$/;

/**
 * Where this process writes the header of a new run whose journal is `journalFile`.
 *
 * @example
 * asideFileOf('/store/nightly-42.jsonl') // '/store/nightly-42.jsonl.4242.new' in process 4242
 */
export function asideFileOf(journalFile: string): string {
  return `${journalFile}.${process.pid}.new`;
}

/**
 * Removes from `names` (the files of the folder `root`) every header file written aside whose
 * maker is gone (see the module's comment); returns their names. Best effort: a lock it cannot
 * read, or a file it cannot remove, leaves the file for a later sweep.
 *
 * @example
 * removeStaleAsides('/store', fs.readdirSync('/store')) // ['nightly-42.jsonl.31337.new'] after a kill -9 while it was made
 */
export function removeStaleAsides(root: string, names: readonly string[]): string[] {
  const removed: string[] = [];
  for (const name of names) {
    const match = ASIDE_NAME.exec(name);
    if (match === null) continue;
    try {
      // the lock first: it also guards a maker of another host sharing the folder, whose pid means nothing here
      if (liveOwner(path.join(root, `${match[1]}.lock`)) !== undefined || !processGone(Number(match[2]))) continue;
      fs.rmSync(path.join(root, name), { force: true });
      removed.push(name);
    } catch {
      // a lock it cannot read, a folder it may only read: left for a later sweep
    }
  }
  return removed;
}
