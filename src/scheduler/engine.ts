import type { Observable } from 'rxjs';
import { AgentPool } from '../agents/pool';
import type { Dag } from '../dag/defineDag';
import type { DagEvent } from '../events';
import { initialRunState } from '../state/runState';
import { createEventBus, createStateCell } from '../signals';
import { Dispatcher } from './dispatcher';
import { EventWriter, type RunListener } from './eventWriter';
import { FlushClock } from './flushClock';
import { HealthMonitor } from './healthMonitor';
import type { ResolvedRunOptions, ResolvedSchedulerOptions } from './options';
import { Pipeline } from './pipeline';
import type { Signal } from './pipelineSignals';
import { RunController, type RunHost } from './runController';
import { type SchedulerSnapshot, schedulerSnapshot } from './snapshot';

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
  /** Agent slots and instances, shared by every run. */
  private readonly pool: AgentPool;
  /** Runs started and not yet done, in start order (the dispatcher takes them in turn). */
  private readonly runs: RunController[] = [];
  /** Runs that ended in this flush (kept in the next snapshot once). */
  private readonly endedThisFlush: RunController[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private readonly pipeline: Pipeline;
  private readonly dispatcher: Dispatcher;
  private readonly health: HealthMonitor;
  private readonly host: RunHost;

  constructor(
    readonly options: ResolvedSchedulerOptions,
    /** Dispose agent instances whenever no run is going on (a private scheduler of one run). */
    private readonly disposeWhenIdle = false,
  ) {
    const { scheduler } = options;
    this.clock = new FlushClock(scheduler);
    this.pool = new AgentPool(scheduler);
    this.pipeline = new Pipeline(options, {
      handleBatch: (batch) => this.handleBatch(batch),
      dispatch: () => this.dispatch(),
      flushStarted: () => this.clock.invalidate(),
      flushEnded: () => this.endFlush(),
    });
    this.dispatcher = new Dispatcher(options.maxConcurrency, this.runs, (attempt) => this.pipeline.launch(attempt), this.clock);
    this.health = new HealthMonitor(scheduler, options.stuckAfterMs);
    this.host = {
      signalReady: (signal) => this.pipeline.signalReady(signal),
      schedule: (work, delayMs) => scheduler.schedule(work, delayMs),
      freeSlot: () => this.dispatcher.freeSlot(),
      settled: (run) => this.settled(run),
      kindOf: (definition) => this.pool.kindOf(definition),
    };
  }

  /** A new run; start it with {@link Engine.start}. */
  createRun(runId: string, dag: Dag, options: ResolvedRunOptions, listener: RunListener): RunController {
    const writer = new EventWriter(runId, initialRunState(dag, runId, options.failurePolicy), this.clock, listener, this.bus);
    return new RunController(runId, dag, options, listener, writer, this.host);
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
    this.pipeline.open();
    this.pipeline.signalControl({ kind: 'start', run });
  }

  cancel(run: RunController): void {
    if (run.requestCancel()) this.pipeline.signalControl({ kind: 'cancel', run });
  }

  /** Cancels every run; none of them starts anything from this call on. */
  cancelAll(): void {
    // all marked first: handling one cancel dispatches, and must not start the others' tasks
    const cancelling = this.runs.filter((run) => run.requestCancel());
    for (const run of cancelling) if (run.live) this.pipeline.signalControl({ kind: 'cancel', run });
  }

  /** Resolves when no run is going on (at once when none is). */
  whenIdle(): Promise<void> {
    if (this.runs.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Disposes every agent instance (scheduler shutdown). */
  disposeAgents(): void {
    this.pool.disposeAll();
  }

  /** Routes each signal to its run. */
  private handleBatch(batch: readonly Signal[]): void {
    try {
      this.route(batch);
    } catch (error) {
      this.crash(error);
    }
  }

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
          break;
        case 'cancel':
          signal.run.endEarly('cancelled');
          break;
        case 'unblocked':
          signal.run.queueReady(signal.tasks);
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
  }

  /** After a flush: publish a snapshot (if anyone listens) and stop the pipeline when idle. */
  private endFlush(): void {
    this.clock.invalidate();
    this.snapshot.invalidate();
    this.endedThisFlush.length = 0;
    if (this.runs.length === 0 && this.pipeline.isOpen) {
      this.pipeline.close();
      if (this.disposeWhenIdle) this.pool.disposeAll();
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private computeSnapshot(): SchedulerSnapshot {
    return schedulerSnapshot([...this.endedThisFlush, ...this.runs].map((run) => run.snapshot()));
  }

  /** A throw while routing or dispatching is a bug in the pipeline: every run fails loudly rather than hang. */
  private crash(error: unknown): void {
    for (const run of this.runs.splice(0)) run.crash(error);
    this.dispatcher.reset();
  }
}
