import type { Dag } from '../dag/defineDag';
import { extendDag, type TasksSoFar } from '../dag/extendDag';
import type { TaskSpec } from '../dag/schema';
import { type DagEvent, FAILURE_POLICIES, type FailurePolicy, type TaskFailure } from '../events';
import { countSpawnedDependencies, Ended, failedForRules, releaseDependents } from './dependencyCountdown';
import { describeEvent, InvalidTransitionError, isEventType, notAnEventType } from './invalidTransition';
import { produceRunState, statusCountsOf } from './produceRunState';
import type { RunState, RunStatus, StatusCounts } from './runState';
import { OutputTableEditor, readOutput, StatusCode, TASK_STATUSES, TaskTableEditor } from './taskTable';

/**
 * A run draft: a batch of events applied on top of one immutable run state, the engine of the
 * reducer. It checks that each event is legal where it is applied (else an
 * {@link InvalidTransitionError}) and moves its task's status; reads see the batch so far; the
 * base state never changes; `finish()` gives the new state, through one immer `produce` and one
 * copy of each touched node of the per-task tables, so an event costs O(1) plus the out-degree
 * of its task, never O(tasks) (but a failure for good copies the run's list of failures). Used
 * by `reduce`, `trackRun`, replay and the scheduler's event writer; not part of the public API.
 *
 * It does not count dependencies down itself (`dependencyCountdown.ts` does, in the task table),
 * make the next state (`produceRunState.ts` does, the only user of immer), decide what a run does
 * next (the planner and the run controller do), or stamp events. No RxJS, no clock, no I/O.
 */

const NOTHING_UNBLOCKED: readonly number[] = Object.freeze([]);

/** A batch of events applied on top of one immutable state (for the scheduler, a whole flush's). */
export class RunDraft {
  private readonly tasks: TaskTableEditor;
  /** The run's graph; grows when tasks are spawned. */
  private graph: Dag;
  private outputsEditor: OutputTableEditor | undefined;
  /** Tasks per status code: an array indexed by code, because a keyed update by status name is a slow path in V8. */
  private readonly codeCounts: number[];
  private status: RunStatus;
  private failurePolicy: FailurePolicy;
  private seq: number;
  private startedAt: number | undefined;
  private endedAt: number | undefined;
  /** Tasks that failed for good in this draft (the base's come first). */
  private newFailures: TaskFailure[] | undefined;
  /** Tasks whose last dependency finished in this draft and that are not ready yet. */
  private unblocked: number[] = [];
  /** The index of the event being applied, when the pipeline gave it (see `applyKnown`). */
  private knownTask: number | undefined;
  /** The DAG a `tasks.spawned` being applied makes, when the pipeline built it already. */
  private knownGrowth: Dag | undefined;

  constructor(private readonly base: RunState) {
    this.tasks = new TaskTableEditor(base.tasks);
    this.graph = base.dag;
    // the two skipped codes are counted as one: every skip so far under `Skipped`
    this.codeCounts = TASK_STATUSES.map((status, code) => (code === StatusCode.SkippedAfterFailure ? 0 : base.counts[status]));
    this.status = base.status;
    this.failurePolicy = base.failurePolicy;
    this.seq = base.seq;
    this.startedAt = base.startedAt;
    this.endedAt = base.endedAt;
  }

  /** The run's DAG as of this draft (spawned tasks included). */
  get dag(): Dag {
    return this.graph;
  }
  /** `at` of `dag.created`, once applied. */
  get runStartedAt(): number | undefined {
    return this.startedAt;
  }
  get lastSeq(): number {
    return this.seq;
  }
  /** Counts of the draft as they are now (a new object each call). */
  get statusCounts(): StatusCounts {
    return statusCountsOf(this.codeCounts);
  }

  /** Every task that failed for good so far. */
  get failures(): readonly TaskFailure[] {
    return this.newFailures === undefined ? this.base.failures : [...this.base.failures, ...this.newFailures];
  }

  /** Whether every task of the run has ended. */
  get settled(): boolean {
    return this.endedCount() === this.graph.size;
  }

  /** How many tasks of the run have ended. */
  private endedCount(): number {
    const c = this.codeCounts;
    const ended = c[StatusCode.Completed]! + c[StatusCode.Failed]! + c[StatusCode.Skipped]! + c[StatusCode.SkippedAfterFailure]!;
    return ended + c[StatusCode.Cancelled]!;
  }
  statusOf(task: number): StatusCode {
    return this.tasks.status(task);
  }
  /** What a spawn needs to know of the tasks: which completed, which ended. */
  readonly sofar: TasksSoFar = {
    completed: (task) => this.tasks.status(task) === StatusCode.Completed,
    ended: (task) => this.tasks.status(task) >= StatusCode.Completed,
  };
  attemptOf(task: number): number {
    return this.tasks.attempt(task);
  }
  outputOf(task: number): unknown {
    return this.outputsEditor !== undefined ? this.outputsEditor.get(task) : readOutput(this.base.outputs, task);
  }

  /** Takes the tasks unblocked since the last call: their dependencies are all finished. */
  takeUnblocked(): readonly number[] {
    // splice, not a fresh `[]` each time: the draft's array keeps its capacity
    return this.unblocked.length === 0 ? NOTHING_UNBLOCKED : this.unblocked.splice(0);
  }

  /** Applies one event; throws {@link InvalidTransitionError} when it is not legal here. */
  apply(event: DagEvent): void {
    this.knownTask = undefined;
    this.knownGrowth = undefined;
    this.applyEvent(event);
  }

  /**
   * Applies an event the pipeline built itself, with what it already knows: `task` is the index
   * of the event's `taskId`, `grown` the DAG its `tasks.spawned` makes. Saves an id lookup per
   * event and a second build of a grown DAG; the pipeline's event writer is the only caller.
   * @internal
   */
  applyKnown(event: DagEvent, task: number | undefined, grown?: Dag): void {
    this.knownTask = task;
    this.knownGrowth = grown;
    this.applyEvent(event);
  }

  private applyEvent(event: DagEvent): void {
    if (event.runId !== this.base.runId) {
      throw this.refusal(`${describeEvent(event)} belongs to run "${event.runId}"`);
    }
    if (event.seq !== this.seq + 1) {
      throw this.refusal(`${describeEvent(event)} has seq ${event.seq}, expected ${this.seq + 1}`);
    }
    this.transition(event);
    // after the transition: a refused event leaves the draft as it was
    this.seq = event.seq;
  }

  private transition(event: DagEvent): void {
    // every event but the first comes while the run runs: none before its dag.created, none after its end
    if (this.status !== 'running' && event.type !== 'dag.created') {
      // a record of another version, or damaged, is said as such wherever it stands
      if (!isEventType(event.type)) throw this.refusal(notAnEventType(event));
      this.expectRun('running', event);
    }
    switch (event.type) {
      case 'dag.created':
        this.expectRun('created', event);
        // the policy the run had: events read back need no one to say it again
        if (event.failurePolicy !== undefined) {
          if (!(FAILURE_POLICIES as readonly unknown[]).includes(event.failurePolicy))
            throw this.refusal(
              `dag.created with failurePolicy ${JSON.stringify(event.failurePolicy)} (expected one of ${FAILURE_POLICIES.join(', ')})`,
            );
          this.failurePolicy = event.failurePolicy;
        }
        this.status = 'running';
        this.startedAt = event.at;
        return;
      case 'task.ready': {
        const task = this.taskIndex(event.taskId, event.type);
        const waiting = this.tasks.remainingDeps(task);
        if (waiting > 0) {
          const what = waiting === 1 ? 'a dependency that has' : `${waiting} dependencies that have`;
          throw this.refusal(
            `task.ready for task "${event.taskId}", which waits for ${what} not ended as its rule needs${this.policyHint(task)}`,
          );
        }
        this.move(event.taskId, event.type, StatusCode.Pending, StatusCode.Ready, event.attempt);
        return;
      }
      case 'task.started':
        this.move(event.taskId, event.type, StatusCode.Ready, StatusCode.Running, event.attempt);
        return;
      case 'task.completed': {
        const task = this.move(event.taskId, event.type, StatusCode.Running, StatusCode.Completed, event.attempt);
        if (event.output !== undefined) {
          this.outputsEditor ??= new OutputTableEditor(this.base.outputs);
          this.outputsEditor.set(task, event.output);
        }
        releaseDependents(this.tasks, this.graph.index, this.failurePolicy, task, this.unblocked);
        return;
      }
      case 'task.failed': {
        const to = event.willRetry ? StatusCode.Backoff : StatusCode.Failed;
        const task = this.move(event.taskId, event.type, StatusCode.Running, to, event.attempt);
        if (!event.willRetry) {
          (this.newFailures ??= []).push(Object.freeze({ taskId: event.taskId, attempt: event.attempt, error: event.error }));
          const policy = this.failurePolicy;
          if (this.graph.index.when !== undefined)
            releaseDependents(this.tasks, this.graph.index, policy, task, this.unblocked, Ended.Failed);
          else if (policy === 'continue') releaseDependents(this.tasks, this.graph.index, policy, task, this.unblocked);
        }
        return;
      }
      case 'task.retrying':
        this.move(event.taskId, event.type, StatusCode.Backoff, StatusCode.Ready, event.attempt);
        return;
      case 'tasks.spawned': {
        const spawner = this.taskIndex(event.taskId, event.type);
        if (this.tasks.status(spawner) !== StatusCode.Running) {
          throw this.refusal(`tasks.spawned by task "${event.taskId}", which is not running`);
        }
        this.spawn(spawner, event.tasks);
        return;
      }
      case 'task.skipped':
      case 'task.cancelled': {
        const task = this.taskIndex(event.taskId, event.type);
        const from = this.tasks.status(task);
        if (from >= StatusCode.Completed) {
          throw this.refusal(`${event.type} for task "${event.taskId}", which already ended ${TASK_STATUSES[from]}`);
        }
        if (event.type === 'task.skipped' && from === StatusCode.Running) {
          throw this.refusal(`task.skipped for task "${event.taskId}", which is running`);
        }
        this.expectAttempt(task, event, from === StatusCode.Pending ? 1 : 0);
        if (event.type === 'task.cancelled') {
          this.setStatus(task, from, StatusCode.Cancelled, event.attempt);
          return;
        }
        // only trigger rules tell the two skips apart: without them, every skip is `Skipped`
        const afterFailure = this.graph.index.when !== undefined && this.carriesFailure(event.because);
        this.setStatus(task, from, afterFailure ? StatusCode.SkippedAfterFailure : StatusCode.Skipped, event.attempt);
        // a skipped dependency still counts as done for the rules that accept it (`all-done`, …)
        if (this.graph.index.when !== undefined) {
          const ended = afterFailure ? Ended.SkippedAfterFailure : Ended.Skipped;
          releaseDependents(this.tasks, this.graph.index, this.failurePolicy, task, this.unblocked, ended);
        }
        return;
      }
      case 'task.timed-out':
      case 'task.stuck': {
        const task = this.taskIndex(event.taskId, event.type);
        if (this.tasks.status(task) !== StatusCode.Running) {
          throw this.refusal(`${event.type} for task "${event.taskId}", which is not running`);
        }
        this.expectAttempt(task, event);
        return;
      }
      case 'agent.available':
      case 'health.checked':
        return;
      case 'run.resumed':
        if (event.resumedAfterSeq !== event.seq - 1) {
          throw this.refusal(`run.resumed says it follows seq ${event.resumedAfterSeq}, but follows seq ${event.seq - 1}`);
        }
        // each checked before any moves (a refused event leaves the draft as it was)
        for (const task of this.interruptedTasks(event.interrupted)) {
          // an interrupted attempt runs again under its own number: a crash is not the task's failure
          this.setStatus(task, StatusCode.Running, StatusCode.Ready, this.tasks.attempt(task));
        }
        return;
      case 'dag.completed': {
        if (!this.settled) {
          const open = this.graph.size - this.endedCount();
          throw this.refusal(`dag.completed while ${open} task${open === 1 ? ' has' : 's have'} not ended`);
        }
        const c = this.codeCounts;
        if (event.outcome === 'succeeded' && c[StatusCode.Failed]! + c[StatusCode.Cancelled]! > 0) {
          throw this.refusal(
            `dag.completed says succeeded, but ${c[StatusCode.Failed]} task(s) failed and ${c[StatusCode.Cancelled]} were cancelled`,
          );
        }
        this.status = event.outcome;
        this.endedAt = event.at;
        return;
      }
      default:
        // a record of another version, or damaged: folding past it would guess what it meant
        throw this.refusal(notAnEventType(event));
    }
  }

  /** The new state; the draft cannot be used afterwards. Returns the base when nothing changed. */
  finish(): RunState {
    const tasks = this.tasks.finish();
    const outputs = this.outputsEditor?.finish();
    if (this.seq === this.base.seq) return this.base;
    const { graph: dag, status, failurePolicy, seq, startedAt, endedAt } = this;
    const counts = statusCountsOf(this.codeCounts);
    const failures = this.newFailures === undefined ? undefined : this.failures;
    return produceRunState(this.base, { dag, status, failurePolicy, seq, startedAt, endedAt, counts, failures, tasks, outputs });
  }

  /** Why a task after a failed dependency may have been ready: the run went on past failures, which older events do not say. */
  private policyHint(task: number): string {
    if (this.failurePolicy === 'continue') return '';
    const { start, targets } = this.graph.index.deps;
    for (let e = start[task]!; e < start[task + 1]!; e++) {
      if (this.tasks.status(targets[e]!) !== StatusCode.Failed) continue;
      return ` (a dependency failed: a run with failurePolicy 'continue' makes it ready; events of an earlier version do not say the run's policy: give it to initialRunState or trackRun, e.g. from journal.header(runId).options.failurePolicy)`;
    }
    return '';
  }

  /** The tasks a `run.resumed` names as interrupted, each known, running and named once; else its refusal. */
  private interruptedTasks(interrupted: readonly string[]): Set<number> {
    const tasks = new Set<number>();
    for (const taskId of interrupted) {
      const task = this.graph.taskIndex(taskId);
      const status = task === undefined ? 'unknown' : tasks.has(task) ? 'named twice' : TASK_STATUSES[this.tasks.status(task)];
      if (status !== 'running')
        throw this.refusal(`run.resumed names task "${taskId}" as interrupted, which is ${status} (expected running)`);
      tasks.add(task!);
    }
    return tasks;
  }

  private taskIndex(taskId: string, type: string): number {
    const known = this.knownTask;
    if (known !== undefined) return known;
    const task = this.graph.taskIndex(taskId);
    if (task === undefined) {
      throw this.refusal(typeof taskId === 'string' ? `${type} for unknown task "${taskId}"` : `${type} without a taskId`);
    }
    return task;
  }

  private move(taskId: string, type: string, from: StatusCode, to: StatusCode, attempt: number): number {
    const task = this.taskIndex(taskId, type);
    const current = this.tasks.status(task);
    if (current !== from) {
      throw this.refusal(`${type} for task "${taskId}" in status ${TASK_STATUSES[current]} (expected ${TASK_STATUSES[from]})`);
    }
    // an attempt starts or ends as the one it is, the first as 1, a retry as the next one (not 5 while 1 runs)
    this.expectAttempt(task, { taskId, type, attempt }, from === StatusCode.Pending || from === StatusCode.Backoff ? 1 : 0);
    this.setStatus(task, from, to, attempt);
    return task;
  }

  /** Refuses an event of `task` unless its attempt is the task's own (`ahead` 1: the one after it, the first of a pending task). */
  private expectAttempt(task: number, { taskId, type, attempt }: { taskId: string; type: string; attempt: number }, ahead = 0): void {
    const expected = this.tasks.attempt(task) + ahead;
    if (attempt !== expected) throw this.refusal(`${type} for task "${taskId}" attempt ${attempt} (expected attempt ${expected})`);
  }

  /**
   * Whether a skip naming `because` carries a failure on: the task it names (the one whose end
   * started the skip) failed for good, or was itself skipped because of a failure. A name the
   * DAG does not have carries none.
   */
  private carriesFailure(because: string): boolean {
    const cause = this.graph.taskIndex(because);
    return cause !== undefined && failedForRules(this.tasks.status(cause));
  }

  private setStatus(task: number, from: StatusCode, to: StatusCode, attempt: number): void {
    this.tasks.setStatus(task, to, attempt);
    this.codeCounts[from]!--;
    this.codeCounts[to]!++;
  }

  /**
   * Adds spawned tasks: pending, waiting for the spawner and their other unfinished
   * dependencies; the spawner's dependents now wait for each of them too.
   */
  private spawn(spawner: number, specs: readonly TaskSpec[]): void {
    const before = this.graph.size;
    let grown: Dag;
    try {
      grown = this.knownGrowth ?? extendDag(this.graph, spawner, specs, this.sofar);
    } catch (error) {
      throw this.refusal(`tasks.spawned by "${this.graph.index.ids[spawner]!}" is invalid: ${(error as Error).message}`);
    }
    this.graph = grown;
    const total = grown.size;
    this.tasks.grow(total);
    this.outputsEditor ??= new OutputTableEditor(this.base.outputs);
    this.outputsEditor.grow(total);
    countSpawnedDependencies(this.tasks, grown, before);
    this.codeCounts[StatusCode.Pending]! += total - before;
  }

  /** The error for an illegal event, naming the run. */
  private refusal(message: string): InvalidTransitionError {
    return new InvalidTransitionError(`run "${this.base.runId}": ${message}`);
  }

  private expectRun(status: RunStatus, event: DagEvent): void {
    if (this.status !== status) {
      throw this.refusal(`${describeEvent(event)} in a run that is ${this.status} (expected ${status})`);
    }
  }
}
