import { readFileSync, statSync } from 'node:fs';
import type { DagEvent } from '../../../src/index';

/**
 * What a durable run must satisfy after it was killed (SIGKILL) any number of times and resumed
 * until it ended: at-least-once execution, each task's outcome recorded exactly once. Input is
 * only files and kill records, so any harness can use it (the fixture process of
 * `crash.spec.ts`, the CLI): it assumes nothing about which process wrote what.
 *
 * - `journal`: the run's file-journal file (header line, then one event per line).
 * - `markers`: a file every agent execution appends `${taskId} ${attempt} ${pid}\n` to, before
 *   doing its work.
 * - `kills`: for each kill, in order, what the files held just after the killed process died
 *   ({@link killRecord} reads it).
 */

/** The state of the files just after one kill. */
export interface KillRecord {
  /** The killed process (its own late markers do not count as written after the kill). */
  readonly pid?: number;
  /** The journal file's length in bytes (0 when it did not exist yet). */
  readonly journalBytes: number;
  /** `seq` of its last complete event line (0 for none). */
  readonly lastSeq: number;
  /** The markers file's length in bytes (0 when it did not exist yet). */
  readonly markersBytes: number;
  /** For messages, e.g. `kill 2 (resume, 14 ms after its first journal write)`. */
  readonly label?: string;
}

/** Reads the state of the files now, just after a kill (call it once the process is gone). */
export function killRecord(journal: string, markers: string, pid?: number, label?: string): KillRecord {
  const text = readOrEmpty(journal);
  const complete = text
    .subarray(0, text.lastIndexOf(0x0a) + 1)
    .toString('utf8')
    .split('\n')
    .slice(1, -1);
  let lastSeq = 0;
  for (const line of complete) {
    try {
      lastSeq = (JSON.parse(line) as DagEvent).seq;
    } catch {
      break; // the checks report an unreadable line
    }
  }
  return { pid, journalBytes: text.length, lastSeq, markersBytes: sizeOrZero(markers), label };
}

/** A journal event with where its line ends in the file. */
interface Placed {
  readonly event: DagEvent;
  readonly end: number;
}

interface Marker {
  readonly taskId: string;
  readonly attempt: number;
  readonly pid: number;
  readonly offset: number;
  readonly line: number;
}

/** Every violated invariant, as a message (empty when all hold). */
export function crashViolations(journal: string, markers: string, kills: readonly KillRecord[]): string[] {
  const violations: string[] = [];
  const read = readJournal(journal, violations);
  if (read === undefined) return violations;
  const { tasks, placed } = read;
  const events = placed.map((p) => p.event);
  const marks = readMarkers(markers, violations);
  const label = (kill: KillRecord, k: number) => kill.label ?? `kill ${k + 1}`;

  // the run ended succeeded, once, with its last event
  const last = events[events.length - 1];
  if (last?.type !== 'dag.completed' || last.outcome !== 'succeeded')
    violations.push(`the last event is ${describe(last)}, not dag.completed succeeded`);
  const completions = events.filter((e) => e.type === 'dag.completed').length;
  if (completions !== 1) violations.push(`${completions} dag.completed events`);

  // seq 1..n without a gap, across resumes
  events.forEach((event, i) => {
    if (event.seq !== i + 1) violations.push(`event ${i + 1} (${event.type}) has seq ${event.seq}`);
    if (event.type === 'run.resumed' && event.resumedAfterSeq !== event.seq - 1)
      violations.push(`run.resumed at seq ${event.seq} says resumedAfterSeq ${event.resumedAfterSeq}`);
  });
  if (events[0] !== undefined && events[0].type !== 'dag.created') violations.push(`the first event is ${describe(events[0])}`);

  // tasks spawned during the run are tasks of the run
  for (const event of events) if (event.type === 'tasks.spawned') for (const spec of event.tasks) tasks.set(spec.id, spec.deps ?? []);

  // exactly one terminal event per task
  const terminal = new Map<string, DagEvent[]>();
  for (const event of events) {
    if (!isTerminal(event)) continue;
    const taskId = (event as { taskId: string }).taskId;
    if (!tasks.has(taskId)) violations.push(`${describe(event)} for a task the run does not have`);
    terminal.set(taskId, [...(terminal.get(taskId) ?? []), event]);
  }
  for (const taskId of tasks.keys()) {
    const ends = terminal.get(taskId) ?? [];
    if (ends.length !== 1)
      violations.push(`task ${taskId} has ${ends.length} terminal events${ends.length > 0 ? `: ${ends.map(describe).join(', ')}` : ''}`);
  }

  // dependencies completed (in the journal) before each start
  const completedAt = new Map<string, number>();
  for (const event of events)
    if (event.type === 'task.completed' && !completedAt.has(event.taskId)) completedAt.set(event.taskId, event.seq);
  for (const event of events) {
    if (event.type !== 'task.started') continue;
    for (const dep of tasks.get(event.taskId) ?? []) {
      const done = completedAt.get(dep);
      if (done === undefined || done > event.seq)
        violations.push(`${describe(event)} before its dependency ${dep} completed${done === undefined ? '' : ` (seq ${done})`}`);
    }
  }

  // attempt numbers never go backwards for a task: in the journal, and in the executions
  const attemptOf = new Map<string, number>();
  for (const event of events) {
    if (!('taskId' in event) || typeof (event as { attempt?: unknown }).attempt !== 'number') continue;
    const { taskId, attempt } = event as { taskId: string; attempt: number };
    const before = attemptOf.get(taskId) ?? 0;
    if (attempt < before) violations.push(`${describe(event)} after attempt ${before} of ${taskId}`);
    attemptOf.set(taskId, Math.max(before, attempt));
  }
  const executed = new Map<string, number>();
  for (const mark of marks) {
    const before = executed.get(mark.taskId) ?? 0;
    if (mark.attempt < before)
      violations.push(`marker line ${mark.line} (${mark.taskId} attempt ${mark.attempt}, pid ${mark.pid}) after attempt ${before} ran`);
    executed.set(mark.taskId, Math.max(before, mark.attempt));
  }

  // each run.resumed names exactly the attempts in flight: started, without an outcome yet
  const running = new Set<string>();
  for (const event of events) {
    switch (event.type) {
      case 'task.started':
        running.add(event.taskId);
        break;
      case 'task.completed':
      case 'task.failed':
      case 'task.cancelled':
      case 'task.skipped':
        running.delete(event.taskId);
        break;
      case 'run.resumed': {
        const named = new Set(event.interrupted);
        for (const taskId of named)
          if (!running.has(taskId))
            violations.push(`run.resumed at seq ${event.seq} names ${taskId} interrupted, but it was not in flight`);
        for (const taskId of running)
          if (!named.has(taskId)) violations.push(`run.resumed at seq ${event.seq} leaves out ${taskId}, which was in flight`);
        running.clear();
        break;
      }
      default:
        break;
    }
  }

  // executions and outcomes match: every execution was journaled as started, every completion ran
  const started = new Set(events.flatMap((e) => (e.type === 'task.started' ? [`${e.taskId} ${e.attempt}`] : [])));
  const ran = new Set(marks.map((m) => `${m.taskId} ${m.attempt}`));
  for (const mark of marks) {
    if (!tasks.has(mark.taskId)) violations.push(`marker line ${mark.line}: ${mark.taskId} is not a task of the run`);
    else if (!started.has(`${mark.taskId} ${mark.attempt}`))
      violations.push(`marker line ${mark.line}: ${mark.taskId} attempt ${mark.attempt} ran but never has a task.started`);
  }
  for (const event of events)
    if (event.type === 'task.completed' && !ran.has(`${event.taskId} ${event.attempt}`))
      violations.push(`${describe(event)} without an execution of that attempt`);

  // kills: what the journal held survives, and a task completed before a kill never runs again
  let previousSeq = 0;
  kills.forEach((kill, k) => {
    if (kill.lastSeq < previousSeq) violations.push(`${label(kill, k)}: the journal went back from seq ${previousSeq} to ${kill.lastSeq}`);
    previousSeq = kill.lastSeq;
    if (kill.lastSeq > events.length) {
      violations.push(`${label(kill, k)}: the journal had seq ${kill.lastSeq}, the final one only ${events.length}`);
      return;
    }
    if (kill.lastSeq > 0 && placed[kill.lastSeq - 1]!.end > kill.journalBytes)
      violations.push(
        `${label(kill, k)}: seq ${kill.lastSeq} ends at byte ${placed[kill.lastSeq - 1]!.end}, after the ${kill.journalBytes} bytes the journal had`,
      );
    // the next process goes on with run.resumed; a run killed before its dag.created starts over
    const next = events[kill.lastSeq];
    const expected = kill.lastSeq === 0 ? 'dag.created' : 'run.resumed';
    if (next !== undefined && next.type !== expected)
      violations.push(`${label(kill, k)}: the journal had seq ${kill.lastSeq}, then comes ${describe(next)}, not ${expected}`);
    const completedBefore = new Set(events.slice(0, kill.lastSeq).flatMap((e) => (e.type === 'task.completed' ? [e.taskId] : [])));
    const before = new Set(marks.filter((m) => m.offset < kill.markersBytes).map((m) => m.pid));
    if (kill.pid !== undefined) before.add(kill.pid);
    for (const mark of marks) {
      if (mark.offset < kill.markersBytes || before.has(mark.pid)) continue;
      if (completedBefore.has(mark.taskId))
        violations.push(
          `${label(kill, k)}: ${mark.taskId} ran again (marker line ${mark.line}: attempt ${mark.attempt}, pid ${mark.pid}) though its task.completed was journaled (seq ${completedAt.get(mark.taskId)})`,
        );
    }
  });
  return violations;
}

/** The header's tasks (id → deps) and the events with where each line ends. */
function readJournal(file: string, violations: string[]): { tasks: Map<string, readonly string[]>; placed: Placed[] } | undefined {
  let buffer: Buffer;
  try {
    buffer = readFileSync(file);
  } catch (error) {
    violations.push(`cannot read the journal ${file}: ${(error as Error).message}`);
    return undefined;
  }
  const end = buffer.lastIndexOf(0x0a) + 1;
  if (end < buffer.length) violations.push(`the journal ends with a torn line of ${buffer.length - end} bytes`);
  const placed: Placed[] = [];
  let tasks: Map<string, readonly string[]> | undefined;
  let offset = 0;
  let line = 0;
  while (offset < end) {
    const newline = buffer.indexOf(0x0a, offset);
    const text = buffer.subarray(offset, newline).toString('utf8');
    line++;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      violations.push(`journal line ${line} is not JSON: ${text.slice(0, 120)}`);
      return undefined;
    }
    if (line === 1) {
      const spec = (parsed as { spec?: { tasks?: { id: string; deps?: string[] }[] } }).spec;
      if (!Array.isArray(spec?.tasks)) {
        violations.push('journal line 1 is not a run header with a spec');
        return undefined;
      }
      tasks = new Map(spec.tasks.map((t) => [t.id, t.deps ?? []]));
    } else placed.push({ event: parsed as DagEvent, end: newline + 1 });
    offset = newline + 1;
  }
  if (tasks === undefined) {
    violations.push('the journal has no header line');
    return undefined;
  }
  return { tasks, placed };
}

function readMarkers(file: string, violations: string[]): Marker[] {
  const buffer = readOrEmpty(file);
  const marks: Marker[] = [];
  let offset = 0;
  let line = 0;
  while (offset < buffer.length) {
    let newline = buffer.indexOf(0x0a, offset);
    if (newline < 0) newline = buffer.length;
    const text = buffer.subarray(offset, newline).toString('utf8');
    line++;
    const match = /^(\S+) (\d+) (\d+)$/.exec(text);
    if (match === null) violations.push(`marker line ${line} is not "taskId attempt pid": ${JSON.stringify(text)}`);
    else marks.push({ taskId: match[1]!, attempt: Number(match[2]), pid: Number(match[3]), offset, line });
    offset = newline + 1;
  }
  return marks;
}

function isTerminal(event: DagEvent): boolean {
  return (
    event.type === 'task.completed' ||
    event.type === 'task.skipped' ||
    event.type === 'task.cancelled' ||
    (event.type === 'task.failed' && !event.willRetry)
  );
}

function describe(event: DagEvent | undefined): string {
  if (event === undefined) return 'none';
  const task = 'taskId' in event ? ` ${event.taskId}#${(event as { attempt?: number }).attempt ?? '?'}` : '';
  const outcome = event.type === 'dag.completed' ? ` ${event.outcome}` : '';
  return `${event.type}${task}${outcome} (seq ${event.seq})`;
}

function readOrEmpty(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw error;
  }
}

function sizeOrZero(file: string): number {
  try {
    return statSync(file).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}
