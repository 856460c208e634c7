import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DagEvent } from '../events';
import { eventProblem, tallyFieldsProblem } from './eventShape';
import { checkedHeader } from './headerShape';
import { HEAD_BYTES, type HeaderHead, headerHeadOf } from './headerHead';
import { JournalCorruptError, type JournalHeader } from './journal';
import { JOURNAL_FILE, openToRead } from './unreadableFile';
import { type FileLines, OverlongLineError, withFileLines } from './fileLines';

/**
 * Reads one file of the file journal: its header line, its events in order, and where its last
 * complete line ends (a last line without its newline is a torn write, never acknowledged). It
 * checks what makes a record trustworthy (JSON lines, a header of the shape `headerShape.ts`
 * asks for, one run, `seq` without a gap) and nothing of the events' meaning (the reducer does); a
 * problem is placed at `file:line`. It never writes.
 */

/** A run's header and events as read from its file. */
export interface RecordedRun {
  readonly header: JournalHeader;
  readonly events: readonly DagEvent[];
}

/** What a listing reads of an ended run: its header's head, its first event and its last. */
export interface EndedRun {
  readonly header: HeaderHead;
  readonly events: readonly DagEvent[];
}

/** What a journal file holds, as read. */
export interface JournalRecord extends RecordedRun {
  readonly events: DagEvent[];
  /** Bytes up to the end of the last complete line (of the last line read, when a listing's read stopped at a bad one). */
  readonly completeBytes: number;
  /** Bytes after it: a torn last line, 0 when none (what was left unread, when a listing's read stopped at a bad line). */
  readonly tornBytes: number;
}

/**
 * Reads a journal file. `strict`: any unreadable line but a torn last one, a gap in `seq` or an
 * event of another run is a `JournalCorruptError`; otherwise (listing) it reads what it can.
 */
export function readRecord(file: string, runId: string | undefined, strict: boolean, check?: (fd: number) => void): JournalRecord {
  const open = (path: string): number => {
    const fd = openJournalFile(path);
    try {
      check?.(fd); // the file opened, before it is read: what it throws refuses it
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
    return fd;
  };
  return withFileLines(file, open, (lines) => readLines(lines, file, runId, strict));
}

function readLines(lines: FileLines, file: string, runId: string | undefined, strict: boolean): JournalRecord {
  const name = runId ?? runIdOfFile(file);
  // a line at a time: a journal may hold more text than one string can (~512 MiB)
  const nextLine = (where: string): string | undefined => {
    try {
      return lines.next()?.toString('utf8');
    } catch (error) {
      if (error instanceof OverlongLineError) throw new JournalCorruptError(name, where, error.message);
      throw error;
    }
  };
  const header = parseHeader(nextLine(`${file}:1`), name, runId, `${file}:1`);
  const events: DagEvent[] = [];
  for (let i = 2; ; i++) {
    const where = `${file}:${i}`;
    let event: DagEvent;
    try {
      const line = nextLine(where);
      if (line === undefined) break;
      event = JSON.parse(line) as DagEvent;
    } catch (error) {
      if (!strict) break;
      if (error instanceof JournalCorruptError) throw error;
      throw new JournalCorruptError(name, where, `not JSON (${(error as Error).message})`);
    }
    const problem = eventProblem(event, header.runId, events.length + 1);
    if (problem !== undefined) {
      if (!strict) break;
      throw new JournalCorruptError(name, where, problem);
    }
    events.push(event);
  }
  return { header, events, completeBytes: lines.completeBytes, tornBytes: lines.tornBytes };
}

/** Opens a journal file to read it (see {@link openToRead}). */
export function openJournalFile(file: string): number {
  return openToRead(file, JOURNAL_FILE);
}

/**
 * The head of the header of the journal file `file` (who, which DAG, when), from the first bytes
 * of its first line when the spec comes last there, else from the whole line; its spec is not
 * checked.
 */
export function readHeaderHead(file: string, runId: string): HeaderHead {
  const fd = openToRead(file, JOURNAL_FILE);
  try {
    const size = fs.fstatSync(fd).size;
    const [start] = firstLines(fd, size, 1, HEAD_BYTES);
    return headOf(fd, size, start, file, runId);
  } finally {
    fs.closeSync(fd);
  }
}

/** The header of the journal file of `runId`, read from its first line alone (its events are not read). */
export function readHeader(file: string, runId: string): JournalHeader {
  const fd = openToRead(file, JOURNAL_FILE);
  try {
    const [line] = firstLines(fd, fs.fstatSync(fd).size, 1);
    return parseHeader(line, runId, runId, `${file}:1`);
  } finally {
    fs.closeSync(fd);
  }
}

/** Bytes read at a time from either end of a file. */
const CHUNK_BYTES = 256 * 1024;

/**
 * A listing's read of a run that ended: its header, its first event and its last, when the file
 * ends with a whole `dag.completed` line of the header's run after a `dag.created` (their tally is
 * the run's summary); `undefined` for any other file, which the caller then reads whole. The
 * lines between are not read.
 * Why: an ended 100k-task run is ~40 MB of lines, and a store keeps many; listing them parsed
 * every line of every run (5 such runs: ~3 s and ~460 MB).
 */
export function readEndedRun(file: string): EndedRun | undefined {
  const fd = openToRead(file, JOURNAL_FILE);
  try {
    const size = fs.fstatSync(fd).size;
    const last = parsedEvent(lastLine(fd, size));
    if (last?.type !== 'dag.completed' || tallyFieldsProblem(last) !== undefined) return undefined;
    const [headerStart, firstLine] = firstLines(fd, size, 2, HEAD_BYTES);
    const first = parsedEvent(firstLine);
    if (first?.type !== 'dag.created' || first.seq !== 1 || tallyFieldsProblem(first) !== undefined) return undefined;
    const header = headOf(fd, size, headerStart, file, undefined);
    return first.runId === header.runId && last.runId === header.runId ? { header, events: [first, last] } : undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The head of the header of the open journal file `file` from `start`, its first line's first
 * bytes; else (an older journal, options longer than those bytes) from its whole first line,
 * checked as the header of `runId` when given.
 */
function headOf(fd: number, size: number, start: string | undefined, file: string, runId: string | undefined): HeaderHead {
  return headerHeadOf(start ?? '') ?? parseHeader(firstLines(fd, size, 1)[0], runId ?? runIdOfFile(file), runId, `${file}:1`);
}

/** A torn last line of a journal file: where it starts and how long it is. */
export interface TornTail {
  /** Its first byte's offset: the end of the last complete line. */
  readonly at: number;
  readonly bytes: number;
}

/**
 * The torn last line of `file` (bytes after its last newline), `undefined` when it ends with a
 * newline. Reads from the end, a chunk at a time: one byte for a whole file.
 * Why: `rxdag show` and `rxdag runs` tell of a torn tail without reading a 40 MB journal again.
 */
export function readTornTail(file: string): TornTail | undefined {
  const fd = openToRead(file, JOURNAL_FILE);
  try {
    const size = fs.fstatSync(fd).size;
    for (let start = size; start > 0;) {
      const from = Math.max(0, start - (start === size ? 1 : CHUNK_BYTES));
      const chunk = Buffer.allocUnsafe(start - from);
      const read = fs.readSync(fd, chunk, 0, chunk.length, from);
      const newline = chunk.subarray(0, read).lastIndexOf(0x0a);
      if (newline >= 0) {
        const at = from + newline + 1;
        return at === size ? undefined : { at, bytes: size - at };
      }
      start = from;
    }
    return size === 0 ? undefined : { at: 0, bytes: size };
  } finally {
    fs.closeSync(fd);
  }
}

/** The file's last line, when the file ends with a newline (else it is torn: `undefined`). */
function lastLine(fd: number, size: number): string | undefined {
  let tail = Buffer.alloc(0);
  for (let start = size; start > 0;) {
    const from = Math.max(0, start - CHUNK_BYTES);
    const chunk = Buffer.allocUnsafe(start - from);
    if (fs.readSync(fd, chunk, 0, chunk.length, from) !== chunk.length) return undefined; // changed meanwhile
    tail = Buffer.concat([chunk, tail]);
    start = from;
    if (tail[tail.length - 1] !== 0x0a) return undefined;
    const before = tail.length >= 2 ? tail.lastIndexOf(0x0a, tail.length - 2) : -1;
    if (before >= 0) return tail.subarray(before + 1, tail.length - 1).toString('utf8');
  }
  return tail.length > 0 ? tail.subarray(0, tail.length - 1).toString('utf8') : undefined;
}

/**
 * The file's first `count` whole lines (fewer when it has fewer); each chunk is copied once. Of
 * the first line only its first `firstBytes` bytes are kept (a header's head: the rest is read
 * past, not decoded).
 */
function firstLines(fd: number, size: number, count: number, firstBytes = Number.POSITIVE_INFINITY): string[] {
  const lines: string[] = [];
  let parts: Buffer[] = [];
  let kept = 0;
  const keep = (part: Buffer) => {
    const room = lines.length === 0 ? firstBytes - kept : Number.POSITIVE_INFINITY;
    if (room <= 0) return;
    parts.push(part.length > room ? part.subarray(0, room) : part);
    kept += part.length;
  };
  for (let at = 0; at < size && lines.length < count;) {
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, size - at));
    const read = fs.readSync(fd, chunk, 0, chunk.length, at);
    if (read === 0) break; // shortened meanwhile
    at += read;
    let rest = chunk.subarray(0, read);
    let end: number;
    while (lines.length < count && (end = rest.indexOf(0x0a)) >= 0) {
      keep(rest.subarray(0, end));
      lines.push(Buffer.concat(parts).toString('utf8'));
      parts = [];
      rest = rest.subarray(end + 1);
    }
    keep(rest);
  }
  return lines;
}

/** A line's event, or `undefined` when it is not JSON of an object with a type. */
function parsedEvent(line: string | undefined): DagEvent | undefined {
  if (line === undefined) return undefined;
  try {
    const event = JSON.parse(line) as unknown;
    return typeof event === 'object' && event !== null && typeof (event as DagEvent).type === 'string' ? (event as DagEvent) : undefined;
  } catch {
    return undefined;
  }
}

/** The header on the first line of `file`, as a listing reads it (any run's). */
export function listedHeader(line: string | undefined, file: string): JournalHeader {
  return parseHeader(line, runIdOfFile(file), undefined, `${file}:1`);
}

function parseHeader(line: string | undefined, name: string, runId: string | undefined, where: string): JournalHeader {
  if (line === undefined) throw new JournalCorruptError(name, where, 'the file has no header line');
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    throw new JournalCorruptError(name, where, `the header is not JSON (${(error as Error).message})`);
  }
  const header = checkedHeader(parsed, name, where);
  if (runId !== undefined && header.runId !== runId) {
    throw new JournalCorruptError(name, where, `the file holds the journal of run "${header.runId}"`);
  }
  return header;
}

/** The run id a journal file's name stands for (names are escaped ids); the bare name when it is not an escaped id. */
function runIdOfFile(file: string): string {
  const name = path.basename(file, '.jsonl');
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}
