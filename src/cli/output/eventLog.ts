/**
 * The events log of `rxdag run --events` and `rxdag resume --events`: one JSON object per line,
 * written in batches, synchronously into a file, and into a pipe (a FIFO, `>(jq .)`) in the
 * background, so that a reader that stops reading holds neither the run nor its signals; a failed
 * write stops the log and is reported once. It does not decide what a failure does to the run
 * (the commands do).
 */
import { closeSync, fstatSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { finished } from 'node:stream';
import { openOutput } from '../commands/writeTarget';
import type { DagEvent } from '../../index';
import { InvalidInputError } from '../problems';

/** Buffered bytes that trigger a write at once rather than at the end of the tick. */
const FLUSH_AT_CHARS = 64 * 1024;

/** Bytes a pipe's reader may leave untaken before the log fails: the events wait in memory. */
const MAX_WAITING_BYTES = 256 * 1024 * 1024;

/**
 * Writes the events log: every event as one JSON object per line, exactly as the library
 * emitted it. Writes into a file are synchronous, so the log is complete on disk by the time
 * the CLI exits, even on Ctrl-C; into a pipe they go through a non-blocking socket of its own,
 * what the reader did not take yet waiting in memory, up to {@link MAX_WAITING_BYTES}. They are
 * batched per tick, so a burst of events costs one write.
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
  // A file or a device, written synchronously.
  private fd: number | undefined;
  // A pipe or a socket, written in the background.
  private pipe: Socket | undefined;
  // Closing (or closed): nothing more is written.
  private ended = false;
  private closing: Promise<boolean> | undefined;

  private constructor(
    fd: number | undefined,
    private readonly onError: (error: NodeJS.ErrnoException) => void,
  ) {
    const stat = fd === undefined ? undefined : fstatSync(fd);
    if (stat === undefined || !(stat.isFIFO() || stat.isSocket())) this.fd = fd;
    else {
      this.pipe = new Socket({ fd, readable: false, writable: true });
      this.pipe.on('error', (error) => this.fail(error));
    }
  }

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

  /** Bytes a pipe's reader has not taken yet. */
  get untaken(): number {
    return this.pipe?.writableLength ?? 0;
  }

  /** The error that stopped the log, if one did. */
  get failure(): NodeJS.ErrnoException | undefined {
    return this.error;
  }

  write(event: DagEvent): void {
    if (this.ended || this.error !== undefined || (this.fd === undefined && this.pipe === undefined)) return;
    const line = `${JSON.stringify(event)}\n`;
    this.buffer.push(line);
    this.bufferedChars += line.length;
    if (this.bufferedChars >= FLUSH_AT_CHARS) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /**
   * Writes what is buffered and closes the file; into a pipe, resolves once its reader took
   * every event (or the log failed, or {@link closeNow} cut the wait short).
   */
  async close(): Promise<void> {
    await this.closeWithin(Infinity);
  }

  /**
   * As {@link close}, waiting at most `ms` for a pipe's reader, then dropping what it did not
   * take. Resolves with whether nothing was dropped; called again, with the first call's answer.
   */
  closeWithin(ms: number): Promise<boolean> {
    return (this.closing ??= this.end(ms));
  }

  /**
   * Closes the file at once: into a pipe, events its reader did not take yet are dropped (a
   * second Ctrl-C will not wait for it), also while a {@link close} waits for them. A file has
   * them all.
   */
  closeNow(): void {
    this.flush();
    this.ended = true;
    const error = this.letGo();
    if (error !== undefined) this.fail(error); // e.g. EIO, or a delayed ENOSPC on NFS
  }

  /** Lets go of the pipe or the file; what closing the file failed with, if it did. */
  private letGo(): NodeJS.ErrnoException | undefined {
    this.pipe?.destroy();
    this.pipe = undefined;
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return undefined;
    try {
      closeSync(fd);
      return undefined;
    } catch (error) {
      return error as NodeJS.ErrnoException;
    }
  }

  private async end(ms: number): Promise<boolean> {
    this.flush();
    this.ended = true; // what comes later is not written
    const pipe = this.pipe;
    if (pipe === undefined) return (this.closeNow(), true);
    let timer: NodeJS.Timeout | undefined;
    const took = await Promise.race([
      new Promise<boolean>((resolve) => finished(pipe.end(), (error) => resolve(error === undefined || error === null))),
      ...(ms === Infinity ? [] : [new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false)))]),
    ]);
    clearTimeout(timer);
    this.closeNow();
    return took;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.buffer.length === 0) return;
    const bytes = Buffer.from(this.buffer.join(''));
    this.buffer = [];
    this.bufferedChars = 0;
    if (this.pipe !== undefined) return this.send(this.pipe, bytes);
    if (this.fd === undefined) return;
    try {
      // writeSync may write less than asked (a signal): write the rest
      for (let offset = 0; offset < bytes.length;) offset += writeSync(this.fd, bytes, offset);
    } catch (error) {
      this.fail(error as NodeJS.ErrnoException);
    }
  }

  /** Hands `bytes` to the pipe; fails the log when its reader has left too much untaken. */
  private send(pipe: Socket, bytes: Buffer): void {
    if (pipe.writableLength + bytes.length <= MAX_WAITING_BYTES) return void pipe.write(bytes);
    const megabytes = MAX_WAITING_BYTES / 1024 / 1024;
    this.fail(Object.assign(new Error(`ENOBUFS: its reader has left ${megabytes} MB of events untaken`), { code: 'ENOBUFS' }));
  }

  private fail(error: NodeJS.ErrnoException): void {
    if (this.error !== undefined) return;
    this.error = error;
    this.buffer = [];
    this.bufferedChars = 0;
    this.letGo(); // the log is lost already: the first error is the one to report
    this.onError(error);
  }
}
