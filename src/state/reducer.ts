import type { DagEvent } from '../events';
import { RunDraft } from './runDraft';
import type { RunState } from './runState';

/**
 * The pure reducer of a run: `reduce(state, event) => state`. No RxJS, no clock, no I/O.
 *
 * immer produces the small run-level object; per-task state goes through the persistent task
 * tables, so an event costs O(1) plus the out-degree of its task, never O(tasks) (but a failure for
 * good copies the run's list of failures, O(failures so far)). A batch of
 * events goes through one {@link RunDraft}: one immer `produce` and one copy of each touched
 * node for the whole batch.
 */

export { InvalidTransitionError } from './invalidTransition';
export { RunDraft } from './runDraft';

/**
 * The reducer: the state after `event`. Pure: `state` is not changed, and the same arguments
 * always give an equal result.
 *
 * @example
 * const final = recordedEvents.reduce(reduce, initialRunState(dag, runId));
 */
export function reduce(state: RunState, event: DagEvent): RunState {
  const draft = new RunDraft(state);
  draft.apply(event);
  return draft.finish();
}

/** The state after all of `events`, in one step (one copy of each touched node). */
export function reduceAll(state: RunState, events: Iterable<DagEvent>): RunState {
  const draft = new RunDraft(state);
  for (const event of events) draft.apply(event);
  return draft.finish();
}
