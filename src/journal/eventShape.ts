/**
 * Whether what a record holds at a place is the event that belongs there: an object with a
 * `type`, of the record's run, with the `seq` that follows. Every backend's events go through it
 * before the reducer folds them (`replay.ts`), so a record a backend built wrong is a
 * `JournalCorruptError` naming the place, never a `TypeError`; so do the fields a listing adds up
 * (`tally.ts`), which reads them without the reducer. It does not judge transitions: the reducer does.
 */
import { describeValue } from '../dag/text';
import type { DagEvent, RunOutcome } from '../events';

/** Why `event` is not the event of run `runId` with `seq`; `undefined` when it is. */
export function eventProblem(event: unknown, runId: string, seq: number): string | undefined {
  if (typeof event !== 'object' || event === null || typeof (event as DagEvent).type !== 'string') return 'not an event';
  const { runId: eventRun, seq: eventSeq, type } = event as DagEvent;
  if (eventRun === undefined) return `${type} has no runId, expected "${runId}"`;
  if (eventRun !== runId) return `${type} of run ${describeValue(eventRun)} in the journal of run "${runId}"`;
  if (eventSeq === seq) return tallyFieldsProblem(event as DagEvent);
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

const COUNTS = ['total', 'completed', 'failed', 'skipped', 'cancelled'] as const;
const OUTCOMES: readonly RunOutcome[] = ['succeeded', 'failed', 'cancelled'];

function isCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isTime(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value);
}
