/**
 * The tally of a run's journal file (last `seq`, how its tasks ended so far, when it started)
 * for a listing, read without parsing every line: the lines this journal writes begin with
 * `{"type":"…"`, so a line's type is read from its first bytes, and only the few lines whose
 * fields the tally needs (`dag.created`, `tasks.spawned`, `dag.completed`, the last line) are
 * parsed. Why: a run that never ended is listed from its whole file, and a 100k-task run's
 * 300k lines took ~0.5 s and ~200 MB to parse on every `rxdag runs`.
 *
 * It checks nothing the tally does not need (a damaged line is the business of `show` and
 * `resume`, which read strictly): a line it cannot read so is left to the slow path, which the
 * caller takes when this gives up (`undefined`). It never writes.
 */
import type { DagEvent } from '../events';
import { listedHeader } from './fileRecord';
import type { JournalHeader } from './journal';
import { addToTally, emptyTally, type RunTally } from './tally';
import { JOURNAL_FILE, readWhole } from './unreadableFile';

/** What a journal line begins with: its event's type comes next. */
const TYPE_PREFIX = Buffer.from('{"type":"');
const WILL_RETRY_FALSE = Buffer.from('"willRetry":false');
const NEWLINE = 0x0a;
const QUOTE = 0x22;

/** What a line's type means to the tally: counted as one of these, parsed, or of no account. */
const COMPLETED = 1;
const SKIPPED = 2;
const CANCELLED = 3;
const FAILED = 4;
const PARSED = 5;
const OTHER = 0;

/** The types the tally looks at, as bytes (compared in place: no string made per line, a 100k-task run has 300k lines). */
const TYPES: readonly (readonly [Buffer, number])[] = [
  [Buffer.from('task.completed'), COMPLETED],
  [Buffer.from('task.skipped'), SKIPPED],
  [Buffer.from('task.cancelled'), CANCELLED],
  [Buffer.from('task.failed'), FAILED],
  // the tally needs more of these than their type: dag.created (the total), a spawn (more tasks), the run's end
  [Buffer.from('dag.created'), PARSED],
  [Buffer.from('tasks.spawned'), PARSED],
  [Buffer.from('dag.completed'), PARSED],
];

/** Which of {@link TYPES} the type at [start, end) of `buffer` is, or {@link OTHER}. */
function typeAt(buffer: Buffer, start: number, end: number): number {
  for (const [name, kind] of TYPES) {
    if (name.length === end - start && buffer.compare(name, 0, name.length, start, end) === 0) return kind;
  }
  return OTHER;
}

/** A run's header and tally, as a listing needs them. */
export interface TalliedRun {
  readonly header: JournalHeader;
  readonly tally: RunTally;
}

/**
 * The header and tally of the journal file `file` (its complete lines: a torn last one is left
 * out), or `undefined` when a line does not begin as this journal writes lines (the caller
 * reads the file the slow way). Throws what the header's read throws.
 */
export function tallyOfFile(file: string): TalliedRun | undefined {
  const buffer = readWhole(file, JOURNAL_FILE);
  const end = buffer.lastIndexOf(NEWLINE) + 1; // a last line without its newline is torn
  const headerEnd = buffer.indexOf(NEWLINE);
  const header = listedHeader(headerEnd < 0 || headerEnd >= end ? undefined : buffer.toString('utf8', 0, headerEnd), file);
  let tally = emptyTally(Array.isArray(header.spec.tasks) ? header.spec.tasks.length : 0);
  let { total, completed, failed, skipped, cancelled } = tally.counts;
  let lastLine = -1;
  for (let start = headerEnd + 1; start < end;) {
    const lineEnd = buffer.indexOf(NEWLINE, start);
    const typeStart = start + TYPE_PREFIX.length;
    const typeEnd = buffer.indexOf(QUOTE, typeStart);
    if (buffer.compare(TYPE_PREFIX, 0, TYPE_PREFIX.length, start, typeStart) !== 0 || typeEnd < 0 || typeEnd > lineEnd) return undefined;
    const type = typeAt(buffer, typeStart, typeEnd);
    if (type === COMPLETED) completed += 1;
    else if (type === SKIPPED) skipped += 1;
    else if (type === CANCELLED) cancelled += 1;
    else if (type === FAILED) {
      const found = buffer.indexOf(WILL_RETRY_FALSE, typeEnd);
      if (found >= 0 && found < lineEnd) failed += 1;
    } else if (type === PARSED) {
      const event = parsedLine(buffer, start, lineEnd);
      if (event === undefined) return undefined;
      // its counts from here on: a dag.created sets the total, a spawn adds to it
      tally = addToTally({ ...tally, counts: { total, completed, failed, skipped, cancelled } }, [event]);
      ({ total, completed, failed, skipped, cancelled } = tally.counts);
    }
    lastLine = start;
    start = lineEnd + 1;
  }
  const last = lastLine < 0 ? undefined : parsedLine(buffer, lastLine, buffer.indexOf(NEWLINE, lastLine));
  if (lastLine >= 0 && last === undefined) return undefined;
  const counts = tally.outcome === null ? { total, completed, failed, skipped, cancelled } : tally.counts;
  return { header, tally: { ...tally, counts, lastSeq: last?.seq ?? 0 } };
}

/** The event of the line at [start, end), or `undefined` when it is not JSON of an event. */
function parsedLine(buffer: Buffer, start: number, end: number): DagEvent | undefined {
  try {
    const event = JSON.parse(buffer.toString('utf8', start, end)) as DagEvent;
    return typeof event === 'object' && event !== null && typeof event.seq === 'number' ? event : undefined;
  } catch {
    return undefined;
  }
}
