import { EMPTY, map, merge, type Observable, type SchedulerLike, Subscription, takeWhile } from 'rxjs';
import { keepsVirtualTime, onWallClock } from '../virtualTime';
import { runAttempt } from '../agents/runAttempt';
import { createPipelineSignals } from '../signals';
import type { Attempt } from './attempt';
import { coalesce } from './coalesce';
import type { FlushOn } from './flushTrigger';
import { mergeLaunches } from './mergeLaunches';
import { onlyTicksPending, ticks } from './ticks';
import type { ResolvedSchedulerOptions } from './options';
import { HEALTH_TICK, isUrgent, type ReadySignal, type RunControl, type Signal, type Wake } from './pipelineSignals';

/**
 * The pipeline: the signal Subjects merged into one stream, coalesced into batches (a burst of
 * completions is handled in one step), each batch handed to the engine; attempts launched
 * through `mergeLaunches` (`mergeMap` built the same way) with the concurrency limit, their outcomes flowing back as signals. In
 * event mode a burst is handled on the next microtask; in polling mode at each tick of an interval (`ticks`).
 * Health checks tick on an interval too, which in virtual time stops when nothing else is left.
 * It holds no run state and decides nothing: what a signal means is the engine's and the run
 * controllers' business. Subscribed while runs go on, torn down when the last one ends.
 */

/** What the pipeline calls as it runs. */
export interface PipelineHandlers {
  /** One batch of signals, in arrival order. */
  handleBatch(batch: readonly Signal[]): void;
  /** The flush has nothing left to hand on: fill free slots (what this pushes continues the flush). */
  dispatch(): void;
  flushStarted(): void;
  flushEnded(): void;
}

type PipelineOptions = Pick<
  ResolvedSchedulerOptions,
  'maxConcurrency' | 'healthCheckIntervalMs' | 'stuckAfterMs' | 'mode' | 'pollIntervalMs' | 'scheduler'
>;

export class Pipeline {
  private readonly signals = createPipelineSignals<ReadySignal, Attempt, Attempt, RunControl | Wake, Attempt>();
  /** The live subscription, while runs go on. */
  private subscription: Subscription | undefined;
  /** Health ticks stopped while the pipeline is open: nothing but ticks was left in virtual time (`startHealthTicks`). */
  private healthIdle = false;
  /** Since when (virtual time) nothing but ticks was left; reset by every run signal and attempt. */
  private idleSince: number | undefined;

  constructor(
    private readonly options: PipelineOptions,
    private readonly handlers: PipelineHandlers,
  ) {}

  get isOpen(): boolean {
    return this.subscription !== undefined;
  }

  /** Subscribes the pipeline, if it is not already. */
  open(): void {
    if (this.subscription !== undefined) return;
    const { maxConcurrency, healthCheckIntervalMs, mode, pollIntervalMs, scheduler } = this.options;
    const { ready, completion, error, health, control, launch } = this.signals;
    const handlers = this.handlers;
    const subscription = new Subscription();
    this.subscription = subscription;
    subscription.add(
      launch
        .pipe(mergeLaunches((attempt: Attempt) => runAttempt(attempt, scheduler), maxConcurrency))
        .subscribe((attempt) => (attempt.outcome!.ok ? completion : error).next(attempt)),
    );
    this.healthIdle = false;
    this.startHealthTicks();
    const input$: Observable<Signal> = merge(
      control,
      ready,
      completion,
      error,
      healthCheckIntervalMs > 0 ? health.pipe(map(() => HEALTH_TICK)) : EMPTY,
    );
    subscription.add(
      input$
        .pipe(
          coalesce<Signal>({
            flushOn: mode === 'event' ? eventFlush(scheduler) : ticks(pollIntervalMs, scheduler),
            isUrgent,
            joinFlush: mode === 'event',
            onDrained: () => handlers.dispatch(),
            onFlushStart: () => handlers.flushStarted(),
            onFlushEnd: () => handlers.flushEnded(),
          }),
        )
        .subscribe((batch) => handlers.handleBatch(batch)),
    );
  }

  /**
   * Health ticks, every `healthCheckIntervalMs`. On a virtual-time scheduler they stop once
   * nothing but them has been left to run for longer than an attempt takes to be reported stuck:
   * nothing can happen any more inside that flush (a promise settles only after it), so ticking
   * on would keep `flush()` (and `TestScheduler.run`) from ever returning. They start again with
   * the pipeline's next run or attempt.
   */
  private startHealthTicks(): void {
    const { healthCheckIntervalMs, stuckAfterMs, scheduler } = this.options;
    const subscription = this.subscription;
    if (healthCheckIntervalMs <= 0 || subscription === undefined) return;
    const ticks$ = ticks(healthCheckIntervalMs, scheduler);
    const health = this.signals.health;
    if (!keepsVirtualTime(scheduler)) {
      subscription.add(ticks$.subscribe(health));
      return;
    }
    const lastIdleTick = stuckAfterMs + healthCheckIntervalMs;
    this.idleSince = undefined;
    const untilIdle = ticks$.pipe(
      takeWhile(() => {
        if (!onlyTicksPending(scheduler)) this.idleSince = undefined;
        else this.idleSince ??= scheduler.now();
        return this.idleSince === undefined || scheduler.now() - this.idleSince <= lastIdleTick;
      }),
    );
    subscription.add(untilIdle.subscribe({ next: (tick) => health.next(tick), complete: () => (this.healthIdle = true) }));
  }

  /** Tears the pipeline down: timers, running attempts' subscriptions, pending flushes. */
  close(): void {
    const subscription = this.subscription;
    this.subscription = undefined;
    subscription?.unsubscribe();
  }

  /** Ready tasks, or a retry whose backoff is over. */
  signalReady(signal: ReadySignal): void {
    this.signals.ready.next(signal);
  }

  /** Start or cancel a run; a run's journal is durable; a rate window has room. */
  signalControl(signal: RunControl | Wake): void {
    this.idleSince = undefined;
    if (this.healthIdle) this.wakeHealthTicks();
    this.signals.control.next(signal);
  }

  /** Hands an attempt to `mergeMap`, which calls its agent now (a slot is free: the dispatcher checked). */
  launch(attempt: Attempt): void {
    this.idleSince = undefined;
    if (this.healthIdle) this.wakeHealthTicks();
    this.signals.launch.next(attempt);
  }

  private wakeHealthTicks(): void {
    this.healthIdle = false;
    this.startHealthTicks();
  }
}

/**
 * How event mode defers a burst. On a real clock, a microtask (cheapest). On a virtual-time
 * scheduler (a `TestScheduler`, in `run()` or driven by `flush()`), an action due now on that
 * scheduler, so its flush runs the whole run and marble tests see each burst in its frame. On
 * another scheduler inside `TestScheduler.run()` (whose `now()` is far from the wall clock),
 * RxJS's `asapScheduler`, which the test scheduler moves into virtual time.
 */
function eventFlush(scheduler: SchedulerLike): FlushOn {
  if (keepsVirtualTime(scheduler)) return scheduler;
  return onWallClock(scheduler) ? 'microtask' : 'asap';
}
