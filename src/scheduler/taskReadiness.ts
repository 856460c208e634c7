import { TRIGGER_RULES } from '../dag/schema';
import { Ended } from '../state/dependencyCountdown';
import { anyDependencyFailed, dependentsToSkip, firstDependency, type SkipCause, skippedDependency } from '../state/planner';
import { StatusCode } from '../state/taskTable';
import type { EventWriter } from './eventWriter';
import { ReadyTasks } from './pipelineSignals';
import type { RunController } from './runController';
import type { RunHost } from './runHost';

/**
 * Where a run's tasks become ready, or are skipped. A task whose dependencies all ended as its
 * trigger rule counts them (the run's draft counts them down and says which) gets `task.ready`,
 * and the tasks made ready together go down the ready stream as one signal; it is skipped
 * instead when its rule does not hold after all: an `any-failed` task none of whose dependencies
 * failed, a task that needs every dependency completed with one skipped while nothing failed.
 * A failure skips every dependent whose rule it makes impossible at once (`task.skipped`, naming
 * the cause; a skip a failure started counts as failed for the rules further down, one that
 * began with a rule while nothing failed does not).
 *
 * It does not count dependencies down (`state/dependencyCountdown.ts` does, in the draft), decide
 * which dependents a failure breaks (the planner's `dependentsToSkip` does), queue or start
 * tasks (the run controller and the dispatcher do), or route failures.
 */
export class TaskReadiness {
  constructor(
    private readonly run: RunController,
    private readonly writer: EventWriter,
    private readonly host: Pick<RunHost, 'signalReady'>,
  ) {}

  /** Emits `task.ready` for each of `tasks`, then sends them down the ready stream together. */
  makeReady(tasks: readonly number[]): void {
    if (tasks.length === 0) return;
    for (const task of tasks) this.writer.ready(task);
    this.host.signalReady(new ReadyTasks(this.run, tasks));
  }

  /**
   * Makes ready the tasks the draft unblocked, until none is left: skipping an `any-failed` task
   * may unblock others in turn. `ended` is the task whose end unblocked them, if one did.
   */
  readyUnblocked(ended?: number): void {
    const draft = this.writer.draft;
    let endedNow: EndedNow = ended;
    for (let unblocked = draft.takeUnblocked(); unblocked.length > 0; unblocked = draft.takeUnblocked()) endedNow = this.readyOrSkip(unblocked, endedNow);
  }

  /**
   * Tasks whose dependencies all ended as their rules need: ready, or skipped (`any-failed`
   * without a failure, naming the dependency that decided: the one among `endedNow`, the tasks
   * whose end unblocked them, else the first). Returns the tasks it skipped so.
   */
  readyOrSkip(unblocked: readonly number[], endedNow?: EndedNow): readonly number[] {
    const { dag } = this.run;
    const rules = dag.index.when;
    if (rules === undefined) {
      this.makeReady(unblocked);
      return NONE;
    }
    const draft = this.writer.draft;
    const ready: number[] = [];
    const skipped: number[] = [];
    const statusOf = (t: number) => draft.statusOf(t);
    for (const task of unblocked) {
      if (draft.statusOf(task) !== StatusCode.Pending) continue;
      if (rules[task] === ANY_FAILED) {
        if (anyDependencyFailed(dag, task, statusOf)) ready.push(task);
        else this.skip(task, lastDependency(dag, task, endedNow), skipped);
        continue;
      }
      const skippedDep = skippedDependency(dag, task, statusOf, this.run.options.failurePolicy);
      if (skippedDep === undefined) ready.push(task);
      else this.skip(task, skippedDep, skipped);
    }
    this.makeReady(ready);
    return skipped;
  }

  /**
   * A task failed for good and its run goes on: skips what the failure makes impossible, then
   * makes ready what it releases (trigger rules, the `continue` policy).
   */
  afterFailure(task: number): void {
    this.skipDependents(task, Ended.Failed);
    this.readyUnblocked(task);
  }

  /**
   * Skips `task` (its rule cannot hold because of `because`, and nothing failed): its dependents
   * count the skip down, and are decided once their other dependencies have ended too.
   */
  private skip(task: number, because: number, skipped: number[]): void {
    this.writer.skipped(task, Math.max(1, this.writer.draft.attemptOf(task)), this.run.dag.index.ids[because]!);
    skipped.push(task);
  }

  /** Skips every dependent whose trigger rule the end of `from` breaks, naming `from` as the cause. */
  private skipDependents(from: number, ended: SkipCause['ended']): void {
    const { dag, options } = this.run;
    const draft = this.writer.draft;
    const because = dag.index.ids[from]!;
    const cause = { ended, failurePolicy: options.failurePolicy };
    for (const task of dependentsToSkip(dag, from, (t) => draft.statusOf(t), cause)) {
      this.writer.skipped(task, Math.max(1, draft.attemptOf(task)), because);
    }
  }
}

/** The task or tasks whose end unblocked others (one number: no array a completion on the hot path). */
type EndedNow = number | readonly number[] | undefined;

/** The dependency of `task` among `endedNow` (those whose end unblocked it), else its first. */
function lastDependency(dag: RunController['dag'], task: number, endedNow: EndedNow): number {
  const { start, targets } = dag.index.deps;
  for (let e = start[task]!; e < start[task + 1]!; e++) {
    const dep = targets[e]!;
    if (typeof endedNow === 'number' ? dep === endedNow : endedNow?.includes(dep) === true) return dep;
  }
  return firstDependency(dag, task);
}

const NONE: readonly number[] = Object.freeze([]);

/** `any-failed`'s code in `DagIndex.when`. */
const ANY_FAILED = TRIGGER_RULES.indexOf('any-failed') + 1;
