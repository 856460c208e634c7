import type { Dag } from '../dag/defineDag';
import type { RunOutcome, TaskCounts } from '../events';
import type { FailurePolicy, StatusCounts } from './runState';
import { carriesFailure, Ended, failedForRules } from './dependencyCountdown';
import { StatusCode } from './taskTable';

/**
 * Pure decisions about a run's tasks: which tasks a failure skips, how a settled run ended and
 * its tally. No RxJS, no clock: the run controller carries them out. What a failed attempt
 * leads to is decided in `routeFailure.ts`.
 */

/** How the task a skip starts from ended (not completed), and the run's policy (for tasks without a trigger rule). */
export interface SkipCause {
  readonly ended: Exclude<Ended, Ended.Completed>;
  readonly failurePolicy: FailurePolicy;
}

/**
 * Whether a dependency that ended so (failed, or skipped) makes trigger rule `rule` impossible
 * at once (its code in `DagIndex.when`; 0 follows the failure policy): a failure (or a skip that
 * carries one) breaks `all-succeeded` and `none-failed`. `all-done` and `any-failed` wait for
 * the rest, and so does every rule after a skip that carries no failure: such a skip breaks
 * `all-succeeded` only once the other dependencies have ended ({@link skippedDependency}), so that
 * a failure among them, whenever it comes, makes the dependent's skip count as one.
 */
export function ruleBroken(rule: number, ended: Exclude<Ended, Ended.Completed>, failurePolicy: FailurePolicy): boolean {
  if (!carriesFailure(ended)) return false;
  switch (rule) {
    case 0:
      return failurePolicy !== 'continue';
    case 1: // all-succeeded
      return true;
    case 4: // none-failed
      return true;
    default: // all-done, any-failed
      return false;
  }
}

/**
 * The tasks skipped because `from` failed (or was skipped): each transitive dependent that has
 * not ended and whose trigger rule that outcome breaks (deeper ones see a skipped dependency,
 * which carries the failure on when `from`'s end did), dependents before their own dependents.
 * Each task is visited once. Without a cause, every dependent that has not ended (the
 * `skip-dependents` policy on a DAG without trigger rules).
 */
export function dependentsToSkip(dag: Dag, from: number, statusOf: (task: number) => StatusCode, cause?: SkipCause): number[] {
  const failed = from;
  const rules = cause === undefined ? undefined : dag.index.when;
  const { start, targets } = dag.index.dependents;
  const skipped: number[] = [];
  const seen = new Set<number>();
  const stack = [failed];
  const deeper = cause === undefined || carriesFailure(cause.ended) ? Ended.SkippedAfterFailure : Ended.Skipped;
  while (stack.length > 0) {
    const task = stack.pop()!;
    for (let e = start[task]!; e < start[task + 1]!; e++) {
      const dependent = targets[e]!;
      if (seen.has(dependent)) continue;
      if (statusOf(dependent) >= StatusCode.Completed) continue;
      if (cause !== undefined) {
        const ended = task === failed ? cause.ended : deeper;
        // not broken now: a later outcome of another path may still break it
        if (!ruleBroken(rules?.[dependent] ?? 0, ended, cause.failurePolicy)) continue;
      }
      seen.add(dependent);
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

/**
 * Whether any dependency of `task` failed for good, or was skipped because of a failure (what an
 * `any-failed` task waits to see).
 */
export function anyDependencyFailed(dag: Dag, task: number, statusOf: (task: number) => StatusCode): boolean {
  const { start, targets } = dag.index.deps;
  for (let e = start[task]!; e < start[task + 1]!; e++) if (failedForRules(statusOf(targets[e]!))) return true;
  return false;
}

/**
 * For a task whose dependencies have all ended as its rule counts them: a dependency skipped
 * while nothing failed, when the task's rule needs every dependency completed (`all-succeeded`,
 * or none under a policy other than `continue`), which then skips it; else undefined.
 */
export function skippedDependency(
  dag: Dag,
  task: number,
  statusOf: (task: number) => StatusCode,
  failurePolicy: FailurePolicy,
): number | undefined {
  const rule = dag.index.when?.[task] ?? 0;
  if (rule !== 1 && !(rule === 0 && failurePolicy !== 'continue')) return undefined;
  const { start, targets } = dag.index.deps;
  for (let e = start[task]!; e < start[task + 1]!; e++) if (statusOf(targets[e]!) === StatusCode.Skipped) return targets[e]!;
  return undefined;
}

/** The first dependency of `task` (a task with a trigger rule has at least one), to name in `because`. */
export function firstDependency(dag: Dag, task: number): number {
  return dag.index.deps.targets[dag.index.deps.start[task]!]!;
}
