/**
 * Whether what a record holds at a place is the event that belongs there: an object with a
 * `type`, of the record's run, with the `seq` that follows. Every backend's events go through it
 * before the reducer folds them (`replay.ts`), so a record a backend built wrong is a
 * `JournalCorruptError` naming the place, never a `TypeError`; so do the fields a listing adds up
 * (`tally.ts`), which reads them without the reducer, and those of a task's event that resume and
 * the CLI read. It does not judge transitions: the reducer does.
 */
import { describeValue } from '../dag/text';
import type { DagEvent, RunOutcome, TaskEvent } from '../events';

/** Why `event` is not the event of run `runId` with `seq`; `undefined` when it is. */
export function eventProblem(event: unknown, runId: string, seq: number): string | undefined {
  if (typeof event !== 'object' || event === null || typeof (event as DagEvent).type !== 'string') return 'not an event';
  const { runId: eventRun, seq: eventSeq, type } = event as DagEvent;
  if (eventRun === undefined) return `${type} has no runId, expected "${runId}"`;
  if (eventRun !== runId) return `${type} of run ${describeValue(eventRun)} in the journal of run "${runId}"`;
  if (eventSeq === seq) return tallyFieldsProblem(event as DagEvent) ?? readFieldsProblem(event as DagEvent);
  if (!Number.isSafeInteger(eventSeq)) return `${type} has seq ${describeValue(eventSeq)}, expected the whole number ${seq}`;
  if (eventSeq < seq) return `${type} has seq ${eventSeq}, expected ${seq} (seq ${eventSeq} again: a line repeated or out of order)`;
  return `${type} has seq ${eventSeq}, expected ${seq} (a gap in seq)`;
}

/**
 * Why the fields a run's tally reads of `event` are not what it needs (a listing adds them up
 * without the reducer's checks); `undefined` when they are, or it reads none.
 */
export function tallyFieldsProblem(event: DagEvent): string | undefined {
  switch (event.type) {
    case 'dag.created':
      if (!isCount(event.taskCount)) return `dag.created has taskCount ${describeValue(event.taskCount)}, expected a whole number`;
      return isTime(event.at) ? undefined : `dag.created has at ${describeValue(event.at)}, expected a time in ms`;
    case 'tasks.spawned':
      return Array.isArray(event.tasks) ? undefined : `tasks.spawned has tasks ${describeValue(event.tasks)}, expected an array`;
    case 'dag.completed': {
      const counts: unknown = event.counts;
      const whole =
        typeof counts === 'object' && counts !== null && COUNTS.every((name) => isCount((counts as Record<string, unknown>)[name]));
      if (!whole) return `dag.completed has counts ${describeValue(counts)}, expected ${COUNTS.join(', ')} as whole numbers`;
      if (!OUTCOMES.includes(event.outcome))
        return `dag.completed has outcome ${describeValue(event.outcome)}, expected ${OUTCOMES.join(', ')}`;
      return isTime(event.at) ? undefined : `dag.completed has at ${describeValue(event.at)}, expected a time in ms`;
    }
    default:
      return undefined;
  }
}

/**
 * Why the fields that resume, `show` and the progress display read of a task's event are not
 * what they need (a task id, an attempt from 1, a failure's error and whether it retries…);
 * `undefined` when they are. Other fields are left to whoever reads them.
 */
function readFieldsProblem(event: DagEvent): string | undefined {
  const { type } = event;
  if (!isTime(event.at)) return `${type} has at ${describeValue(event.at)}, expected a time in ms`;
  if (!type.startsWith('task')) return undefined;
  const { taskId, attempt } = event as TaskEvent;
  if (typeof taskId !== 'string')
    return taskId === undefined ? `${type} without a taskId` : `${type} has taskId ${describeValue(taskId)}, expected a task's id`;
  if (!(isCount(attempt) && attempt >= 1))
    return `${type} for task "${taskId}" has attempt ${describeValue(attempt)}, expected a whole number from 1`;
  const field = (name: string, value: unknown, expected: string) =>
    `${type} for task "${taskId}" has ${name} ${describeValue(value)}, expected ${expected}`;
  switch (event.type) {
    case 'task.failed': {
      const { error, severity, willRetry } = event;
      if (typeof error !== 'object' || error === null || typeof error.name !== 'string' || typeof error.message !== 'string')
        return field('error', error, 'an object with a name and a message');
      if (severity !== 'error' && severity !== 'critical') return field('severity', severity, 'error or critical');
      return typeof willRetry === 'boolean' ? undefined : field('willRetry', willRetry, 'true or false');
    }
    case 'task.skipped':
      return typeof event.because === 'string' ? undefined : field('because', event.because, "a task's id");
    default:
      return undefined;
  }
}

const COUNTS = ['total', 'completed', 'failed', 'skipped', 'cancelled'] as const;
const OUTCOMES: readonly RunOutcome[] = ['succeeded', 'failed', 'cancelled'];

function isCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isTime(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value);
}
