import type { Dag } from '../dag/defineDag';
import type { RunOutcome, TaskCounts } from '../events';
import type { StatusCounts } from './runState';
import { StatusCode } from './taskTable';

/**
 * Pure decisions about a run's tasks: which tasks a failure skips, how a settled run ended and
 * its tally. No RxJS, no clock: the run controller carries them out. What a failed attempt
 * leads to is decided in `routeFailure.ts`.
 */

/**
 * Every transitive dependent of `failed` that has not ended, dependents before their own
 * dependents: the tasks a failure skips. Each task is visited once.
 */
export function dependentsToSkip(dag: Dag, failed: number, statusOf: (task: number) => StatusCode): number[] {
  const { start, targets } = dag.index.dependents;
  const skipped: number[] = [];
  const seen = new Set<number>();
  const stack = [failed];
  while (stack.length > 0) {
    const task = stack.pop()!;
    for (let e = start[task]!; e < start[task + 1]!; e++) {
      const dependent = targets[e]!;
      if (seen.has(dependent)) continue;
      seen.add(dependent);
      if (statusOf(dependent) >= StatusCode.Completed) continue;
      skipped.push(dependent);
      stack.push(dependent);
    }
  }
  return skipped;
}

/** How a settled run ended: `cancelled` by its user, `failed` when any task failed or it was ended early, else `succeeded`. */
export function runOutcome(counts: StatusCounts, endedEarly: 'cancelled' | 'failed' | undefined): RunOutcome {
  if (endedEarly !== undefined) return endedEarly;
  return counts.failed > 0 ? 'failed' : 'succeeded';
}

/** The tally carried by `dag.completed`. */
export function taskCounts(counts: StatusCounts, total: number): TaskCounts {
  return { total, completed: counts.completed, failed: counts.failed, skipped: counts.skipped, cancelled: counts.cancelled };
}
