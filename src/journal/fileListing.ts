/**
 * One run's line in the file journal's listing (`journal.runs()`): its summary from its file,
 * read the cheapest way that gives it (the end of an ended run, a tally of one that has not
 * ended, the whole record when that fails), and whether a live process owns it, from its lock.
 * A run not asked for (another DAG's, or one that has not ended) is not read whole. It writes
 * nothing but the clearing of a dead process's lock on an ended run (`clearEndedRunLock`).
 */
import * as path from 'node:path';
import { fileNameOf } from './fileNames';
import { type EndedRun, readEndedRun, readHeaderHead, readRecord, type RecordedRun } from './fileRecord';
import { type TalliedRun, tallyOfFile } from './fileTally';
import { JournalCorruptError, type JournaledRunSummary, type RunsOptions } from './journal';
import { clearStaleLock, liveOwner } from './lockFile';
import { summarize, summaryOfTally } from './summary';
import { isMissingFile, readingFile, runIdOfFileName } from './unreadableFile';

/** A run's line in a listing, and when the run was created (the listing's order). */
export interface ListedRun {
  readonly createdAt: number;
  readonly summary: JournaledRunSummary;
}

/**
 * The listing's line of the run whose journal file is `file` (a name the folder listed) and
 * whose lock is `lock`; `undefined` when the file is not there any more (the run was removed
 * since the folder was read). A file that cannot be read, or a lock, is an
 * `UnreadableJournalError`. `ownerOf` names the live process that holds a lock (`undefined`:
 * none does); specs pass their own.
 *
 * Other processes act between its steps, so it looks at the lock before it reads the record and
 * again after, and counts the run as owned when either look found a live owner. What the line
 * says then held at some moment between the two looks:
 * - owned at the first look: the run was running then (`running`), unless the record read after
 *   shows that it ended meanwhile (how it ended). Its owner may also end the run and let go of
 *   it right after the read: a single look after the read would find no owner and a record
 *   without its end, and call `interrupted` a run that never was.
 * - owned at the second look only: a process took the run while it was read (a `resume`, or a
 *   `remove` about to forget it): `running`.
 * - owned at neither: no process owned the run at the first look, and its record had not ended
 *   by the read, so not then either (a record only grows): `interrupted`, as it was then (a
 *   process that took the run and let go of it between the looks is the next listing's to see).
 *
 * @example
 * listedRun('/store/nightly-42.jsonl', '/store/nightly-42.lock')?.summary.status // 'running'
 */
export function listedRun(
  file: string,
  lock: string,
  ownerOf: (lock: string) => string | undefined = liveOwner,
  only: Pick<RunsOptions, 'dagId' | 'endedOnly'> = {},
): ListedRun | undefined {
  const runId = runIdOfFileName(file);
  const ownerBefore = readingFile(lock, runId, () => ownerOf(lock));
  let record: EndedRun | RecordedRun | TalliedRun | undefined;
  try {
    record = readingFile(
      file,
      runId,
      () => readEndedRun(file) ?? (notAskedFor(file, only) ? undefined : (tallyOfFile(file) ?? readRecord(file, undefined, false))),
    );
  } catch (error) {
    if (isMissingFile(error)) return undefined;
    throw error;
  }
  if (record === undefined) return undefined;
  // a copy of another run's file (`cp a.jsonl b.jsonl`) is not a run: listed, it would be a
  // run no other call knows (they find a run's file by its id's name)
  if (fileNameOf(record.header.runId) !== path.basename(file, '.jsonl')) {
    throw new JournalCorruptError(runId, `${file}:1`, `the file holds the journal of run "${record.header.runId}"`);
  }
  const owner = readingFile(lock, runId, () => ownerOf(lock)) ?? ownerBefore ?? false;
  const summary = 'tally' in record ? summaryOfTally(record.header, record.tally, owner) : summarize(record.header, record.events, owner);
  return { createdAt: record.header.createdAt, summary };
}

/**
 * Whether the run of `file`, which has not ended, is left out of a listing asked `only` for
 * ended runs or another DAG's (its header's first line read for that). A header that cannot be
 * read is not left out: the whole read says what is wrong with it.
 */
function notAskedFor(file: string, only: Pick<RunsOptions, 'dagId' | 'endedOnly'>): boolean {
  if (only.endedOnly === true) return true;
  if (only.dagId === undefined) return false;
  try {
    return readHeaderHead(file, runIdOfFileName(file)).dagId !== only.dagId;
  } catch {
    return false;
  }
}

/**
 * A process killed after its run's end was journaled but before it let go of the run leaves
 * its lock behind; the run needs no owner any more, so the listing clears such a lock of a
 * dead process. Best effort: a store this process may only read is listed all the same.
 */
export function clearEndedRunLock(lock: string, runId: string): void {
  try {
    clearStaleLock(lock, runId);
  } catch {
    // left for the next listing
  }
}
