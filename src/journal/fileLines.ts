/**
 * The complete lines of an open journal file, read a chunk at a time and handed out as bytes (a
 * listing looks at most lines' first bytes without decoding them). A line without its newline at
 * the end is a torn write: it is not handed out, only counted ({@link FileLines.tornBytes}).
 * Why not one read of the whole file: Node refuses to read more than 2 GiB at once, and a run
 * with big outputs writes a journal that long. It neither decodes nor checks a line.
 */
import { constants } from 'node:buffer';
import * as fs from 'node:fs';

/** Bytes read at a time: a few reads for most journals, and far below Node's 2 GiB. */
const CHUNK_BYTES = 16 * 1024 * 1024;

/**
 * The longest line a writer can have written: one event's text, a string (at most
 * `MAX_STRING_LENGTH` UTF-16 units, each at most 3 bytes of UTF-8). A longer run of bytes without
 * a newline is no line of this journal (a torn tail of zeros, another file): not kept in memory.
 */
const MAX_LINE_BYTES = 3 * constants.MAX_STRING_LENGTH;

/** A line longer than any a journal writer writes; `bytes`: how long. */
export class OverlongLineError extends Error {
  override readonly name = 'OverlongLineError';
  constructor(readonly bytes: number) {
    super(`a line of ${bytes} bytes, longer than any event's (at most ${MAX_LINE_BYTES})`);
  }
}

export class FileLines {
  private chunk: Buffer = Buffer.alloc(0);
  // where `chunk` starts in the file
  private chunkStart = 0;
  // the next byte of `chunk` not handed out
  private at = 0;
  // bytes of the file up to the end of the last line handed out
  private complete = 0;

  /**
   * `size`: the bytes to read (the file's size when it was opened: what a live run appends later
   * is left); `chunkBytes` and `maxLineBytes` for tests.
   */
  constructor(
    private readonly fd: number,
    private readonly size: number,
    private readonly chunkBytes = CHUNK_BYTES,
    private readonly maxLineBytes = MAX_LINE_BYTES,
  ) {}

  /**
   * The next complete line without its newline, `undefined` when none is left. A view of a
   * buffer read for it and never reused: it stays as it is after later calls. Throws an {@link OverlongLineError} for a line longer than any a writer writes
   * (the lines after it can still be read).
   */
  next(): Buffer | undefined {
    let parts: Buffer[] | undefined;
    let partBytes = 0;
    for (;;) {
      const end = this.chunk.indexOf(0x0a, this.at);
      if (end >= 0) {
        const piece = this.chunk.subarray(this.at, end);
        this.at = end + 1;
        this.complete = this.chunkStart + this.at;
        if (partBytes + piece.length > this.maxLineBytes) throw new OverlongLineError(partBytes + piece.length);
        if (parts === undefined) return piece;
        parts.push(piece);
        return Buffer.concat(parts);
      }
      // a line longer than what is left of the chunk goes on in the next one; past the longest, only its length is kept
      partBytes += this.chunk.length - this.at;
      if (partBytes > this.maxLineBytes) parts = [];
      else if (this.at < this.chunk.length) (parts ??= []).push(this.chunk.subarray(this.at));
      if (!this.readChunk()) return undefined;
    }
  }

  /** Bytes up to the end of the last line handed out. */
  get completeBytes(): number {
    return this.complete;
  }

  /** Bytes read after the last line handed out: once `next` said no line is left, a torn last line (0 when none). */
  get tornBytes(): number {
    return this.chunkStart + this.chunk.length - this.complete;
  }

  private readChunk(): boolean {
    const from = this.chunkStart + this.chunk.length;
    if (from >= this.size) return false;
    const chunk = Buffer.allocUnsafe(Math.min(this.chunkBytes, this.size - from));
    const read = fs.readSync(this.fd, chunk, 0, chunk.length, from);
    if (read === 0) return false; // shortened meanwhile
    this.chunkStart = from;
    this.chunk = chunk.subarray(0, read);
    this.at = 0;
    return true;
  }
}

/**
 * `read(lines)` over the complete lines of the journal file `file` (opened as `open` opens it),
 * the file closed after.
 *
 * @example
 * const count = withFileLines(file, openJournal, (lines) => { let n = 0; while (lines.next()) n++; return n; });
 */
export function withFileLines<T>(file: string, open: (file: string) => number, read: (lines: FileLines) => T): T {
  const fd = open(file);
  try {
    return read(new FileLines(fd, fs.fstatSync(fd).size));
  } finally {
    fs.closeSync(fd);
  }
}
