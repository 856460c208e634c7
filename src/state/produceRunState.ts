import { castDraft, Immer } from 'immer';
import type { Dag } from '../dag/defineDag';
import type { TaskFailure } from '../events';
import type { FailurePolicy, RunState, RunStatus, StatusCounts } from './runState';
import { type OutputTable, StatusCode, type TaskTable } from './taskTable';

/**
 * How a run draft becomes the next immutable run state: the one module immer enters through (one
 * `produce` of the small run-level object, frozen, sharing what did not change), and the counts
 * by status name from a draft's counts by code. It applies no events and checks nothing: the run
 * draft does, and hands over per-task tables its editors already finished.
 */

/** Own immer instance, so the application's global immer settings never change ours. */
const immer = new Immer({ autoFreeze: true });

/** What a run draft has after its events: the run-level fields and the finished tables. */
export interface RunStateChanges {
  readonly dag: Dag;
  readonly status: RunStatus;
  readonly failurePolicy: FailurePolicy;
  readonly seq: number;
  readonly startedAt: number | undefined;
  readonly endedAt: number | undefined;
  readonly counts: StatusCounts;
  /** Every failure so far, or `undefined` when the draft added none. */
  readonly failures: readonly TaskFailure[] | undefined;
  readonly tasks: TaskTable;
  /** `undefined` when the draft touched no output. */
  readonly outputs: OutputTable | undefined;
}

/** The state after `base` with `changes`: a new frozen object that shares every unchanged part. */
export function produceRunState(base: RunState, changes: RunStateChanges): RunState {
  const counts = Object.freeze(changes.counts);
  const failures = changes.failures === undefined ? undefined : Object.freeze(changes.failures);
  return immer.produce(base, (draft) => {
    if (changes.dag !== base.dag) draft.dag = castDraft(changes.dag);
    draft.status = changes.status;
    draft.failurePolicy = changes.failurePolicy;
    draft.seq = changes.seq;
    draft.startedAt = changes.startedAt;
    draft.endedAt = changes.endedAt;
    draft.counts = counts;
    if (failures !== undefined) draft.failures = castDraft(failures);
    draft.tasks = changes.tasks;
    if (changes.outputs !== undefined) draft.outputs = changes.outputs;
  });
}

/** Counts by status name from counts indexed by {@link StatusCode} (a new object each call). */
export function statusCountsOf(codeCounts: readonly number[]): StatusCounts {
  return {
    pending: codeCounts[StatusCode.Pending]!,
    ready: codeCounts[StatusCode.Ready]!,
    running: codeCounts[StatusCode.Running]!,
    backoff: codeCounts[StatusCode.Backoff]!,
    completed: codeCounts[StatusCode.Completed]!,
    failed: codeCounts[StatusCode.Failed]!,
    skipped: codeCounts[StatusCode.Skipped]! + codeCounts[StatusCode.SkippedAfterFailure]!,
    cancelled: codeCounts[StatusCode.Cancelled]!,
  };
}
