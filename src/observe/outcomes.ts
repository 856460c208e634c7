/**
 * The outcome words the traces and the metrics share: how an attempt ended and how a task ended
 * for good. Words only; `runSpans` and `metricsTally` decide when each applies.
 */
import type { RunOutcome } from '../events';

/**
 * How an attempt ended: `completed`, `failed`, `timed-out` (a `task.timed-out`, then its
 * `task.failed`), `cancelled`, or `interrupted` (its process died; the run resumed it under the
 * same number).
 */
export type AttemptOutcome = 'completed' | 'failed' | 'timed-out' | 'cancelled' | 'interrupted';
/** How a task ended for good: its terminal event. */
export type TaskOutcome = 'completed' | 'failed' | 'skipped' | 'cancelled';

export const ATTEMPT_OUTCOMES: readonly AttemptOutcome[] = ['completed', 'failed', 'timed-out', 'cancelled', 'interrupted'];
export const TASK_OUTCOMES: readonly TaskOutcome[] = ['completed', 'failed', 'skipped', 'cancelled'];
export const RUN_OUTCOMES: readonly RunOutcome[] = ['succeeded', 'failed', 'cancelled'];
