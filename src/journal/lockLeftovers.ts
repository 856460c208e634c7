/**
 * The lock files a process killed in the middle of a few file operations leaves in a store
 * folder, which nothing else would ever remove: a run's lock without its journal (killed after
 * taking the lock of a new run and before linking its journal, or while `prune` removed the
 * journal and then the lock), a lock written aside before it was linked into place
 * (`<run>.lock.<pid>.<random>`), and a takeover guard, in place (`<run>.lock.takeover`) or moved
 * aside. Each is removed only when the owner it names is gone (judged by `lockFile.ts`); a lock
 * beside its journal is the run's (an interrupted run keeps it until it is resumed or removed),
 * and is left. It removes no journal and no run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clearDeadGuard, clearStaleLock, deadOwner, processGone } from './lockFile';

/** `<run>.lock`, its takeover guard, and either written or moved aside by a process. */
const LOCK_FILE = /^(.+)\.lock(\.takeover)?(\.\d+\.[0-9a-z]+)?$/;

/**
 * Removes from `names` (the files of the folder `root`) the lock files of owners that are gone,
 * as said above; returns their names. Best effort: what it cannot read or remove is left.
 *
 * @example
 * removeDeadLockFiles('/store', ['nightly-42.lock']) // ['nightly-42.lock'] when no nightly-42.jsonl is there and its owner died
 */
export function removeDeadLockFiles(root: string, names: readonly string[]): string[] {
  const present = new Set(names);
  const removed: string[] = [];
  for (const name of names) {
    const match = LOCK_FILE.exec(name);
    if (match === null) continue;
    const [, run, takeover, aside] = match;
    const file = path.join(root, name);
    try {
      if (aside !== undefined) {
        // written (or a guard moved) aside by the process its name gives, which reads it back:
        // only once that one is gone, and the owner inside too (another host's is never judged gone)
        if (!processGone(Number(aside.split('.')[1])) || !deadOwner(file)) continue;
        fs.rmSync(file, { force: true });
      } else if (takeover !== undefined) {
        clearDeadGuard(file); // moved aside and read again, as a take-over does
      } else {
        if (present.has(`${run}.jsonl`)) continue; // the run's own lock
        clearStaleLock(file, run!); // as a take-over does: a process taking it now is not robbed
      }
      if (!fs.existsSync(file)) removed.push(name);
    } catch {
      // a file it cannot read, a folder it may only read: left for a later sweep
    }
  }
  return removed;
}
