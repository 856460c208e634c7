/**
 * Reads the events log of one run (one JSON event per line, as `rxdag run --events` writes it)
 * for `rxdag report`: a folder or a binary file is refused as a whole, every line is checked for
 * the fields the report relies on, every bad line named. It checks nothing else of an event and
 * builds no report.
 */
import path from 'node:path';
import { z } from 'zod';
import { type DagEvent, EVENT_TYPES } from '../../index';
import { quoted } from '../../dag/text';
import { looksBinary, readInputBytes } from '../dagFile/readDagText';
import { InvalidInputError, type Problem } from '../problems';
import { commandLine, shellWord } from '../shellWord';

/** The fields the report relies on; other fields pass through untouched. */
const eventShape = z.looseObject({
  type: z.enum(EVENT_TYPES, { error: `expected an event type (${EVENT_TYPES.join(', ')})` }),
  runId: z.string({ error: 'expected a string `runId`' }),
  seq: z.number({ error: 'expected a number `seq`' }).int({ error: '`seq` must be an integer' }),
  at: z.number({ error: 'expected a number `at`' }).finite(),
  taskId: z.string({ error: 'expected a string `taskId`' }).optional(),
});

const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);

/**
 * An event whose fields {@link eventShape} checks are plainly right, checked by hand: a log of a
 * big run has hundreds of thousands of lines, and zod's parse of each (a copy of every event)
 * took as long as `JSON.parse` of them. Whatever this passes, `eventShape` passes too; the rest
 * goes through `eventShape`, which words what is wrong.
 */
function isPlainEvent(value: unknown): value is DagEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { type, runId, seq, at, taskId } = value as Record<string, unknown>;
  return (
    typeof type === 'string' &&
    EVENT_TYPE_SET.has(type) &&
    typeof runId === 'string' &&
    Number.isSafeInteger(seq) &&
    Number.isFinite(at) &&
    (taskId === undefined || typeof taskId === 'string')
  );
}

/** The first line of a run's journal in a store folder: the run's header, which no event looks like. */
const journalHeaderShape = z.looseObject({
  runId: z.string(),
  dagId: z.string(),
  spec: z.looseObject({}),
  options: z.looseObject({}),
  createdAt: z.number(),
});

/** Bad lines listed before "… and N more": a file of another kind would otherwise print thousands. */
const MAX_LISTED = 10;

/** An events log as read: its events in `seq` order, and whether its last line was cut short. */
export interface EventsLog {
  readonly events: DagEvent[];
  /** The number of a last line that is not whole JSON and has no newline (a write a crash cut): left out. */
  readonly tornLine?: number;
}

/**
 * Reads an events log (one JSON event per line, as `rxdag run --events` writes it) of one run.
 * Every bad line is reported with its line number (exit 2; the first {@link MAX_LISTED}, then
 * how many more); blank lines are ignored. A last line cut short by a crash (not JSON, no
 * newline after it) is left out and named, as the journal does with its torn line. A run's
 * journal (its first line is the run's header) is refused in one line that gives the
 * `rxdag show` writing its report to `reportFile`.
 */
export function readEventsFile(fileName: string, reportFile: string): EventsLog {
  const lines = readLogText(fileName).split('\n');
  const journaled = journaledRunOf(lines[0]!);
  if (journaled !== undefined) {
    // the folder it is in is its store: named always, since RXDAG_STORE may name another
    const show = commandLine('rxdag show', journaled, ` --store ${shellWord(path.dirname(fileName))} --report ${shellWord(reportFile)}`);
    throw new InvalidInputError([
      { message: `${fileName} is the journal of run ${quoted(journaled)}, not an events log: write its report with ${show}` },
    ]);
  }
  const problems: Problem[] = [];
  const events: DagEvent[] = [];
  let tornLine: number | undefined;
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      // the last line, without its newline
      if (i === lines.length - 1) tornLine = line;
      else problems.push({ file: fileName, line, column: 1, message: `not JSON: ${(error as Error).message}` });
      return;
    }
    if (isPlainEvent(value)) {
      events.push(value);
      return;
    }
    const parsed = eventShape.safeParse(value);
    if (!parsed.success) {
      problems.push({
        file: fileName,
        line,
        column: 1,
        message: `not an rxdag event: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`,
      });
      return;
    }
    // The discriminant and common fields were checked; the rest is the library's own output.
    events.push(parsed.data as unknown as DagEvent);
  });
  if (problems.length === 0 && events.length === 0) problems.push({ file: fileName, message: 'the events log is empty' });
  const runs = [...new Set(events.map((event) => event.runId))];
  if (runs.length > 1)
    problems.push({
      file: fileName,
      message: `holds events of ${runs.length} runs (${runs.slice(0, 3).join(', ')}…); a report shows one run`,
    });
  if (problems.length > 0) throw new InvalidInputError(listed(problems, fileName));
  events.sort((a, b) => a.seq - b.seq);
  return tornLine === undefined ? { events } : { events, tornLine };
}

/**
 * The text of the events log `fileName`; throws an {@link InvalidInputError} for a file that
 * cannot be read (missing, a folder) or is binary, whose bytes would otherwise be quoted back
 * line by line as "not JSON".
 */
function readLogText(fileName: string): string {
  const bytes = readInputBytes(fileName, 'events log', 'it is a directory, expected the events log of a run (rxdag run --events FILE)');
  const text = bytes.toString('utf8');
  if (looksBinary(bytes, text)) {
    throw new InvalidInputError([
      { file: fileName, message: 'not an events log (it looks binary): expected the JSON lines of rxdag run --events FILE' },
    ]);
  }
  return text;
}

/** The id of the run whose header `line` is (the first line of its journal), else undefined. */
function journaledRunOf(line: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (eventShape.safeParse(value).success) return undefined;
  const header = journalHeaderShape.safeParse(value);
  return header.success ? header.data.runId : undefined;
}

/** The first {@link MAX_LISTED} problems, then one saying how many more there are. */
function listed(problems: readonly Problem[], fileName: string): Problem[] {
  if (problems.length <= MAX_LISTED) return [...problems];
  const more = problems.length - MAX_LISTED;
  return [
    ...problems.slice(0, MAX_LISTED),
    { file: fileName, message: `… and ${more} more bad line${more === 1 ? '' : 's'} (is it an events log of rxdag run --events?)` },
  ];
}
