/**
 * The events log of `rxdag run --events` and `rxdag resume --events`: one JSON object per line,
 * written synchronously in batches; a failed write stops the log and is reported once. It does
 * not decide what a failure does to the run (the commands do).
 */
import { closeSync, writeSync } from 'node:fs';
import { openOutput } from '../commands/writeTarget';
import type { DagEvent } from '../../index';
import { InvalidInputError } from '../problems';

/** Buffered bytes that trigger a write at once rather than at the end of the tick. */
const FLUSH_AT_CHARS = 64 * 1024;

/**
 * Writes the events log: every event as one JSON object per line, exactly as the library
 * emitted it. Writes are synchronous, so the log is complete on disk by the time the CLI
 * exits, even on Ctrl-C; they are batched per tick, so a burst of events costs one write.
 *
 * A failed write (a full disk, `/dev/full`) never throws: the log stops there, drops every
 * later event and tells `onError` once, so the caller decides (`rxdag run` cancels the run).
 * It does not check the path beforehand (see `writeTarget.ts`) nor retry a failed write.
 */
export class EventLog {
  // Lines not written yet.
  private buffer: string[] = [];
  private bufferedChars = 0;
  // Whether a flush at the end of this tick is scheduled.
  private flushScheduled = false;
  // The first write error; nothing is written after it.
  private error: NodeJS.ErrnoException | undefined;

  private constructor(
    private fd: number | undefined,
    private readonly onError: (error: NodeJS.ErrnoException) => void,
  ) {}

  /**
   * Opens (and truncates) `path`; an unwritable path is an invalid option (exit 2).
   * `onError` is called once, with the first error of a later write.
   */
  static open(path: string, onError: (error: NodeJS.ErrnoException) => void = () => {}): EventLog {
    try {
      return new EventLog(openOutput(path, 'w'), onError);
    } catch (error) {
      throw new InvalidInputError([{ message: `--events: cannot write "${path}": ${(error as Error).message}` }]);
    }
  }

  /**
   * Opens (and truncates) `path` once the run has started: a failure to open it is reported to
   * `onError` like a failed write (the returned log writes nothing), not thrown.
   */
  static openDuringRun(path: string, onError: (error: NodeJS.ErrnoException) => void): EventLog {
    let fd: number;
    try {
      fd = openOutput(path, 'w');
    } catch (error) {
      const log = new EventLog(undefined, onError);
      log.fail(error as NodeJS.ErrnoException);
      return log;
    }
    return new EventLog(fd, onError);
  }

  /** The error that stopped the log, if one did. */
  get failure(): NodeJS.ErrnoException | undefined {
    return this.error;
  }

  write(event: DagEvent): void {
    if (this.error !== undefined || this.fd === undefined) return;
    const line = `${JSON.stringify(event)}\n`;
    this.buffer.push(line);
    this.bufferedChars += line.length;
    if (this.bufferedChars >= FLUSH_AT_CHARS) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes what is buffered and closes the file. Calling it again does nothing. */
  close(): void {
    this.flush();
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch (error) {
      this.fail(error as NodeJS.ErrnoException); // e.g. EIO, or a delayed ENOSPC on NFS
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.fd === undefined || this.buffer.length === 0) return;
    const bytes = Buffer.from(this.buffer.join(''));
    this.buffer = [];
    this.bufferedChars = 0;
    try {
      // writeSync may write less than asked (a pipe, a signal): write the rest
      for (let offset = 0; offset < bytes.length;) offset += writeSync(this.fd, bytes, offset);
    } catch (error) {
      this.fail(error as NodeJS.ErrnoException);
    }
  }

  private fail(error: NodeJS.ErrnoException): void {
    if (this.error !== undefined) return;
    this.error = error;
    this.buffer = [];
    this.bufferedChars = 0;
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // the log is lost already; the first error is the one to report
      }
    }
    this.onError(error);
  }
}
