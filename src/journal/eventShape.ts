/**
 * Whether what a record holds at a place is the event that belongs there: an object with a
 * `type`, of the record's run, with the `seq` that follows. Every backend's events go through it
 * before the reducer folds them (`replay.ts`), so a record a backend built wrong is a
 * `JournalCorruptError` naming the place, never a `TypeError`. It does not judge transitions:
 * the reducer does.
 */
import { describeValue } from '../dag/text';
import type { DagEvent } from '../events';

/** Why `event` is not the event of run `runId` with `seq`; `undefined` when it is. */
export function eventProblem(event: unknown, runId: string, seq: number): string | undefined {
  if (typeof event !== 'object' || event === null || typeof (event as DagEvent).type !== 'string') return 'not an event';
  const { runId: eventRun, seq: eventSeq, type } = event as DagEvent;
  if (eventRun !== runId) return `${type} of run "${String(eventRun)}" in the journal of run "${runId}"`;
  if (eventSeq === seq) return undefined;
  if (!Number.isSafeInteger(eventSeq)) return `${type} has seq ${describeValue(eventSeq)}, expected the whole number ${seq}`;
  if (eventSeq < seq) return `${type} has seq ${eventSeq}, expected ${seq} (seq ${eventSeq} again: a line repeated or out of order)`;
  return `${type} has seq ${eventSeq}, expected ${seq} (a gap in seq)`;
}
