import type { Attempt } from './attempt';
import type { RunController } from './runController';

/**
 * What flows through the pipeline, one union discriminated on `kind`: ready tasks, a retry whose
 * backoff is over, an attempt's outcome (the {@link Attempt} itself), run control and health
 * ticks. Signals are the pipeline's private bookkeeping, never shown to users (they see events).
 * Per-task signals are class instances rather than literals, so V8 keeps them in the young
 * generation (benchmarks/README.md, "allocation-site pretenuring").
 */

/** Tasks of a run that just became ready, flowing back as one signal per burst; `first`: they go before every other (see `ReadyQueues.pushFirst`). */
export class ReadyTasks {
  readonly kind = 'unblocked' as const;
  constructor(
    readonly run: RunController,
    readonly tasks: readonly number[],
    readonly first = false,
  ) {}
}

/** A task's retry backoff is over: queue attempt `attempt`. */
export class RetryDue {
  readonly kind = 'retry' as const;
  constructor(
    readonly run: RunController,
    readonly task: number,
    readonly attempt: number,
  ) {}
}

/** Start or cancel a run, or say its journal made its last group durable (it may dispatch again). */
export interface RunControl {
  readonly kind: 'start' | 'cancel' | 'durable';
  readonly run: RunController;
}

/** A rate window that held back a ready task has room: dispatch again. */
export interface Wake {
  readonly kind: 'wake';
}

export const WAKE: Wake = Object.freeze({ kind: 'wake' });

/** A health-check tick. */
export interface HealthTick {
  readonly kind: 'health';
}

export const HEALTH_TICK: HealthTick = Object.freeze({ kind: 'health' });

export type ReadySignal = ReadyTasks | RetryDue;
export type Signal = ReadySignal | Attempt | RunControl | Wake | HealthTick;

/** Signals handed on at once rather than with the next flush: they start or end work. */
export function isUrgent(signal: Signal): boolean {
  return (
    signal.kind === 'start' ||
    signal.kind === 'cancel' ||
    signal.kind === 'unblocked' ||
    signal.kind === 'durable' ||
    signal.kind === 'wake'
  );
}
