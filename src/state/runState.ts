import type { Dag } from '../dag/defineDag';
import type { FailurePolicy, TaskFailure } from '../events';
import { initialOutputTable, initialTaskTable, type OutputTable, type TaskStatus, type TaskTable } from './taskTable';

/**
 * The shape of a run's immutable state and the state before its first event. Only the reducer
 * produces later states; nothing here changes one.
 */

export type { FailurePolicy } from '../events';

/** Lifecycle of a run, as a status union: `created` until `dag.created`, then `running`, then how it ended. */
export type RunStatus = 'created' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Number of tasks in each status. */
export type StatusCounts = { readonly [S in TaskStatus]: number };

/**
 * The immutable state of one run. Produced only by the reducer; a snapshot never changes after
 * it was emitted. Per-task state lives in persistent tables (read it with the selectors in
 * `state/selectors`), so a new snapshot shares everything an event did not touch.
 */
export interface RunState {
  readonly runId: string;
  readonly dag: Dag;
  readonly failurePolicy: FailurePolicy;
  readonly status: RunStatus;
  /** `seq` of the last event applied (0 before any). */
  readonly seq: number;
  /** `at` of `dag.created`. */
  readonly startedAt: number | undefined;
  /** `at` of `dag.completed`. */
  readonly endedAt: number | undefined;
  readonly counts: StatusCounts;
  /** Every task that failed for good so far, in the order they failed. */
  readonly failures: readonly TaskFailure[];
  /** @internal packed per-task status, attempt and remaining dependencies */
  readonly tasks: TaskTable;
  /** @internal outputs of completed tasks */
  readonly outputs: OutputTable;
}

const NO_FAILURES: readonly TaskFailure[] = Object.freeze([]);

/**
 * The state before the first event of a run of `dag`. Folding a run's events over it gives the
 * run's state: `events.reduce(reduce, initialRunState(dag, runId))`.
 */
export function initialRunState(dag: Dag, runId: string, failurePolicy: FailurePolicy = 'skip-dependents'): RunState {
  return Object.freeze({
    runId,
    dag,
    failurePolicy,
    status: 'created',
    seq: 0,
    startedAt: undefined,
    endedAt: undefined,
    counts: Object.freeze({
      pending: dag.size,
      ready: 0,
      running: 0,
      backoff: 0,
      completed: 0,
      failed: 0,
      skipped: 0,
      cancelled: 0,
    }),
    failures: NO_FAILURES,
    tasks: initialTaskTable(dag),
    outputs: initialOutputTable(dag),
  });
}
