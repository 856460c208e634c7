import type { Dag } from '../dag/defineDag';
import type { DagEvent } from '../events';
import { RunDraft } from './runDraft';
import { type FailurePolicy, initialRunState, type RunState, type StatusCounts } from './runState';

/**
 * Following a run's events as they arrive, at O(1) per event (plus the task's out-degree): for
 * progress displays, tallies and monitors that see a run's events one by one and want its
 * counts now. Folding with `reduce` gives the same state but makes an immutable snapshot per
 * event; a tracker makes one only when `state()` is called. It does not buffer events or
 * reorder them: an event out of order throws `InvalidTransitionError` as `reduce` does.
 */
export interface RunTracker {
  /** Applies the run's next event. */
  apply(event: DagEvent): void;
  /** Tasks in each status now. */
  readonly counts: StatusCounts;
  /** Tasks of the run, spawned ones included. */
  readonly size: number;
  /** The run's state now, as an immutable snapshot. */
  state(): RunState;
}

/**
 * A tracker of a run of `dag` whose events have `runId`, starting before its first event.
 *
 * @example
 * const tracker = trackRun(dag, runId);
 * run$.subscribe((event) => {
 *   tracker.apply(event);
 *   bar.update(tracker.counts.completed, { total: tracker.size });
 * });
 */
export function trackRun(dag: Dag, runId: string, failurePolicy: FailurePolicy = 'skip-dependents'): RunTracker {
  let draft = new RunDraft(initialRunState(dag, runId, failurePolicy));
  return {
    apply: (event) => draft.apply(event),
    get counts() {
      return draft.statusCounts;
    },
    get size() {
      return draft.dag.size;
    },
    state: () => {
      const state = draft.finish();
      draft = new RunDraft(state);
      return state;
    },
  };
}
