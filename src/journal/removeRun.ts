import * as fs from 'node:fs';
import { RunNotResumableError } from './journal';
import { acquireLock } from './lockFile';
import { journalFileExists } from './unreadableFile';

/**
 * How the file journal forgets a run: under the run's lock (so no process owns it meanwhile, and
 * none can resume it while its files go), the torn tail kept beside it goes first, then its
 * journal file, in one `unlink` each; releasing the lock then removes the lock file. A run is
 * never seen half-removed: until its journal file goes it is whole, and a `.jsonl` file is the
 * only thing a listing reads. It does not read the journal (a file that cannot be read goes too)
 * and does not sync the folder: a removal an OS crash undoes leaves the run as it was.
 */

/** The files of one run in the journal's folder. */
export interface RunFiles {
  readonly journal: string;
  readonly lock: string;
  readonly torn: string;
}

/**
 * Removes the run `runId` whose files are `files`, in the journal at `root` (for messages):
 * `RunNotResumableError` when it has no journal file, `RunLockedError` when a live process owns
 * it (a stale lock of a process that is gone is taken over); then nothing is removed.
 */
export function removeRun(files: RunFiles, runId: string, root: string): void {
  const unknown = () => new RunNotResumableError(runId, 'unknown', undefined, root);
  if (!journalFileExists(files.journal, runId)) throw unknown();
  const held = acquireLock(files.lock, runId);
  try {
    // another process may have removed it between the check and the lock
    if (!fs.existsSync(files.journal)) throw unknown();
    fs.rmSync(files.torn, { force: true });
    fs.unlinkSync(files.journal);
  } finally {
    held.release();
  }
}
