/**
 * A file of the file journal that the file system will not read (no permission, a folder where
 * the file should be, an I/O error): reported like a corrupt one, so a listing leaves it out and
 * lists the others (`onUnreadable`), and reading another run is not affected. Only its message
 * differs: the file is not said to be corrupt, only that it cannot be read, and why. It reads no
 * file itself and judges nothing of what a file holds (`fileRecord.ts` does).
 *
 * A FIFO, socket or device where a file should be is refused when opened ({@link openToRead}),
 * before a read that would never end.
 *
 * A file that is not there (`ENOENT`) is told apart ({@link isMissingFile}): its run was removed
 * since the file was found (by a `remove` in another process, as `rxdag prune` does), so the
 * journal treats it as a run it does not have, not as a file it cannot read.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JournalCorruptError } from './journal';

/** A journal file the file system refused to read: a `JournalCorruptError` whose `where` is the file. */
export class UnreadableJournalError extends JournalCorruptError {
  constructor(
    runId: string,
    file: string,
    /** The Node error code, e.g. `EACCES`. */
    readonly code: string,
    reason: string,
    cause: unknown,
  ) {
    super(runId, file, reason);
    this.message = `journal of run "${runId}" cannot be read at ${file}: ${reason}`;
    this.cause = cause;
  }
}

/**
 * `read()`, a read of `file` (the journal of `runId`), with what the file system refuses turned
 * into an {@link UnreadableJournalError}; any other error passes as it is.
 *
 * @example
 * const record = readingFile(file, runId, () => readRecord(file, runId, true));
 */
export function readingFile<T>(file: string, runId: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    const { code, message, syscall } = (error ?? {}) as NodeJS.ErrnoException;
    if (typeof code !== 'string' || syscall === undefined) throw error;
    // Node's message repeats the call and the path, which this one names already
    const what = String(message)
      .replace(new RegExp(`^${code}: `), '')
      .replace(/, \w+(?: '.*')?$/s, '');
    throw new UnreadableJournalError(runId, file, code, `${code} (${what})`, error);
  }
}

/**
 * Whether `error`, of {@link readingFile}, says the file is not there: removed since it was
 * found (or a link to nothing, which the journal does not count as a run either).
 *
 * @example
 * if (isMissingFile(error)) throw new RunNotResumableError(runId, 'unknown', undefined, root);
 */
export function isMissingFile(error: unknown): error is UnreadableJournalError {
  return error instanceof UnreadableJournalError && error.code === 'ENOENT';
}

/** The run id a journal file is named after (its id, escaped), as the listing names a file it cannot read. */
export function runIdOfFileName(file: string): string {
  const name = path.basename(file, '.jsonl');
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/** What a journal file is called in {@link openToRead}'s refusal. */
export const JOURNAL_FILE = 'a journal file';

/**
 * Opens `file` to read it, refusing what is neither a file nor a folder (a FIFO would hold the
 * read for ever, a device never end it) with `EFTYPE`, as the file system's own refusals are
 * (worded by {@link readingFile}); `what` names what was expected there. A folder fails its
 * read with `EISDIR`.
 */
export function openToRead(file: string, what: string): number {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const stat = fs.fstatSync(fd);
  if (stat.isFile() || stat.isDirectory()) return fd;
  fs.closeSync(fd);
  const kind = stat.isFIFO() ? 'a FIFO' : stat.isSocket() ? 'a socket' : 'a device';
  throw Object.assign(new Error(`EFTYPE: ${kind} where ${what} was expected, open '${file}'`), {
    code: 'EFTYPE',
    syscall: 'open',
    path: file,
  });
}

/** The bytes of `file` (see {@link openToRead}). */
export function readWhole(file: string, what: string): Buffer {
  const fd = openToRead(file, what);
  try {
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Whether the journal file `file` of `runId` is there: `false` when it is not (nor its folder, or
 * it is a link to nothing), an {@link UnreadableJournalError} when the file system will not say
 * (no permission to look in the folder): such a run is not one the journal does not have.
 *
 * @example
 * if (!journalFileExists(file, runId)) throw new RunNotResumableError(runId, 'unknown', undefined, root);
 */
export function journalFileExists(file: string, runId: string): boolean {
  try {
    readingFile(file, runId, () => fs.statSync(file));
    return true;
  } catch (error) {
    if (error instanceof UnreadableJournalError && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return false;
    throw error;
  }
}
