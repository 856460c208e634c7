/**
 * The task logs of `--logs DIR`: each attempt of a shell task appends the whole of its stdout
 * and stderr, chunk by chunk as the pipes deliver them, to `DIR/<run>/<task>.<attempt>.log` (the
 * run's and the task's ids made file names by {@link logFileName}): a folder per run, so that
 * runs sharing `DIR` (one after the other, or at once) never write into one another's logs, and
 * a resumed run adds to its own. The folders are made, with their parents, when the first attempt
 * logs, their user's only (0700) as the store is, and so are the logs it makes
 * (0600): they hold what the tasks wrote. A folder that exists keeps its permissions: give
 * `--logs` one that others cannot write to. Writes are synchronous, one per chunk: nothing waits
 * in memory, the file holds everything once the attempt ends, and the two streams are in the
 * order their chunks came. The first write that fails (a full disk) stops every log of the run there and is told
 * once ({@link TaskLogs.whenFailed}); the tasks go on. Attempts that fail keep the name of their
 * log, so that a failure can point at it ({@link TaskLogs.noteOf}); those that succeed are
 * forgotten.
 *
 * It does not check the folder before the run (`logsFolder.ts` does), keep the tail a task's
 * output and error quote (the shell agent does), nor decide what a failed write does to the run
 * (the commands do).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { makePrivateFolder } from '../../journal/privateFolder';

/** The writer of one attempt's log. */
export interface AttemptLog {
  /** Appends a chunk the command wrote, on either stream, as it came. */
  write(chunk: Uint8Array): void;
  /**
   * Closes the log. `failed`: the attempt failed (or was stopped), and a failure may name its
   * log. Calling it again does nothing.
   */
  end(failed: boolean): void;
}

/** Characters a log's name keeps as they are: none is special to a shell, a file system or an artifact upload. */
const KEPT = /^[A-Za-z0-9_.,+=@-]$/;

/** Longest escaped id kept whole; a longer one is cut and ends with a hash (names are at most 255 bytes). */
const MAX_ID_CHARS = 200;

/**
 * The file name of an attempt's log: `<task id>.<attempt>.log`, each character of the id other
 * than ASCII letters, digits and `_.,+=@-` written as `%XX` (its UTF-8 bytes: `%2F` for `/`,
 * `%20` for a space, `%25` for `%`), and a leading `.` as `%2E` (a hidden file would be missed).
 * An id that needs no escape keeps its name; any other reads back with `decodeURIComponent`, so
 * two ids never share a file. An escaped id past {@link MAX_ID_CHARS} characters is cut and
 * ends with `~` and a hash of the whole id (`~` is always escaped otherwise).
 *
 * @example
 * logFileName('test-core', 1) // 'test-core.1.log'
 * logFileName('pkg/a b', 2) // 'pkg%2Fa%20b.2.log'
 */
export function logFileName(taskId: string, attempt: number): string {
  return `${fileNameOf(taskId)}.${attempt}.log`;
}

/** The folder of a run's logs in `DIR`: its id escaped as {@link logFileName} escapes a task's. */
export function runFolderName(runId: string): string {
  return fileNameOf(runId);
}

/** `id` as a file name (see {@link logFileName}). */
function fileNameOf(id: string): string {
  let name = '';
  for (const char of id) {
    if (KEPT.test(char) && !(name === '' && char === '.')) name += char;
    else if (char.length === 1 && char >= '\uD800' && char <= '\uDFFF') {
      // a lone surrogate has no UTF-8 bytes of its own: named by its code unit
      name += `%u${char.charCodeAt(0).toString(16).toUpperCase()}`;
    } else {
      for (const byte of Buffer.from(char, 'utf8')) name += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  if (name.length > MAX_ID_CHARS) {
    const hash = createHash('sha256').update(id).digest('hex').slice(0, 16);
    name = `${name.slice(0, MAX_ID_CHARS - hash.length - 1)}~${hash}`;
  }
  return name;
}

/** One attempt's log while it is open. */
interface OpenLog {
  readonly log: AttemptLog;
  readonly file: string;
  /** Whether the file holds everything the attempt wrote so far. */
  complete: boolean;
}

/**
 * The task logs of one run, in `dir` (as given: the names it hands out start with it).
 *
 * @example
 * const logs = new TaskLogs('logs');
 * createShellAgent({ groups, logs }); // each attempt writes logs/<run>/<task>.<attempt>.log
 */
export class TaskLogs {
  // Run folders made at their first attempt that logs, not again (a folder removed meanwhile fails the logs).
  private readonly foldersMade = new Set<string>();
  // The attempts writing now, by attemptKey.
  private readonly open = new Map<string, OpenLog>();
  // Attempts that failed, by attemptKey, their log and whether it holds all they wrote: only these
  // are named later, so a run of many tasks keeps one entry per failure, not per attempt.
  private readonly failed = new Map<string, { readonly file: string; readonly complete: boolean }>();
  // The first failure: nothing is written after it.
  private failure: { readonly file: string; readonly error: unknown } | undefined;
  private onFailure: ((file: string, error: unknown) => void) | undefined;

  constructor(readonly dir: string) {}

  /** The log of an attempt of run `runId`: `dir`, the run's folder ({@link runFolderName}), and {@link logFileName}. */
  fileOf(runId: string, taskId: string, attempt: number): string {
    return path.join(this.dir, runFolderName(runId), logFileName(taskId, attempt));
  }

  /**
   * Opens the log of an attempt for appending (an attempt run again after a resume adds to what
   * it wrote before), or nothing once the logs stopped: a folder or file that cannot be made
   * stops them too.
   */
  openAttempt(runId: string, taskId: string, attempt: number): AttemptLog | undefined {
    if (this.failure !== undefined) return undefined;
    const file = this.fileOf(runId, taskId, attempt);
    let fd: number | undefined;
    try {
      const folder = path.dirname(file);
      if (!this.foldersMade.has(folder)) {
        makePrivateFolder(this.dir, { gitIgnored: true });
        makePrivateFolder(folder);
      }
      this.foldersMade.add(folder);
      // its user's only, as the folder rxdag makes
      fd = openSync(file, 'a', 0o600);
    } catch (error) {
      this.fail(file, error);
      return undefined;
    }
    const key = attemptKey(taskId, attempt);
    const close = () => {
      const open = fd;
      fd = undefined;
      if (open === undefined) return;
      try {
        closeSync(open);
      } catch (error) {
        entry.complete = false;
        this.fail(file, error); // e.g. EIO, or a delayed ENOSPC on NFS
      }
    };
    const log: AttemptLog = {
      write: (chunk) => {
        if (fd === undefined) return;
        if (this.failure !== undefined) {
          entry.complete = false;
          return close();
        }
        try {
          // writeSync may write less than asked: write the rest
          for (let offset = 0; offset < chunk.length;) offset += writeSync(fd, chunk, offset);
        } catch (error) {
          entry.complete = false;
          close();
          this.fail(file, error);
        }
      },
      end: (failed) => {
        if (this.open.get(key) !== entry) return;
        this.open.delete(key);
        close();
        if (failed) this.failed.set(key, { file, complete: entry.complete });
      },
    };
    const entry: OpenLog = { log, file, complete: true };
    this.open.set(key, entry);
    return log;
  }

  /**
   * The line a failure of this attempt adds under its error: `full output: logs/nightly-x/test.1.log`,
   * `output until its log could not be written: …` when the logs stopped while it ran, nothing
   * when this process did not log it (it failed before a resume, or after the logs stopped).
   * Asked while the attempt still runs (it timed out, its processes are stopping), its log so far.
   */
  noteOf(taskId: string, attempt: number): string | undefined {
    const key = attemptKey(taskId, attempt);
    const logged = this.open.get(key) ?? this.failed.get(key);
    if (logged === undefined) return undefined;
    return `${logged.complete ? 'full output' : 'output until its log could not be written'}: ${logged.file}`;
  }

  /** Calls `listener` once, with the file and the error, when a log cannot be written (at once if one could not already). */
  whenFailed(listener: (file: string, error: unknown) => void): void {
    this.onFailure = listener;
    if (this.failure !== undefined) listener(this.failure.file, this.failure.error);
  }

  private fail(file: string, error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = { file, error };
    this.onFailure?.(file, error);
  }
}

/** One attempt of one task (ids hold no control character, so a line feed cannot be part of one). */
function attemptKey(taskId: string, attempt: number): string {
  return `${taskId}\n${attempt}`;
}
