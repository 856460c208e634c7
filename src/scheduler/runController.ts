import { errorInfo, retryHintOf, severityOf, warningOutput, workerOf } from '../agents/agent';
import type { AsyncResource } from 'node:async_hooks';
import type { AgentDefinition } from '../agents/agentSpec';
import type { AgentKind } from '../agents/pool';
import { tell } from '../agents/attemptContext';
import type { AttemptOutcome } from '../agents/runAttempt';
import type { Dag } from '../dag/defineDag';
import { atPlacesGiven, extendDagForRun } from '../dag/extendDag';
import type { TaskSpec } from '../dag/schema';
import type { ErrorInfo } from '../events';
import type { ReplayedRun, SpawnedBefore } from '../journal/replay';
import { runOutcome, taskCounts } from '../state/planner';
import { routeFailure } from '../state/routeFailure';
import type { RunState } from '../state/runState';
import { StatusCode } from '../state/taskTable';
import type { Attempt } from './attempt';
import { classOrder, type DispatchClass, sharesRoom } from './dispatchClasses';
import type { DispatchOrder } from './dispatchOrder';
import type { EventWriter } from './eventWriter';
import type { ResolvedRunOptions } from './options';
import { ReadyQueues } from './priorityQueue';
import type { RunHost } from './runHost';
import type { RunJournal } from './runJournal';
import { resumeRun } from './resumeRun';
import { RetryTimers } from './retryTimers';
import { SwapList } from './swapList';
import { TaskReadiness } from './taskReadiness';

/**
 * One run, from its start to its settlement: the object every step of a run goes through.
 * It keeps the run's `phase`, queues ready tasks, carries out an attempt's outcome (complete,
 * spawn, or a failure routed by the pure `routeFailure`: retry after a backoff, skip dependents,
 * end the run early), cancels, and emits `dag.completed` once every task has ended. Its events go
 * out through its {@link EventWriter}; the state they make lives there.
 *
 * It does not choose which task starts when (the dispatcher does, from its ready queue), call
 * agents (the pipeline's `mergeMap` does), or read the clock (its {@link RetryTimers} wait on the
 * scheduler's). Which tasks become ready or are skipped is its {@link TaskReadiness}'s work; how a
 * resumed run picks up, `resumeRun.ts`'s.
 */

/**
 * A run's life: `queued` until its start is handled; `running`; `cancelling` from a cancel
 * request until the cancel is handled (it starts nothing meanwhile); `ending` while it is being
 * ended early (failed or cancelled); `done` once `dag.completed` went out (or the pipeline broke).
 */
export type RunPhase = 'queued' | 'running' | 'cancelling' | 'ending' | 'done';

export class RunController {
  phase: RunPhase = 'queued';
  /** The run's DAG; replaced by a grown one when an agent spawns tasks. */
  dag: Dag;
  /** Ready tasks by dispatch class (agent kind and limits), each class by priority, then upward rank. */
  readonly readyQueue: ReadyQueues<DispatchClass>;
  /** What the tasks of each dispatch class wait for, by class code. */
  readonly classes: DispatchClass[] = [];
  /** The kinds of the agents the run's tasks name, by definition (see `kindOf`). */
  private readonly kinds = new Map<AgentDefinition, AgentKind>();
  /** Attempts launched and not yet handled. */
  readonly running = new SwapList<Attempt>();
  /** Where its tasks become ready or are skipped. */
  readonly readiness: TaskReadiness;
  /** Its retries waiting for their backoff. */
  readonly retries: RetryTimers;
  /** How a run that was ended early ended. */
  private earlyOutcome: 'cancelled' | 'failed' | undefined;
  /** Why its running attempts were stopped, when an interrupting shutdown stopped them. */
  private stopReason: Error | undefined;
  /** Whether any task has its own `timeoutMs`: most DAGs have none, and then the column is never read. */
  private hasTaskTimeouts: boolean;

  /** What tasks of a resumed run had spawned before, their completion lost (see `notSpawnedBefore`). */
  private spawnedBefore: ReadonlyMap<number, SpawnedBefore> | undefined;

  constructor(
    readonly runId: string,
    dag: Dag,
    readonly options: ResolvedRunOptions,
    readonly listener: { complete(): void; error(error: unknown): void },
    readonly writer: EventWriter,
    private readonly host: RunHost,
    /** The async context its agents are called in: the one its stream was subscribed in (see `runAttempt`). */
    readonly scope: AsyncResource,
    /** Where its events are journaled, if it is durable. */
    readonly journal?: RunJournal,
    /** What the run was doing when its process died, if this process resumes it. */
    private resumed?: ReplayedRun,
  ) {
    this.dag = dag;
    const classes = this.classes;
    const lookAgain = () => host.lookAgain(this); // its queue changed after the dispatcher passed it over
    this.readyQueue = new ReadyQueues<DispatchClass>(this.orderOf(dag), (code) => classes[code]!, sharesRoom, lookAgain);
    this.hasTaskTimeouts = anyTimeout(dag);
    this.readiness = new TaskReadiness(this, writer, host);
    this.retries = new RetryTimers(this, host);
  }

  /** Whether any task weighs more than 1 or needs a limit: the dispatcher then looks at each task. */
  get weighsTasks(): boolean {
    return this.dag.index.weight !== undefined || this.dag.index.limits !== undefined;
  }

  /** The dispatch order of `dag`'s tasks by class, adding the classes it has that are new. */
  private orderOf(dag: Dag): DispatchOrder {
    const { agents } = this.options;
    return classOrder(
      dag.index,
      this.classes,
      (agent) => this.kindOf(agents[agent]!),
      (name) => this.host.limit(name),
    );
  }

  /** The pool's kind of `definition`, asked of the pool once: the run uses it until it ends. */
  private kindOf(definition: AgentDefinition): AgentKind {
    let kind = this.kinds.get(definition);
    if (kind === undefined) this.kinds.set(definition, (kind = this.host.useKind(definition)));
    return kind;
  }

  /** The agent definitions whose kinds the run used: the pool may let a run's own agents go once it ended. */
  get agentsUsed(): Iterable<AgentDefinition> {
    return this.kinds.keys();
  }

  /** Neither ended nor being ended: its signals still count. */
  get live(): boolean {
    return this.phase === 'queued' || this.phase === 'running' || this.phase === 'cancelling';
  }

  /** The time limit of an attempt of `task`, `undefined` for none. */
  timeoutOf(task: number): number | undefined {
    const own = this.hasTaskTimeouts ? this.dag.index.timeoutMs[task]! : Number.NaN;
    return Number.isNaN(own) ? this.options.taskTimeoutMs : own;
  }

  /** Emits `dag.created` and makes the root tasks ready; a resumed run picks up where it was. */
  start(): void {
    if (this.phase === 'done') return;
    if (this.phase === 'queued') this.phase = 'running';
    const resumed = this.resumed;
    this.resumed = undefined;
    this.spawnedBefore = resumed?.spawnedBefore;
    if (resumed === undefined || resumed.state.status === 'created') {
      this.writer.created(this.dag.id, this.dag.size, this.options.failurePolicy);
      this.readiness.makeReady(Array.from(this.dag.index.roots));
    } else {
      resumeRun(this, resumed, this.host);
    }
    this.settleIfDone();
  }

  /**
   * What a running attempt's signal fires with now, when a cancel was asked for and its
   * attempts are not stopped yet (a listener of a `task.started` unsubscribed): the interrupting
   * shutdown's error, else `true` (a `TaskCancelledError`). `undefined` while nothing cancels it.
   */
  get cancelPending(): Error | true | undefined {
    return this.phase === 'cancelling' ? (this.stopReason ?? true) : undefined;
  }

  /**
   * Marks the run as cancelling; true when a cancel signal should be sent (it is live and no
   * cancel was asked for before). `interruption`: the run stops to be resumed (an interrupting
   * shutdown), and its running attempts' signals fire with that error. Its journal records
   * nothing more then, and its subscribers see nothing more either: the `task.cancelled` and
   * `dag.completed` that wind it down here are not its history (its resume goes on from the last
   * event recorded, with the seqs that follow it).
   */
  requestCancel(interruption?: Error): boolean {
    if (this.phase !== 'queued' && this.phase !== 'running') return false;
    this.phase = 'cancelling';
    this.stopReason = interruption;
    if (interruption !== undefined) {
      this.writer.hideFromNowOn();
      // the run stops to be resumed: what its journal has not acknowledged yet may never be
      this.journal?.giveUpWaits();
    }
    return true;
  }

  /** Ready tasks that came back through the pipeline go to the ready queue (`first`: before every other). */
  queueReady(tasks: readonly number[], first: boolean): void {
    if (!this.live) return;
    if (first) this.readyQueue.pushFirst(tasks);
    else for (const task of tasks) this.readyQueue.push(task);
    this.journal?.queued(tasks);
  }

  /** A retry's backoff is over: attempt `attempt` of `task` is ready. */
  retry(task: number, attempt: number): void {
    if (!this.live) return;
    this.retries.due(task);
    this.writer.retrying(task, attempt);
    this.readyQueue.push(task);
    this.journal?.queued([task]);
  }

  /** Carries out what an attempt's outcome leads to, then frees its slots. */
  handleOutcome(attempt: Attempt, outcome: AttemptOutcome): void {
    if (!attempt.live) return; // cancelled before its outcome arrived (and told then)
    this.closeAttempt(attempt);
    // before its events, which go in the open generation with it: carrying them out may end the run (and finish its journal)
    this.tellRecorded(attempt, true);
    const spawnProblem = outcome.ok && outcome.spawned !== undefined ? this.spawn(attempt, outcome.spawned) : undefined;
    if (spawnProblem !== undefined) this.failAttempt(attempt, spawnProblem, undefined);
    else if (outcome.ok) this.completeTask(attempt, outcome.output, outcome.warning, outcome.worker);
    else this.failAttempt(attempt, outcome.error, outcome.timedOutAfterMs);
    this.freeSlots(attempt);
    attempt.release();
    this.settleIfDone();
  }

  /**
   * Ends the run before its tasks finished: running attempts are stopped (their `AbortSignal`
   * fires), retry timers cleared, and every task that has not ended gets `task.cancelled`.
   */
  endEarly(outcome: 'cancelled' | 'failed'): void {
    if (!this.live) return;
    this.phase = 'ending';
    this.earlyOutcome = outcome;
    const draft = this.writer.draft;
    const running = [...this.running.items];
    for (const attempt of running) {
      this.closeAttempt(attempt);
      this.writer.cancelled(attempt.task, attempt.attempt);
      this.tellRecorded(attempt, this.stopReason === undefined); // an interruption's cancels are not journaled
      this.freeSlots(attempt);
    }
    this.retries.clear();
    this.readyQueue.drain();
    for (let task = 0; task < this.dag.size; task++) {
      if (draft.statusOf(task) < StatusCode.Completed) this.writer.cancelled(task, Math.max(1, draft.attemptOf(task)));
    }
    // stopped before the run settles: its end may dispose the agents, and an agent told of its
    // attempts' stop after its dispose (a remote agent's cancel of their jobs) could no longer act on it
    for (const attempt of running) attempt.stop(this.stopReason);
    this.settleIfDone();
  }

  /**
   * A bug in the pipeline, or its journal failed: the run errors at once, giving back what it
   * holds. Its attempts' signals fire with `error`: a journal's failure leaves the run resumable,
   * and a remote agent then leaves its attempts to the resume.
   */
  crash(error: unknown): void {
    this.phase = 'done';
    this.journal?.abandon();
    for (const attempt of [...this.running.items]) {
      this.closeAttempt(attempt); // an outcome already on its way frees nothing twice
      this.tellRecorded(attempt, false);
      attempt.lease.release();
      attempt.giveLimits();
      attempt.stop(error instanceof Error ? error : undefined);
    }
    this.retries.clear();
    this.listener.error(error);
  }

  /**
   * Hands what `attempt`'s agent asked to hear (`afterRecorded`) to the journal, to be told once
   * what the run wrote so far (and writes in this turn: the attempt's outcome) is durable; without
   * a journal, tells it now. `written`: false when its outcome will not be journaled (the run
   * stops to be resumed): told so now.
   */
  private tellRecorded(attempt: Attempt, written: boolean): void {
    const callbacks = attempt.takeRecorded();
    if (callbacks === undefined) return;
    if (written && this.journal !== undefined) this.journal.whenDurable(callbacks);
    else tell(callbacks, written);
  }

  /** The run's state now, as an immutable snapshot. */
  snapshot(): RunState {
    return this.writer.snapshot();
  }

  private completeTask(attempt: Attempt, output: unknown, warning: ErrorInfo | undefined, worker?: string): void {
    this.writer.completed(attempt.task, attempt.attempt, attempt.startedAt, output, warning, worker);
    this.readiness.readyUnblocked(attempt.task);
  }

  /**
   * Adds the tasks an attempt spawned, before its `task.completed`. Returns the problem (a
   * `DagValidationError`) when the spawn is invalid: then the attempt fails instead.
   */
  private spawn(attempt: Attempt, given: readonly TaskSpec[]): unknown {
    const { task } = attempt;
    const specs = this.notSpawnedBefore(attempt, given);
    if (specs.length === 0) return undefined;
    const draft = this.writer.draft;
    let grown: Dag;
    try {
      const { agents } = this.options;
      grown = extendDagForRun(this.dag, task, specs, draft.sofar, agents, (dag, fromTask) => this.host.checkSpawned(this, dag, fromTask));
    } catch (error) {
      return atPlacesGiven(error, given, specs, this.dag.id, this.spawnedBefore?.get(task)?.tasks);
    }
    this.writer.spawned(task, attempt.attempt, specs, grown);
    const before = this.dag.size;
    this.dag = grown;
    this.hasTaskTimeouts ||= anyTimeout(grown, before);
    this.readyQueue.reorder(this.orderOf(grown));
    return undefined;
  }

  /**
   * The tasks of a spawn that the task did not spawn already: an attempt a resume restarted
   * spawns again what its `tasks.spawned` (kept by the journal, its `task.completed` lost) holds,
   * and a task of an id spawned then is the one the run has, as the journal holds it, however it
   * is spawned now (a planner asks anew; the kept task may have run already); so for the next
   * attempt, when the restarted one failed (the journal cannot take the tasks back).
   */
  private notSpawnedBefore(attempt: Attempt, specs: readonly TaskSpec[]): readonly TaskSpec[] {
    const before = this.spawnedBefore?.get(attempt.task);
    if (before === undefined) return specs;
    const had = new Set(before.tasks.map((spec) => spec.id));
    // an id given again in the spawn stays, to be refused as a duplicate; so does what is no task (null), to be refused
    return specs.filter((spec) => typeof spec !== 'object' || spec === null || !had.delete(spec.id));
  }

  /** Carries out the route `routeFailure` gives a failed attempt. */
  private failAttempt(attempt: Attempt, failure: unknown, timedOutAfterMs: number | undefined): void {
    const { task } = attempt;
    if (timedOutAfterMs !== undefined) this.writer.timedOut(task, attempt.attempt, timedOutAfterMs);
    const hint = retryHintOf(failure);
    const route = routeFailure({
      severity: severityOf(failure),
      attempt: attempt.attempt,
      retry: this.dag.index.retries[task]!,
      failurePolicy: this.options.failurePolicy,
      noRetry: !hint.retry,
      retryAfterMs: hint.retryAfterMs,
    });
    const error = errorInfo(failure);
    if (route.kind === 'warn') {
      this.completeTask(attempt, warningOutput(failure), error, workerOf(failure));
      return;
    }
    const retryAfterMs = route.kind === 'retry' && route.asked ? route.backoffMs : undefined;
    // the service behind the task's limits refuses work for a while: so does every limit it names
    // (an `error`'s hint only, as its retry hints: a critical error ends the run and asks nothing)
    const pausedLimitsMs = hint.pauseLimits && route.severity === 'error' && attempt.limits.length > 0 ? hint.retryAfterMs : undefined;
    const worker = workerOf(failure);
    const failed = this.writer.failed(task, attempt.attempt, error, route.severity, route.kind === 'retry', {
      worker,
      retryAfterMs,
      pausedLimitsMs,
    });
    if (pausedLimitsMs !== undefined) for (const limit of attempt.limits) limit.pause(failed.at + pausedLimitsMs, failed.at);
    if (route.kind === 'retry') this.retries.wait(task, attempt.attempt + 1, route.backoffMs);
    else if (route.then === 'end-run') this.endEarly('failed');
    else this.readiness.afterFailure(task);
  }

  /** Marks an attempt handled: a late outcome is ignored from now on. */
  private closeAttempt(attempt: Attempt): void {
    attempt.live = false;
    this.running.remove(attempt);
  }

  /**
   * Gives back an attempt's slots, after its outcome's events. When its agent kind was full, says
   * so with `agent.available`: a task waiting for that kind can start now.
   */
  private freeSlots(attempt: Attempt): void {
    this.host.freeSlot(attempt.units);
    attempt.giveLimits();
    if (attempt.lease.release() && this.phase !== 'done') {
      this.writer.agentAvailable(this.dag.index.agentNames[this.dag.index.agentCodes[attempt.task]!]!);
    }
  }

  /** Emits `dag.completed` once every task has ended, and lets the run go. */
  private settleIfDone(): void {
    if (this.phase === 'done') return;
    const draft = this.writer.draft;
    if (!draft.settled) return;
    const counts = draft.statusCounts;
    // let go first: from its `dag.completed` on (its listeners included) the run id is free again
    this.phase = 'done';
    this.host.settled(this);
    this.writer.dagCompleted(runOutcome(counts, this.earlyOutcome), taskCounts(counts, this.dag.size));
    this.writer.snapshot();
    this.complete();
  }

  /** Completes the run's Observable, once its journal (if any) holds every event. */
  private complete(): void {
    if (this.journal === undefined) this.listener.complete();
    else this.journal.finishThen(this.listener);
  }
}

/** Whether a task of `dag` from `from` on has its own time limit. */
function anyTimeout(dag: Dag, from = 0): boolean {
  const { timeoutMs } = dag.index;
  for (let task = from; task < timeoutMs.length; task++) if (!Number.isNaN(timeoutMs[task])) return true;
  return false;
}
