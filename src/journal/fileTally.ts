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
import { listedHeader, openJournalFile } from './fileRecord';
import type { JournalHeader } from './journal';
import { addToTally, emptyTally, type RunTally } from './tally';
import { type FileLines, OverlongLineError, withFileLines } from './fileLines';
import { tallyFieldsProblem } from './eventShape';

/** What a journal line begins with: its event's type comes next. */
const TYPE_PREFIX = Buffer.from('{"type":"');
const WILL_RETRY_FALSE = Buffer.from('"willRetry":false');
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

/** Which of {@link TYPES} the type at [start, end) of `line` is, or {@link OTHER}. */
function typeAt(line: Buffer, start: number, end: number): number {
  for (const [name, kind] of TYPES) {
    if (name.length === end - start && line.compare(name, 0, name.length, start, end) === 0) return kind;
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
  return withFileLines(file, openJournalFile, (lines) => {
    try {
      return tallyOfLines(lines, file);
    } catch (error) {
      if (error instanceof OverlongLineError) return undefined; // the whole read says where
      throw error;
    }
  });
}

function tallyOfLines(lines: FileLines, file: string): TalliedRun | undefined {
  const header = listedHeader(lines.next()?.toString('utf8'), file);
  let tally = emptyTally(Array.isArray(header.spec.tasks) ? header.spec.tasks.length : 0);
  let { total, completed, failed, skipped, cancelled } = tally.counts;
  let last: Buffer | undefined;
  for (let line = lines.next(); line !== undefined; line = lines.next()) {
    const typeEnd = line.indexOf(QUOTE, TYPE_PREFIX.length);
    if (line.length < TYPE_PREFIX.length || line.compare(TYPE_PREFIX, 0, TYPE_PREFIX.length, 0, TYPE_PREFIX.length) !== 0 || typeEnd < 0) {
      return undefined;
    }
    const type = typeAt(line, TYPE_PREFIX.length, typeEnd);
    if (type === COMPLETED) completed += 1;
    else if (type === SKIPPED) skipped += 1;
    else if (type === CANCELLED) cancelled += 1;
    else if (type === FAILED) {
      if (line.indexOf(WILL_RETRY_FALSE, typeEnd) >= 0) failed += 1;
    } else if (type === PARSED) {
      const event = parsedLine(line);
      if (event === undefined) return undefined;
      // its counts from here on: a dag.created sets the total, a spawn adds to it
      tally = addToTally({ ...tally, counts: { total, completed, failed, skipped, cancelled } }, [event]);
      ({ total, completed, failed, skipped, cancelled } = tally.counts);
    }
    last = line;
  }
  const lastEvent = last === undefined ? undefined : parsedLine(last);
  if (last !== undefined && lastEvent === undefined) return undefined;
  const counts = tally.outcome === null ? { total, completed, failed, skipped, cancelled } : tally.counts;
  return { header, tally: { ...tally, counts, lastSeq: lastEvent?.seq ?? 0 } };
}

/** The event of `line`, or `undefined` when it is not JSON of an event with the fields a tally reads. */
function parsedLine(line: Buffer): DagEvent | undefined {
  try {
    const event = JSON.parse(line.toString('utf8')) as DagEvent;
    return typeof event === 'object' && event !== null && typeof event.seq === 'number' && tallyFieldsProblem(event) === undefined
      ? event
      : undefined;
  } catch {
    return undefined;
  }
}
