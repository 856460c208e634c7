import type { Dag, RetryPolicy } from '../dag/defineDag';
import type { RunOutcome, Severity, TaskCounts } from '../events';
import type { FailurePolicy, StatusCounts } from './runState';
import { StatusCode } from './taskTable';

/**
 * Pure decisions of the pipeline: what a failure leads to, which tasks a failure skips, when a
 * run is over and how it ended. No RxJS, no clock: the pipeline only carries them out.
 */

/** Wait before attempt `attempt + 1`: `backoffMs × backoffFactor^(attempt-1)`, capped by `maxBackoffMs`. */
export function backoffDelay(retry: RetryPolicy, attempt: number): number {
  return Math.min(retry.backoffMs * retry.backoffFactor ** (attempt - 1), retry.maxBackoffMs);
}

/** What the pipeline does after a failed attempt. */
export type FailureDecision =
  | { readonly kind: 'warn' }
  | { readonly kind: 'retry'; readonly backoffMs: number }
  | { readonly kind: 'fail'; readonly then: 'skip-dependents' | 'release-dependents' | 'cancel-run' };

/** Routes a failed attempt by its severity, the task's retry policy and the run's failure policy. */
export function decideFailure(severity: Severity, retry: RetryPolicy, attempt: number, policy: FailurePolicy): FailureDecision {
  if (severity === 'warning') return { kind: 'warn' };
  if (severity === 'critical') return { kind: 'fail', then: 'cancel-run' };
  if (attempt < retry.attempts) return { kind: 'retry', backoffMs: backoffDelay(retry, attempt) };
  switch (policy) {
    case 'fail-fast':
      return { kind: 'fail', then: 'cancel-run' };
    case 'continue':
      return { kind: 'fail', then: 'release-dependents' };
    case 'skip-dependents':
      return { kind: 'fail', then: 'skip-dependents' };
  }
}

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
