import { closeSync, openSync, writeSync } from 'node:fs';
import type { DagEvent } from '../../index';
import { InvalidInputError } from '../problems';

/** Buffered bytes that trigger a write at once rather than at the end of the tick. */
const FLUSH_AT_CHARS = 64 * 1024;

/**
 * Writes the events log: every event as one JSON object per line, exactly as the library
 * emitted it. Writes are synchronous, so the log is complete on disk by the time the CLI
 * exits, even on Ctrl-C; they are batched per tick, so a burst of events costs one write.
 */
export class EventLog {
  // Lines not written yet.
  private buffer: string[] = [];
  private bufferedChars = 0;
  // Whether a flush at the end of this tick is scheduled.
  private flushScheduled = false;

  private constructor(private fd: number | undefined) {}

  /** Opens (and truncates) `path`; an unwritable path is an invalid option (exit 2). */
  static open(path: string): EventLog {
    try {
      return new EventLog(openSync(path, 'w'));
    } catch (error) {
      throw new InvalidInputError([{ message: `--events: cannot write "${path}": ${(error as Error).message}` }]);
    }
  }

  write(event: DagEvent): void {
    const line = `${JSON.stringify(event)}\n`;
    this.buffer.push(line);
    this.bufferedChars += line.length;
    if (this.bufferedChars >= FLUSH_AT_CHARS) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes what is buffered and closes the file. */
  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.fd === undefined || this.buffer.length === 0) return;
    writeSync(this.fd, this.buffer.join(''));
    this.buffer = [];
    this.bufferedChars = 0;
  }
}
