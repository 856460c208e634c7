import type { Dag } from '../dag/defineDag';
import type { DagIndex } from '../dag/types';
import type { FailurePolicy } from './runState';
import { StatusCode, type TaskTableEditor } from './taskTable';

/**
 * The dependency countdown of a run draft. Each task keeps in the task table how many of its
 * dependencies it still waits for; when a dependency ends, each dependent whose trigger rule
 * accepts that end (see {@link countsAsDone}) counts it down, and a dependent with none left is
 * unblocked. Spawned tasks get their counts here too.
 *
 * It does not check that an event is legal (the run draft does), make tasks ready or skip them
 * (the run controller does, with what the draft unblocked), or keep any state of its own: the
 * counts live in the task table. Pure bookkeeping: no RxJS, no clock.
 */

/**
 * How a dependency ended, for the trigger rules of its dependents. A task skipped because a
 * failure made its rule impossible carries that failure on (`SkippedAfterFailure`: for the rules
 * it counts as failed); one skipped by its own rule while nothing failed (`Skipped`: an
 * `any-failed` task with nothing to answer, and what that skips) does not.
 */
export const enum Ended {
  Completed,
  Failed,
  Skipped,
  SkippedAfterFailure,
}

/** Whether a dependency that ended so counts as a failure for the trigger rules. */
export function carriesFailure(ended: Ended): boolean {
  return ended === Ended.Failed || ended === Ended.SkippedAfterFailure;
}

/** Whether a task with status `status` counts as failed for its dependents' trigger rules. */
export function failedForRules(status: StatusCode): boolean {
  return status === StatusCode.Failed || status === StatusCode.SkippedAfterFailure;
}

/**
 * Whether a dependency that ended so counts as done for a dependent with trigger rule `rule`
 * (its code in `DagIndex.when`; 0: none, which follows the failure policy). A dependency that
 * does not count keeps the dependent waiting; the run controller skips the dependent when its
 * rule can no longer hold. A skip that carries no failure counts for every rule: the rules that
 * need success are decided once every dependency has ended, so that a failure among the others
 * decides how the dependent's own skip counts, whichever ended first.
 */
export function countsAsDone(rule: number, ended: Ended, policy: FailurePolicy): boolean {
  switch (rule) {
    case 0: // the policy's rule: `continue` runs dependents anyway, the others only after success
      return policy === 'continue' || ended === Ended.Completed || ended === Ended.Skipped;
    case 1: // all-succeeded
      return ended === Ended.Completed || ended === Ended.Skipped;
    case 4: // none-failed
      return !carriesFailure(ended);
    default: // all-done, any-failed
      return true;
  }
}

/**
 * Counts `task` done for each of its dependents whose trigger rule accepts how it `ended` (every
 * rule accepts `completed`); a dependent with no dependency left goes on `unblocked`.
 */
export function releaseDependents(
  tasks: TaskTableEditor,
  index: DagIndex,
  failurePolicy: FailurePolicy,
  task: number,
  unblocked: number[],
  ended: Ended = Ended.Completed,
): void {
  const { dependents, when } = index;
  const { start, targets } = dependents;
  for (let e = start[task]!; e < start[task + 1]!; e++) {
    const dependent = targets[e]!;
    if (ended !== Ended.Completed && when !== undefined && !countsAsDone(when[dependent]!, ended, failurePolicy)) continue;
    if (tasks.releaseOne(dependent)) unblocked.push(dependent);
  }
}

/**
 * Starts the countdown of the tasks a spawn added to a DAG of `before` tasks, `grown` being the
 * DAG with them: each waits for those of its dependencies that have not completed, and the
 * earlier tasks the grown DAG makes depend on them (the spawner's dependents still to run) wait
 * for each of them too.
 */
export function countSpawnedDependencies(tasks: TaskTableEditor, grown: Dag, before: number): void {
  const total = grown.size;
  const { deps, dependents } = grown.index;
  for (let task = before; task < total; task++) {
    let remaining = 0;
    for (let e = deps.start[task]!; e < deps.start[task + 1]!; e++) {
      if (tasks.status(deps.targets[e]!) !== StatusCode.Completed) remaining++;
    }
    tasks.setRemainingDeps(task, remaining);
  }
  for (let task = before; task < total; task++) {
    for (let e = dependents.start[task]!; e < dependents.start[task + 1]!; e++) {
      const dependent = dependents.targets[e]!;
      if (dependent < before) tasks.incrementRemaining(dependent);
    }
  }
}
