/**
 * What stops a file journal's writer before it writes a group: its run owned by another process
 * now (its lock lost), its journal file no longer at its path (removed, moved, replaced), or the
 * file cut shorter than what the writer wrote (truncated in place). Each throws an error that
 * says so, for the run to stop with: nothing more is written. It writes nothing itself.
 */
import * as fs from 'node:fs';
import type { HeldLock } from './lockFile';

/**
 * Stops a writer whose run another process may own now (its lock file was removed, or taken over
 * after that): two writers would interleave their events and both run the tasks. Also one whose
 * journal file was removed (by hand, or `prune` of a run it took for interrupted): what it wrote
 * would go into a file no one can read, and a crash would leave nothing to resume. Nothing is
 * written then; the run stops with the error.
 */
export function refuseIfLost(held: HeldLock, file: { readonly path: string; readonly made: fs.Stats }): void {
  const lost = held.lost();
  const gone = journalGone(file.path, file.made);
  if (gone !== undefined) {
    // another file at its path: a copy put in its place (an editor's save, `sed -i`), which a resume reads
    const what = gone === 'removed' ? 'removed' : 'replaced by another file';
    const why =
      lost === undefined
        ? `its journal file was ${what} while it ran`
        : `the run no longer owns its record: ${lost}, and its journal was ${what}`;
    throw Object.assign(new Error(`${why}; nothing more is written`), { journalLost: gone });
  }
  if (lost === undefined) return;
  const error = new Error(`the run no longer owns its record: ${lost}; another process may take the run over, so nothing more is written`);
  throw Object.assign(error, { lockLost: true });
}

/**
 * Stops a writer whose journal file another program cut while it ran (truncated in place, as
 * logrotate's `copytruncate` does): what it appended after the cut would follow half a line or
 * nothing, and the events cut are gone. One `fstat` of the open file per group.
 */
export function refuseIfCut(fd: number, size: number): void {
  const now = fs.fstatSync(fd).size;
  if (now >= size) return;
  throw Object.assign(
    new Error(
      `its journal file was cut while it ran, to ${now} of the ${size} bytes written (another program truncated it, as logrotate's copytruncate does); nothing more is written`,
    ),
    { journalLost: 'cut' },
  );
}

/**
 * How the journal file the writer holds is no longer at its path: removed, or another file
 * there now. Judged by the path, as the lock is, not by the open file's link count (some FUSE
 * file systems report none; a second link, a backup's, would hide a removal).
 */
function journalGone(path: string, made: fs.Stats): 'removed' | 'replaced' | undefined {
  try {
    const now = fs.statSync(path);
    return now.ino !== made.ino || now.dev !== made.dev ? 'replaced' : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'removed';
    throw error;
  }
}
