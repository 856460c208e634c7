import { EMPTY, interval, map, merge, mergeMap, type Observable, type SchedulerLike, Subscription, VirtualTimeScheduler } from 'rxjs';
import { errorInfo, severityOf } from '../agents/agent';
import { toJsonSafe } from '../jsonSafe';
import { type AttemptOutcome, runAttempt } from '../agents/runAttempt';
import type { Dag } from '../dag/defineDag';
import { extendDagWithAgents } from '../dag/extendDag';
import type { TaskSpec } from '../dag/schema';
import type { DagEvent, ErrorInfo, TaskCompletedEvent } from '../events';
import { dependentsToSkip, runOutcome, taskCounts } from '../state/planner';
import { routeFailure } from '../state/routeFailure';
import { RunDraft } from '../state/reducer';
import { initialRunState, type RunState } from '../state/runState';
import { StatusCode } from '../state/taskTable';
import { createEventBus, createPipelineSignals, createStateCell } from '../signals';
import { coalesce } from './coalesce';
import type { ResolvedRunOptions, ResolvedSchedulerOptions } from './options';
import { dispatchOrder, ReadyQueues } from './priorityQueue';
import { AttemptRecord, type RunListener, type RunRecord } from './runRecord';
import { type SchedulerSnapshot, schedulerSnapshot } from './snapshot';
import { AgentPool, type PoolEntry } from '../agents/pool';

/**
 * Tasks of a run that just became ready, flowing back into the pipeline as one signal per
 * burst. A class, not an object literal: see `Success` in runAttempt.ts (allocation-site
 * pretenuring).
 */
class ReadyTasks {
  readonly kind = 'unblocked' as const;
  constructor(
    readonly run: RunRecord,
    readonly tasks: readonly number[],
  ) {}
}
type ReadySignal = ReadyTasks | { readonly kind: 'retry'; readonly run: RunRecord; readonly task: number; readonly attempt: number };
type OutcomeSignal = AttemptRecord;
type ControlSignal = { readonly kind: 'start' | 'cancel'; readonly run: RunRecord };
type HealthSignal = { readonly kind: 'health' };
type Signal = ReadySignal | OutcomeSignal | ControlSignal | HealthSignal;

const HEALTH: HealthSignal = Object.freeze({ kind: 'health' });

/**
 * The pipeline: signals (Subjects) merged into one stream, coalesced into batches, each batch
 * folded into the runs' states through the pure reducer; ready tasks go to a priority queue and
 * from there, only as slots free up, into `mergeMap` with the concurrency limit.
 */
export class Engine {
  private readonly bus = createEventBus();
  private readonly snapshot = createStateCell<SchedulerSnapshot>(() => this.computeSnapshot());
  private readonly signals = createPipelineSignals<ReadySignal, OutcomeSignal, OutcomeSignal, ControlSignal, AttemptRecord>();
  /** The live pipeline; created with the first run and torn down when the last one ends. */
  private pipeline: Subscription | undefined;
  /** Runs started and not yet done, in start order (round-robin dispatch walks it). */
  private readonly active: RunRecord[] = [];
  /** Where the round-robin over runs resumes. */
  private rotation = 0;
  /** Attempts launched and not yet handled, over all runs. */
  private runningCount = 0;
  /** Runs that ended in this flush (kept in the next snapshot once). */
  private readonly endedThisFlush: RunRecord[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  /**
   * The clock reading the events of a flush share, until an agent is called: a flush runs no
   * foreign code but agents (and listeners), so it takes no time worth measuring, and reading
   * the clock per event was 5–7% of a run. Cleared after each launch and at the end of a flush.
   */
  private flushTime: number | undefined;
  /** Agent slots and instances, shared by every run. */
  private readonly pool: AgentPool;

  constructor(
    readonly options: ResolvedSchedulerOptions,
    /** Dispose agent instances whenever no run is going on (a private scheduler of one run). */
    private readonly disposeWhenIdle = false,
  ) {
    this.pool = new AgentPool(options.scheduler);
  }

  /** A new run record; start it with {@link Engine.start}. */
  createRun(runId: string, dag: Dag, options: ResolvedRunOptions, listener: RunListener): RunRecord {
    const kinds = dag.index.agentNames.map((name) => this.pool.entry(options.agents[name]!));
    const run: RunRecord = {
      runId,
      dag,
      options,
      listener,
      kinds,
      // spawning grows the DAG: the queues are then moved to the new order (see `spawn`)
      readyQueue: new ReadyQueues<PoolEntry>(dispatchOrder(dag.index), (code) => kinds[code]!),
      running: [],
      backoff: new Map(),
      state: initialRunState(dag, runId, options.failurePolicy),
      draft: undefined,
      endedEarly: undefined,
      started: false,
      cancelRequested: false,
      done: false,
    };
    return run;
  }

  /** Disposes every agent instance (scheduler shutdown). */
  disposeAgents(): void {
    this.pool.disposeAll();
  }

  /** Every event of every run. */
  get events$(): Observable<DagEvent> {
    return this.bus.events$;
  }
  get state$(): Observable<SchedulerSnapshot> {
    return this.snapshot.state$;
  }
  get activeRuns(): readonly RunRecord[] {
    return this.active;
  }

  start(run: RunRecord): void {
    this.active.push(run);
    this.ensurePipeline();
    this.signals.control.next({ kind: 'start', run });
  }

  cancel(run: RunRecord): void {
    if (run.cancelRequested) return;
    run.cancelRequested = true;
    this.queueCancel(run);
  }

  /** Cancels every run; none of them starts anything from this call on. */
  cancelAll(): void {
    const runs = [...this.active];
    // all flagged first: handling one cancel dispatches, and must not start the others' tasks
    for (const run of runs) run.cancelRequested = true;
    for (const run of runs) this.queueCancel(run);
  }

  private queueCancel(run: RunRecord): void {
    if (!run.done && run.endedEarly === undefined) this.signals.control.next({ kind: 'cancel', run });
  }

  /** Resolves when no run is going on (at once when none is). */
  whenIdle(): Promise<void> {
    if (this.active.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private ensurePipeline(): void {
    if (this.pipeline !== undefined) return;
    const { maxConcurrency, healthCheckIntervalMs, mode, pollIntervalMs, scheduler } = this.options;
    const { ready, completion, error, health, control, launch } = this.signals;
    const pipeline = new Subscription();
    this.pipeline = pipeline;
    pipeline.add(
      launch
        .pipe(mergeMap((attempt) => runAttempt(attempt, scheduler), maxConcurrency))
        .subscribe((signal) => (signal.outcome!.ok ? completion : error).next(signal)),
    );
    if (healthCheckIntervalMs > 0) pipeline.add(interval(healthCheckIntervalMs, scheduler).subscribe(health));
    const input$: Observable<Signal> = merge(
      control,
      ready,
      completion,
      error,
      healthCheckIntervalMs > 0 ? health.pipe(map(() => HEALTH)) : EMPTY,
    );
    pipeline.add(
      input$
        .pipe(
          coalesce<Signal>({
            flushOn: mode === 'event' ? eventFlush(scheduler) : interval(pollIntervalMs, scheduler),
            isUrgent: (signal) => signal.kind === 'start' || signal.kind === 'cancel' || signal.kind === 'unblocked',
            joinFlush: mode === 'event',
            onDrained: () => this.dispatch(),
            onFlushStart: () => (this.flushTime = undefined),
            onFlushEnd: () => this.endFlush(),
          }),
        )
        .subscribe((batch) => this.pass(batch)),
    );
  }

  /** Handles one batch of signals, then fills the free slots. */
  private pass(batch: readonly Signal[]): void {
    try {
      for (const signal of batch) {
        switch (signal.kind) {
          case 'start':
            this.startRun(signal.run);
            break;
          case 'cancel':
            this.endRunEarly(signal.run, 'cancelled');
            break;
          case 'unblocked':
            if (this.isLive(signal.run)) for (const task of signal.tasks) signal.run.readyQueue.push(task);
            break;
          case 'retry':
            this.retry(signal.run, signal.task, signal.attempt);
            break;
          case 'outcome':
            this.handleOutcome(signal, signal.outcome!);
            break;
          case 'health':
            this.checkHealth();
            break;
        }
      }
    } catch (error) {
      this.crash(error);
    }
  }

  private isLive(run: RunRecord): boolean {
    return !run.done && run.endedEarly === undefined;
  }

  private draftOf(run: RunRecord): RunDraft {
    if (run.draft === undefined) {
      run.draft = new RunDraft(run.state);
    }
    return run.draft;
  }

  private emit(run: RunRecord, event: DagEvent, task?: number): void {
    this.draftOf(run).apply(event, task);
    run.listener.next(event);
    if (this.bus.observed) this.bus.publish(event);
  }

  /** The common fields of a task event; for the rarer events (the hot ones are written out). */
  private taskHead(run: RunRecord, task: number, attempt: number) {
    return { runId: run.runId, seq: this.nextSeq(run), at: this.now(), taskId: run.dag.index.ids[task]!, attempt };
  }

  private nextSeq(run: RunRecord): number {
    return this.draftOf(run).lastSeq + 1;
  }

  /** The scheduler's time, read once per flush until an agent is called (see `flushTime`). */
  private now(): number {
    return (this.flushTime ??= this.options.scheduler.now());
  }

  private startRun(run: RunRecord): void {
    if (run.done) return;
    run.started = true;
    this.emit(run, {
      type: 'dag.created',
      runId: run.runId,
      seq: this.nextSeq(run),
      at: this.now(),
      dagId: run.dag.id,
      taskCount: run.dag.size,
    });
    this.makeReady(run, Array.from(run.dag.index.roots));
    this.completeIfSettled(run);
  }

  /** Emits `task.ready` for each of `tasks`, then sends them down the ready stream together. */
  private makeReady(run: RunRecord, tasks: readonly number[]): void {
    if (tasks.length === 0) return;
    const { ids } = run.dag.index;
    for (const task of tasks) {
      this.emit(run, { type: 'task.ready', runId: run.runId, seq: this.nextSeq(run), at: this.now(), taskId: ids[task]!, attempt: 1 }, task);
    }
    this.signals.ready.next(new ReadyTasks(run, tasks));
  }

  private retry(run: RunRecord, task: number, attempt: number): void {
    if (!this.isLive(run)) return;
    run.backoff.delete(task);
    this.emit(run, { type: 'task.retrying', ...this.taskHead(run, task, attempt) }, task);
    run.readyQueue.push(task);
  }

  /**
   * Starts ready tasks while slots are free, taking runs in turn so none starves. Called once a
   * flush has queued every ready task of its burst, so the priority order sees all of them.
   */
  private dispatch(): void {
    try {
      const max = this.options.maxConcurrency;
      while (this.runningCount < max && this.startNext()) {
        // each turn starts one task of the next run that has one it can start
      }
    } catch (error) {
      this.crash(error);
    }
  }

  /** Starts the best startable task of the next run in turn; false when no run has one. */
  private startNext(): boolean {
    const runs = this.active;
    for (let k = 0; k < runs.length; k++) {
      const i = (this.rotation + k) % runs.length;
      const run = runs[i]!;
      if (run.readyQueue.size === 0 || !this.isLive(run) || run.cancelRequested) continue;
      const task = run.readyQueue.popStartable(hasCapacity);
      if (task < 0) continue;
      this.rotation = i + 1;
      this.startAttempt(run, task, run.readyQueue.lastCode);
      return true;
    }
    return false;
  }

  /** Starts `task`, whose agent has `code` (the ready queue it came from knows it). */
  private startAttempt(run: RunRecord, task: number, code: number): void {
    const draft = this.draftOf(run);
    const agent = run.dag.index.agentNames[code]!;
    const attempt = draft.attemptOf(task);
    const at = this.now();
    this.emit(
      run,
      { type: 'task.started', runId: run.runId, seq: this.nextSeq(run), at, taskId: run.dag.index.ids[task]!, attempt, agent },
      task,
    );
    const entry = run.kinds[code]!;
    const lease = entry.acquire();
    const record = new AttemptRecord(run, task, attempt, at, lease, entry);
    record.slot = run.running.length;
    run.running.push(record);
    this.runningCount++;
    // launched even when a listener of this very `task.started` cancelled the run: the event
    // says the agent was called, and the pending cancel aborts it at once
    this.signals.launch.next(record);
    this.flushTime = undefined; // the agent may have taken time (a synchronous one runs right here)
  }

  private handleOutcome(record: AttemptRecord, outcome: AttemptOutcome): void {
    if (!record.live) return; // cancelled before its outcome arrived
    const { run } = record;
    this.endAttempt(record);
    const spawnProblem = outcome.ok && outcome.spawned !== undefined ? this.spawn(record, outcome.spawned) : undefined;
    if (outcome.ok && spawnProblem === undefined) {
      this.completeTask(record, outcome.output, outcome.warning);
    } else if (spawnProblem !== undefined) {
      this.failAttempt(record, spawnProblem, undefined);
    } else if (!outcome.ok) {
      this.failAttempt(record, outcome.error, outcome.timedOutAfterMs);
    }
    this.releaseSlot(record);
    record.release();
    this.completeIfSettled(run);
  }

  /**
   * Adds the tasks an attempt spawned, before its `task.completed`. Returns the problem (a
   * `DagValidationError`) when the spawn is invalid: then the attempt fails instead.
   */
  private spawn(record: AttemptRecord, specs: readonly TaskSpec[]): unknown {
    const { run, task, attempt } = record;
    const draft = this.draftOf(run);
    try {
      extendDagWithAgents(
        run.dag,
        task,
        specs,
        (t) => draft.statusOf(t) === StatusCode.Completed,
        (name) => run.options.agents[name] !== undefined,
      );
    } catch (error) {
      return error;
    }
    this.emit(
      run,
      {
        type: 'tasks.spawned',
        ...this.taskHead(run, task, attempt),
        tasks: specs,
      },
      task,
    );
    run.dag = draft.dag;
    run.readyQueue.reorder(dispatchOrder(run.dag.index));
    const { agentNames } = run.dag.index;
    for (let code = run.kinds.length; code < agentNames.length; code++) run.kinds.push(this.pool.entry(run.options.agents[agentNames[code]!]!));
    return undefined;
  }

  /** Routes a failed attempt by severity, retry policy and failure policy. */
  private failAttempt(record: AttemptRecord, failure: unknown, timedOutAfterMs: number | undefined): void {
    const { run, task, attempt } = record;
    if (timedOutAfterMs !== undefined) {
      this.emit(
        run,
        {
          type: 'task.timed-out',
          ...this.taskHead(run, task, attempt),
          timeoutMs: timedOutAfterMs,
        },
        task,
      );
    }
    const severity = severityOf(failure);
    const decision = routeFailure({ severity, attempt, retry: run.dag.index.retries[task]!, failurePolicy: run.options.failurePolicy });
    const error = errorInfo(failure);
    if (decision.kind === 'warn') {
      this.completeTask(record, warningOutput(failure), error);
    } else {
      const willRetry = decision.kind === 'retry';
      this.emit(
        run,
        {
          type: 'task.failed',
          ...this.taskHead(run, task, attempt),
          error,
          severity: decision.severity,
          willRetry,
        },
        task,
      );
      if (decision.kind === 'retry') {
        this.scheduleRetry(run, task, attempt + 1, decision.backoffMs);
        return;
      }
      if (decision.then === 'skip-dependents') this.skipDependents(run, task);
      else if (decision.then === 'release-dependents') this.readyUnblocked(run);
      else this.endRunEarly(run, 'failed'); // end-run
    }
  }

  private completeTask(record: AttemptRecord, output: unknown, warning: ErrorInfo | undefined): void {
    const { run, task, attempt } = record;
    const at = this.now();
    const event: Mutable<TaskCompletedEvent> = {
      type: 'task.completed',
      runId: run.runId,
      seq: this.nextSeq(run),
      at,
      taskId: run.dag.index.ids[task]!,
      attempt,
      durationMs: at - record.startedAt,
    };
    if (output !== undefined) event.output = output;
    if (warning !== undefined) event.warning = warning;
    this.emit(run, event, task);
    this.readyUnblocked(run);
  }

  private readyUnblocked(run: RunRecord): void {
    this.makeReady(run, this.draftOf(run).takeUnblocked());
  }

  private skipDependents(run: RunRecord, failed: number): void {
    const draft = this.draftOf(run);
    const because = run.dag.index.ids[failed]!;
    for (const task of dependentsToSkip(run.dag, failed, (t) => draft.statusOf(t))) {
      this.emit(
        run,
        {
          type: 'task.skipped',
          ...this.taskHead(run, task, Math.max(1, draft.attemptOf(task))),
          because,
        },
        task,
      );
    }
  }

  private scheduleRetry(run: RunRecord, task: number, attempt: number, backoffMs: number): void {
    const signal: ReadySignal = { kind: 'retry', run, task, attempt };
    if (backoffMs <= 0) {
      this.signals.ready.next(signal);
      return;
    }
    run.backoff.set(
      task,
      this.options.scheduler.schedule(() => this.signals.ready.next(signal), backoffMs),
    );
  }

  /**
   * Ends a run before its tasks finished: running attempts are stopped (their `AbortSignal`
   * fires), retry timers cleared, and every task that has not ended gets `task.cancelled`.
   */
  private endRunEarly(run: RunRecord, outcome: 'cancelled' | 'failed'): void {
    if (!this.isLive(run)) return;
    run.endedEarly = outcome;
    const draft = this.draftOf(run);
    const running = [...run.running];
    for (const record of running) {
      this.endAttempt(record);
      this.emit(
        run,
        {
          type: 'task.cancelled',
          ...this.taskHead(run, record.task, record.attempt),
        },
        record.task,
      );
      this.releaseSlot(record);
    }
    for (const timer of run.backoff.values()) timer.unsubscribe();
    run.backoff.clear();
    run.readyQueue.drain();
    for (let task = 0; task < run.dag.size; task++) {
      if (draft.statusOf(task) < StatusCode.Completed) {
        this.emit(
          run,
          {
            type: 'task.cancelled',
            ...this.taskHead(run, task, Math.max(1, draft.attemptOf(task))),
          },
          task,
        );
      }
    }
    this.completeIfSettled(run);
    for (const record of running) record.stop();
  }

  /** Marks an attempt handled: a late outcome is ignored from now on. */
  private endAttempt(record: AttemptRecord): void {
    record.live = false;
    const running = record.run.running;
    const last = running.pop()!;
    if (last !== record) {
      running[record.slot] = last;
      last.slot = record.slot;
    }
  }

  /**
   * Gives back an attempt's slot, after its outcome's events. When its agent kind was full, says
   * so with `agent.available` in the attempt's run: a task waiting for that kind can start now.
   */
  private releaseSlot(record: AttemptRecord): void {
    this.runningCount--;
    if (record.lease.release() && !record.run.done) {
      const run = record.run;
      this.emit(run, {
        type: 'agent.available',
        runId: run.runId,
        seq: this.nextSeq(run),
        at: this.now(),
        agent: run.dag.index.agentNames[run.dag.index.agentCodes[record.task]!]!,
      });
    }
  }

  private checkHealth(): void {
    const now = this.options.scheduler.now();
    for (const run of [...this.active]) {
      if (!this.isLive(run) || !run.started) continue; // a run whose start is still queued has nothing to report
      const counts = this.draftOf(run).statusCounts;
      this.emit(run, {
        type: 'health.checked',
        runId: run.runId,
        seq: this.nextSeq(run),
        at: this.now(),
        running: counts.running,
        ready: counts.ready,
        pending: counts.pending + counts.backoff,
      });
      for (const record of run.running) {
        const runningForMs = now - record.startedAt;
        if (!record.stuckReported && runningForMs >= this.options.stuckAfterMs) {
          record.stuckReported = true;
          this.emit(
            run,
            {
              type: 'task.stuck',
              ...this.taskHead(run, record.task, record.attempt),
              runningForMs,
            },
            record.task,
          );
        }
      }
    }
  }

  /** Emits `dag.completed` once every task has ended, and lets the run go. */
  private completeIfSettled(run: RunRecord): void {
    if (run.done) return;
    const draft = this.draftOf(run);
    if (!draft.settled) return;
    const counts = draft.statusCounts;
    const at = this.now();
    this.emit(run, {
      type: 'dag.completed',
      runId: run.runId,
      seq: this.nextSeq(run),
      at,
      outcome: runOutcome(counts, run.endedEarly),
      counts: taskCounts(counts, run.dag.size),
      durationMs: at - (draft.runStartedAt ?? at),
    });
    run.done = true;
    this.snapshotOf(run);
    this.endedThisFlush.push(run);
    const index = this.active.indexOf(run);
    if (index >= 0) this.active.splice(index, 1);
    run.listener.complete();
  }

  /**
   * The run's state as an immutable snapshot, finishing its open draft. Drafts stay open across
   * flushes until somebody asks (a `state$` listener, the run's end): a flush nobody observes
   * then costs no immer `produce` and no copies beyond the first touch of each node.
   */
  private snapshotOf(run: RunRecord): RunState {
    if (run.draft !== undefined) {
      run.state = run.draft.finish();
      run.draft = undefined;
    }
    return run.state;
  }

  /** After a flush: publish a snapshot (if anyone listens) and stop the pipeline when idle. */
  private endFlush(): void {
    this.flushTime = undefined;
    this.snapshot.invalidate();
    this.endedThisFlush.length = 0;
    if (this.active.length === 0 && this.pipeline !== undefined) {
      const pipeline = this.pipeline;
      this.pipeline = undefined;
      pipeline.unsubscribe();
      if (this.disposeWhenIdle) this.pool.disposeAll();
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private computeSnapshot(): SchedulerSnapshot {
    return schedulerSnapshot([...this.endedThisFlush, ...this.active].map((run) => this.snapshotOf(run)));
  }

  /** A bug in the pipeline: fail every run loudly rather than hang. */
  private crash(error: unknown): void {
    const runs = this.active.splice(0);
    for (const run of runs) {
      run.done = true;
      for (const record of run.running) {
        record.lease.release();
        record.stop();
      }
      for (const timer of run.backoff.values()) timer.unsubscribe();
      run.listener.error(error);
    }
    this.runningCount = 0;
  }
}

/**
 * How event mode defers a burst of completions. On a real clock, a plain microtask: RxJS's
 * `asapScheduler` allocates an action and a handle per burst, which was a tenth of a chain's
 * run time. On a virtual clock (a `TestScheduler`, or any scheduler inside
 * `TestScheduler.run()`, whose `now()` is far from the wall clock), `asapScheduler`, which the
 * test scheduler moves into virtual time, so marble tests see each flush in its frame.
 */
function eventFlush(scheduler: SchedulerLike): 'asap' | 'microtask' {
  const realClock = Math.abs(scheduler.now() - Date.now()) < 60_000 && !(scheduler instanceof VirtualTimeScheduler);
  return realClock ? 'microtask' : 'asap';
}

function hasCapacity(entry: PoolEntry): boolean {
  return entry.hasCapacity;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A warning's output: the `output` an `AgentError` carried, when JSON-safe. */
function warningOutput(error: unknown): unknown {
  let output: unknown;
  try {
    output = typeof error === 'object' && error !== null ? (error as { output?: unknown }).output : undefined;
  } catch {
    return undefined; // a hostile getter: no output rather than a crash
  }
  if (output === undefined) return undefined;
  const checked = toJsonSafe(output);
  return checked.ok ? checked.value : undefined;
}
