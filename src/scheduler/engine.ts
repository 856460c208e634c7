import type { AsyncResource } from 'node:async_hooks';
import type { Observable } from 'rxjs';
import { AgentPool } from '../agents/pool';
import type { Dag } from '../dag/defineDag';
import type { JournalWriter } from '../journal/journal';
import type { ReplayedRun } from '../journal/replay';
import type { DagEvent } from '../events';
import { initialRunState } from '../state/runState';
import { createEventBus, createStateCell } from '../signals';
import { Dispatcher } from './dispatcher';
import { EventWriter, type RunListener } from './eventWriter';
import { FlushClock } from './flushClock';
import { HealthMonitor } from './healthMonitor';
import type { ResolvedRunOptions, ResolvedSchedulerOptions } from './options';
import { Pipeline } from './pipeline';
import { type Signal, WAKE } from './pipelineSignals';
import { RunController } from './runController';
import type { RunHost } from './runHost';
import { RunJournal } from './runJournal';
import { describeLimit, Limit, type LimitSpec, sameLimit } from './limits';
import { quoted } from '../dag/text';
import { runIssues } from './runCheck';
import { type SchedulerSnapshot, schedulerSnapshot } from './snapshot';

/** What a durable run brings: its journal writer, and for a resumed run its replayed past. */
export interface DurableRun {
  readonly writer: JournalWriter;
  /** The journal's location, for messages. */
  readonly location: string;
  readonly resumed?: ReplayedRun;
  /** The named limits its journal holds: those the scheduler lacks are added. */
  readonly limits?: Readonly<Record<string, LimitSpec>>;
}

/**
 * The engine behind a scheduler: the composition root that wires the pipeline, the run
 * controllers, the dispatcher, the health monitor, the agent pool and the flush clock, and
 * routes each signal of a batch to the run it is about. It keeps the list of runs going on, the
 * scheduler's event bus and `state$`. Everything a run does is in `runController.ts`; how a task
 * is chosen and started, in `dispatcher.ts`; how events are stamped, in `eventWriter.ts`.
 */
export class Engine {
  private readonly bus = createEventBus();
  private readonly snapshot = createStateCell<SchedulerSnapshot>(() => this.computeSnapshot());
  private readonly clock: FlushClock;
  /** Named limits, shared by every run: the scheduler's own, and those resumed runs brought. */
  private readonly limits: Map<string, Limit>;
  /** The names of the limits each resumed run's journal holds (its header's). */
  private readonly broughtLimits = new WeakMap<RunController, readonly string[]>();
  private readonly declaredLimits: Readonly<Record<string, LimitSpec>>;
  /** Agent slots and instances, shared by every run. */
  private readonly pool: AgentPool;
  /** Runs started and not yet done, in start order (the dispatcher takes them in turn). */
  private readonly runs: RunController[] = [];
  /** Runs that ended in this flush (kept in the next snapshot once). */
  private readonly endedThisFlush: RunController[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  /** True while the pipeline hands a flush on (a journal failure then waits for its end). */
  private flushing = false;
  private readonly pipeline: Pipeline;
  private readonly dispatcher: Dispatcher;
  private readonly health: HealthMonitor;
  private readonly host: RunHost;
  /** A limit was paused: the runs the dispatcher passed over look again (see `RunTurns`). */
  private readonly limitPaused = () => this.dispatcher.turns.lookAgainAtAll();

  constructor(
    readonly options: ResolvedSchedulerOptions,
    /** Dispose agent instances whenever no run is going on (a private scheduler of one run). */
    private readonly disposeWhenIdle = false,
  ) {
    const { scheduler } = options;
    this.clock = new FlushClock(scheduler);
    this.pool = new AgentPool(scheduler, new Set(Object.values(options.agents)));
    this.pipeline = new Pipeline(options, {
      handleBatch: (batch) => this.handleBatch(batch),
      dispatch: () => this.dispatch(),
      flushStarted: () => {
        this.flushing = true;
        this.clock.invalidate();
      },
      flushEnded: () => this.endFlush(),
    });
    this.dispatcher = new Dispatcher(
      options.maxConcurrency,
      this.runs,
      (attempt) => this.pipeline.launch(attempt),
      this.clock,
      scheduler,
      () => this.pipeline.signalControl(WAKE),
    );
    this.declaredLimits = options.limits;
    this.limits = new Map(Object.entries(options.limits).map(([name, spec]) => [name, new Limit(name, spec, this.limitPaused)]));
    this.health = new HealthMonitor(this.clock, options.stuckAfterMs);
    this.host = {
      signalReady: (signal) => this.pipeline.signalReady(signal),
      schedule: (work, delayMs) => scheduler.schedule(work, delayMs),
      now: () => scheduler.now(),
      maxConcurrency: options.maxConcurrency,
      freeSlot: (units) => this.dispatcher.freeSlot(units),
      lookAgain: (run) => this.dispatcher.turns.lookAgain(run),
      settled: (run) => this.settled(run),
      useKind: (definition) => this.pool.use(definition),
      limit: (name) => this.limits.get(name)!,
      checkSpawned: (run, dag, fromTask) =>
        runIssues(
          dag,
          { agents: run.options.agents, limits: this.limitSpecsOf(run), maxConcurrency: options.maxConcurrency },
          {
            fromTask,
            // a spawned task's fields are its own spec's: its problems are said at the spawn
            takesDefault: () => false,
            notTheRuns: (name) =>
              this.broughtLimits.has(run) && this.limits.has(name) ? "which this resumed run's journal does not hold" : undefined,
          },
        ),
    };
  }

  /**
   * A new run; start it with {@link Engine.start}. A durable run has a journal writer, and a
   * resumed one what it was doing when its process died.
   */
  createRun(
    runId: string,
    dag: Dag,
    options: ResolvedRunOptions,
    listener: RunListener,
    scope: AsyncResource,
    durable?: DurableRun,
  ): RunController {
    let run: RunController | undefined;
    const journal =
      durable === undefined
        ? undefined
        : new RunJournal(
            runId,
            durable.location,
            durable.writer,
            () => this.pipeline.signalControl({ kind: 'durable', run: run! }),
            (error) => this.failRun(run!, error),
          );
    for (const [name, spec] of Object.entries(durable?.limits ?? {})) {
      const installed = this.limits.get(name);
      // another spec than an earlier resumed run's, which no run uses now (see `limitsForResume`)
      if (installed === undefined || (!Object.hasOwn(this.declaredLimits, name) && !sameLimit(installed.spec, spec)))
        this.limits.set(name, new Limit(name, spec, this.limitPaused));
    }
    const initial = durable?.resumed?.state ?? initialRunState(dag, runId, options.failurePolicy);
    const writer = new EventWriter(runId, initial, this.clock, listener, this.bus, journal);
    run = new RunController(runId, durable?.resumed?.dag ?? dag, options, listener, writer, this.host, scope, journal, durable?.resumed);
    if (durable?.limits !== undefined) this.broughtLimits.set(run, Object.keys(durable.limits));
    return run;
  }

  /**
   * The limits a resumed run goes on with: those its journal holds, or the scheduler's own of
   * the same name (which win). A limit is shared by name: one that an earlier resumed run brought
   * with another spec, and that a run going on uses, would hold this run too: refused, naming
   * both (a `TypeError`, as for a bad option). One no run uses is replaced.
   */
  limitsForResume(runId: string, journaled: Readonly<Record<string, LimitSpec>>): Record<string, LimitSpec> {
    const limits: Record<string, LimitSpec> = { ...journaled, ...this.declaredLimits };
    for (const [name, spec] of Object.entries(journaled)) {
      const installed = this.limits.get(name);
      if (installed === undefined || Object.hasOwn(this.declaredLimits, name) || sameLimit(installed.spec, spec)) continue;
      if (!this.runs.some((run) => run.classes.some((cls) => cls.limits.includes(installed)))) continue;
      throw new TypeError(
        `rxdag: resume of run ${quoted(runId)}: its journal holds limit ${quoted(name)} as ${describeLimit(spec)}, and this scheduler has it as ${describeLimit(installed.spec)}, from a run going on; ` +
          `declare \`limits.${name}\` in the scheduler's options to choose it for every run`,
      );
    }
    return limits;
  }

  /** Every event of every run. */
  get events$(): Observable<DagEvent> {
    return this.bus.events$;
  }
  get state$(): Observable<SchedulerSnapshot> {
    return this.snapshot.state$;
  }
  get activeRuns(): readonly RunController[] {
    return this.runs;
  }

  start(run: RunController): void {
    this.runs.push(run);
    this.dispatcher.turns.add(run);
    this.pipeline.open();
    this.pipeline.signalControl({ kind: 'start', run });
  }

  cancel(run: RunController): void {
    if (run.requestCancel()) this.pipeline.signalControl({ kind: 'cancel', run });
  }

  /**
   * Starts a run already cancelled (its subscriber left while its journal was answering): it
   * writes its start and its cancel in one flush, so no agent is called and its record ends.
   * With `interruption` (an interrupting shutdown came meanwhile) it is left to be resumed
   * instead, as {@link Engine.cancelAll} leaves the others.
   */
  startCancelled(run: RunController, interruption?: Error): void {
    run.requestCancel(interruption);
    this.start(run);
  }

  /**
   * Cancels every run; none of them starts anything from this call on. With `interruption` the
   * runs stop to be resumed instead: their running attempts' signals fire with its error (a
   * `TaskCancelledError` without it), and the end they are brought to is not theirs, so its
   * events go to no subscriber (see `RunController.requestCancel`).
   */
  cancelAll(interruption?: (runId: string) => Error): void {
    // all marked first: handling one cancel dispatches, and must not start the others' tasks
    const cancelling = this.runs.filter((run) => run.requestCancel(interruption?.(run.runId)));
    for (const run of cancelling) if (run.live) this.pipeline.signalControl({ kind: 'cancel', run });
  }

  /** Resolves when no run is going on (at once when none is). */
  whenIdle(): Promise<void> {
    if (this.runs.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Disposes every agent instance (scheduler shutdown); resolves when each `dispose` settled
   * (see {@link AgentPool.disposeAll} for instances whose `create` is pending).
   */
  disposeAgents(pendingCreates: 'wait' | 'skip'): Promise<void> {
    return this.pool.disposeAll(pendingCreates);
  }

  /** Completes `events$` and `state$`: the scheduler has shut down, and no run is going on. */
  completeStreams(): void {
    this.bus.complete();
    this.snapshot.complete();
  }

  /** Routes each signal to its run. */
  private handleBatch(batch: readonly Signal[]): void {
    try {
      this.route(batch);
    } catch (error) {
      this.crash(error);
    }
  }

  /** Fills free slots (a durable run's journal commits first what released a task: see `RunJournal`). */
  private dispatch(): void {
    try {
      this.dispatcher.fill();
    } catch (error) {
      this.crash(error);
    }
  }

  private route(batch: readonly Signal[]): void {
    for (const signal of batch) {
      switch (signal.kind) {
        case 'start':
          signal.run.start();
          if (signal.run.phase === 'cancelling') signal.run.endEarly('cancelled'); // see startCancelled
          break;
        case 'cancel':
          signal.run.endEarly('cancelled');
          break;
        case 'durable':
        case 'wake':
          break; // the flush it starts dispatches

        case 'unblocked':
          signal.run.queueReady(signal.tasks, signal.first);
          break;
        case 'retry':
          signal.run.retry(signal.task, signal.attempt);
          break;
        case 'outcome':
          signal.run.handleOutcome(signal, signal.outcome!);
          break;
        case 'health':
          this.health.check(this.runs);
          break;
      }
    }
  }

  private settled(run: RunController): void {
    this.endedThisFlush.push(run);
    const index = this.runs.indexOf(run);
    if (index >= 0) this.runs.splice(index, 1);
    this.dispatcher.runRemoved(run, index);
    this.releaseAgents(run);
  }

  /** A run ended, or failed: agents it brought that no other run uses are let go (see `AgentPool`). */
  private releaseAgents(run: RunController): void {
    for (const definition of run.agentsUsed) this.pool.release(definition);
  }

  /** After a flush: journal what it wrote, publish a snapshot (if anyone listens), stop when idle. */
  private endFlush(): void {
    this.flushing = false;
    for (const run of this.runs) run.journal?.commit(false);
    this.clock.invalidate();
    this.snapshot.invalidate();
    if (this.endedThisFlush.length > 0) {
      // the snapshot just pushed showed how they ended; a listener who comes later is not shown them again
      this.endedThisFlush.length = 0;
      this.snapshot.expire();
    }
    this.closeIfIdle();
  }

  /**
   * The specs of the limits `run` knows, those its journal holds: the scheduler's for a run it
   * started, those of the run's header for a resumed one (not those other runs brought, nor those
   * its scheduler declares and its journal lacks: a later resume would not know them).
   */
  private limitSpecsOf(run: RunController): Record<string, LimitSpec> {
    const names = this.broughtLimits.get(run) ?? Object.keys(this.declaredLimits);
    return Object.fromEntries(names.map((name) => [name, this.limits.get(name)!.spec]));
  }

  /** A run's journal failed: the run stops (its agents aborted) and errors with why. */
  private failRun(run: RunController, error: Error): void {
    if (run.phase === 'done') return; // its completion reports the failure
    const index = this.runs.indexOf(run);
    if (index >= 0) this.runs.splice(index, 1);
    this.dispatcher.runRemoved(run, index);
    for (const attempt of run.running.items) this.dispatcher.freeSlot(attempt.units);
    run.crash(error);
    this.releaseAgents(run);
    if (this.flushing) return;
    // heard outside a flush (its journal's promise): the slots and limits it gave back are for the other runs now
    if (this.runs.length > 0) this.pipeline.signalControl(WAKE);
    else this.closeIfIdle();
  }

  private closeIfIdle(): void {
    if (this.runs.length === 0 && this.pipeline.isOpen) {
      this.pipeline.close();
      this.dispatcher.reset();
      if (this.disposeWhenIdle) void this.pool.disposeAll();
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private computeSnapshot(): SchedulerSnapshot {
    return schedulerSnapshot([...this.endedThisFlush, ...this.runs].map((run) => run.snapshot()));
  }

  /** A throw while routing or dispatching is a bug in the pipeline: every run fails loudly rather than hang. */
  private crash(error: unknown): void {
    for (const run of this.runs.splice(0)) {
      run.crash(error);
      this.releaseAgents(run);
    }
    this.dispatcher.reset();
  }
}
