/**
 * Reads the events log of one run (one JSON event per line, as `rxdag run --events` writes it)
 * for `rxdag report`: a folder or a binary file is refused as a whole, every line is checked for
 * the fields the report relies on, every bad line named. It checks nothing else of an event and
 * builds no report.
 */
import path from 'node:path';
import { z } from 'zod';
import { type DagEvent, EVENT_TYPES } from '../../index';
import { describeValue, quoted } from '../../dag/text';
import { looksBinary, MAX_LOG_BYTES, readInputBytes } from '../dagFile/readDagText';
import { InvalidInputError, type Problem } from '../problems';
import { commandLine, shellWord } from '../shellWord';
import { checkedSequence } from './eventSequence';

/** The latest time a JavaScript `Date` holds, in ms since 1970. */
const MAX_DATE_MS = 8.64e15;
const AT_RANGE = 'expected `at` as a time: milliseconds since 1970, from 0 to 8.64e15';

/** The fields the report relies on; other fields pass through untouched. */
const eventShape = z.looseObject({
  type: z.enum(EVENT_TYPES, { error: `expected an event type (${EVENT_TYPES.join(', ')})` }),
  runId: z.string({ error: 'expected a string `runId`' }),
  seq: z.number({ error: 'expected a number `seq`' }).int({ error: '`seq` must be an integer' }),
  at: z.number({ error: 'expected a number `at`' }).min(0, { error: AT_RANGE }).max(MAX_DATE_MS, { error: AT_RANGE }),
  taskId: z.string({ error: 'expected a string `taskId`' }).optional(),
});

const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);

/** What a field the report reads must be. */
type Kind = 'text' | 'count' | 'number' | 'boolean' | 'ids' | 'error' | 'specs';

const KIND_CHECKS: Readonly<Record<Kind, (value: unknown) => boolean>> = {
  text: (value) => typeof value === 'string',
  count: (value) => Number.isSafeInteger(value),
  number: (value) => Number.isFinite(value),
  boolean: (value) => typeof value === 'boolean',
  ids: (value) => Array.isArray(value) && value.every((id) => typeof id === 'string'),
  error: (value) => isObject(value) && typeof value.name === 'string' && typeof value.message === 'string',
  specs: (value) =>
    Array.isArray(value) &&
    value.every((task) => isObject(task) && typeof task.id === 'string' && (task.deps === undefined || KIND_CHECKS.ids(task.deps))),
};

const KIND_WORDS: Readonly<Record<Kind, string>> = {
  text: 'a string',
  count: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  ids: 'a list of task ids',
  error: 'an error { name, message }',
  specs: 'a list of tasks, each with its `id`',
};

const TASK_FIELDS: readonly (readonly [string, Kind])[] = [
  ['taskId', 'text'],
  ['attempt', 'count'],
];

/**
 * The fields of each type of event that the report reads, besides those every event has: an
 * edited or hand-made log without them is refused at its line, not drawn with a crash.
 */
const FIELDS_OF_TYPE: Readonly<Partial<Record<DagEvent['type'], readonly (readonly [string, Kind])[]>>> = {
  'dag.created': [['dagId', 'text']],
  'task.ready': TASK_FIELDS,
  'task.started': [...TASK_FIELDS, ['agent', 'text']],
  'task.completed': TASK_FIELDS,
  'task.failed': [...TASK_FIELDS, ['error', 'error'], ['willRetry', 'boolean']],
  'task.retrying': TASK_FIELDS,
  'tasks.spawned': [...TASK_FIELDS, ['tasks', 'specs']],
  'task.timed-out': [...TASK_FIELDS, ['timeoutMs', 'number']],
  'task.stuck': TASK_FIELDS,
  'task.skipped': [...TASK_FIELDS, ['because', 'text']],
  'task.cancelled': TASK_FIELDS,
  'agent.available': [['agent', 'text']],
  'run.resumed': [['interrupted', 'ids']],
};

/** What is wrong with the fields of its type that `event` holds, or `undefined`. */
function fieldProblem(event: Readonly<Record<string, unknown>>): string | undefined {
  for (const [field, kind] of FIELDS_OF_TYPE[event.type as DagEvent['type']] ?? []) {
    const value = event[field];
    if (!KIND_CHECKS[kind](value))
      return `${String(event.type)} needs \`${field}\`: expected ${KIND_WORDS[kind]} (got ${describeValue(value)})`;
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

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
    typeof at === 'number' &&
    at >= 0 &&
    at <= MAX_DATE_MS &&
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

/** An events log as read: its events in `seq` order, what its sequence lacks or repeats, and whether its last line was cut short. */
export interface EventsLog {
  readonly events: DagEvent[];
  /** What the report cannot show right: events missing from the log, events written twice (see `eventSequence.ts`). */
  readonly notes: readonly string[];
  /** The number of a last line that is not whole JSON and has no newline (a write a crash cut): left out. */
  readonly tornLine?: number;
}

/**
 * Reads an events log (one JSON event per line, as `rxdag run --events` writes it) of one run.
 * Every bad line is reported with its line number (exit 2; the first {@link MAX_LISTED}, then
 * how many more); blank lines are ignored. A last line cut short by a crash (not JSON, no
 * newline after it) is left out and named, as the journal does with its torn line. A run's
 * journal (its first line is the run's header) is refused in one line that gives the
 * `rxdag show` writing its report to `reportFile`. `fitsHeap` is given the log's size once it is
 * known to be an events log, and throws to refuse it.
 */
export function readEventsFile(fileName: string, reportFile: string, fitsHeap: (logBytes: number) => void): EventsLog {
  const bytes = readLogBytes(fileName, fitsHeap);
  const problems: Problem[] = [];
  const events: DagEvent[] = [];
  let tornLine: number | undefined;
  let line = 0;
  // a line at a time, none kept: a big run's log would otherwise be in memory twice, as text and as events
  for (const { text, last } of logLines(bytes)) {
    line++;
    if (line === 1) refuseJournal(text, fileName, reportFile);
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      // the last line, without its newline
      if (last) tornLine = line;
      else problems.push({ file: fileName, line, column: 1, message: `not JSON: ${(error as Error).message}` });
      continue;
    }
    const plain = isPlainEvent(value);
    const parsed = plain ? undefined : eventShape.safeParse(value);
    if (parsed !== undefined && !parsed.success) {
      problems.push({ file: fileName, line, column: 1, message: `not an rxdag event: ${shapeProblem(value, parsed.error.issues)}` });
      continue;
    }
    const missing = fieldProblem(value as Record<string, unknown>);
    if (missing !== undefined) {
      problems.push({ file: fileName, line, column: 1, message: `not an rxdag event: ${missing}` });
      continue;
    }
    // the discriminant and common fields were checked; the rest is the library's own output
    events.push(parsed === undefined ? (value as DagEvent) : (parsed.data as unknown as DagEvent));
  }
  if (problems.length === 0 && events.length === 0) problems.push({ file: fileName, message: 'the events log is empty' });
  const runs = [...new Set(events.map((event) => event.runId))];
  if (runs.length > 1) {
    const named = runs.length > 3 ? `${runs.slice(0, 3).join(', ')}, …` : runs.join(', ');
    problems.push({ file: fileName, message: `holds events of ${runs.length} runs (${named}); a report shows one run` });
  }
  if (problems.length > 0) throw new InvalidInputError(listed(problems, fileName));
  // stable: of a seq written twice (a log joined from a process and its resume), the later line comes last
  events.sort((a, b) => a.seq - b.seq);
  const { kept, notes } = checkedSequence(events, fileName);
  return tornLine === undefined ? { events: kept, notes } : { events: kept, notes, tornLine };
}

/**
 * A run's journal (its first line is the run's header) is refused in one line that gives the
 * `rxdag show` writing its report to `reportFile`.
 */
function refuseJournal(firstLine: string, fileName: string, reportFile: string): void {
  const journaled = journaledRunOf(firstLine);
  if (journaled === undefined) return;
  // the folder it is in is its store: named always, since RXDAG_STORE may name another
  // a report meant for standard output (`-o -`) is written to a file by `show`: its stdout has its own lines
  const report = reportFile === '-' ? 'OUT.html' : shellWord(reportFile);
  const show = commandLine('rxdag show', journaled, ` --store ${shellWord(path.dirname(fileName))} --report ${report}`);
  throw new InvalidInputError([
    { message: `${fileName} is the journal of run ${quoted(journaled)}, not an events log: write its report with ${show}` },
  ]);
}

/** What zod found wrong, with the type an event of another version has named (the list of types alone would not say it). */
function shapeProblem(value: unknown, issues: readonly { readonly message: string; readonly path: readonly PropertyKey[] }[]): string {
  return issues
    .map((issue) =>
      issue.path[0] === 'type' && isObject(value) && typeof value.type === 'string'
        ? `${issue.message} (got ${quoted(value.type)}: written by a later rxdag?)`
        : issue.message,
    )
    .join('; ');
}

/**
 * The bytes of the events log `fileName`; throws an {@link InvalidInputError} for a file that
 * cannot be read (missing, a folder), is binary (its bytes would otherwise be quoted back line by
 * line as "not JSON"; a gzipped log is named as such), or is one `fitsHeap` refuses (too big for
 * the memory Node gives this process to make its report: `reportHeap.ts`).
 */
function readLogBytes(fileName: string, fitsHeap: (logBytes: number) => void): Buffer {
  const bytes = readInputBytes(
    fileName,
    'events log',
    'it is a directory, expected the events log of a run (rxdag run --events FILE)',
    MAX_LOG_BYTES,
  );
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new InvalidInputError([
      {
        file: fileName,
        message: `a gzip file, not an events log: decompress it first (gzip -dc ${shellWord(fileName)} > events.jsonl), or give rxdag report <(zcat ${shellWord(fileName)})`,
      },
    ]);
  }
  if (looksBinary(bytes, bytes.toString('utf8', 0, Math.min(bytes.length, BINARY_SAMPLE_BYTES)))) {
    throw new InvalidInputError([
      { file: fileName, message: 'not an events log (it looks binary): expected the JSON lines of rxdag run --events FILE' },
    ]);
  }
  fitsHeap(bytes.length);
  return bytes;
}

/**
 * The lines of `bytes`, decoded one at a time (a big run's log may hold more text than one string
 * can, ~512 MiB), each with whether it is the last (no newline after it). A byte order mark, as an
 * editor on Windows saves a file, is not part of the first line.
 */
function* logLines(bytes: Buffer): Generator<{ readonly text: string; readonly last: boolean }> {
  for (let start = 0; start <= bytes.length;) {
    const end = bytes.indexOf(0x0a, start);
    const text = bytes.toString('utf8', start, end < 0 ? bytes.length : end);
    yield { text: start === 0 && text.startsWith('\uFEFF') ? text.slice(1) : text, last: end < 0 };
    start = end < 0 ? bytes.length + 1 : end + 1;
  }
}

/** Bytes decoded to judge whether a log is binary: more than `looksBinary` looks at. */
const BINARY_SAMPLE_BYTES = 256 * 1024;

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
