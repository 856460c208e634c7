/**
 * The queues of `coalesce` and the loop that empties them. A flush hands on its first batch,
 * then the urgent values pushed meanwhile (re-entrantly, from downstream), then, if deferred
 * values join the flush, those; when nothing is left it calls `onDrained`, and goes on if that
 * pushed more. Pushes during a flush are queued, never handed on recursively, so synchronous
 * feedback loops neither recurse nor wait for a timer.
 *
 * It does not decide which values are urgent, nor when deferred values are due (the
 * {@link FlushTrigger} calls {@link Trampoline.flushDeferred}), nor subscribe to anything.
 */

import type { Subscriber } from 'rxjs';
import { BatchPool } from './batchPool';
import type { FlushTrigger } from './flushTrigger';

/** The parts of `CoalesceConfig` a flush reads; their meaning is documented there. */
export interface FlushHooks {
  readonly joinFlush: boolean;
  readonly onDrained: () => void;
  readonly onFlushStart: () => void;
  readonly onFlushEnd: () => void;
}

/**
 * Holds values until they are handed on to `out` as batches. A batch is only valid during the
 * `out.next` call: it is recycled afterwards.
 */
export class Trampoline<T> {
  private readonly pool = new BatchPool<T>();
  /** Values to hand on in the current flush, or in an immediate one. */
  private urgent: T[] = this.pool.take();
  /** Values waiting for the trigger (or, with `joinFlush`, the current flush). */
  private deferred: T[] = this.pool.take();
  /** True while a batch is handed on: arrivals then are re-entrant. */
  private flushing = false;

  constructor(
    private readonly out: Subscriber<T[]>,
    private readonly hooks: FlushHooks,
    private readonly trigger: FlushTrigger,
  ) {}

  /** Hands `value` on at once, with the waiting deferred values if they join; queued during a flush. */
  pushUrgent(value: T): void {
    this.urgent.push(value);
    if (this.flushing) return;
    if (this.hooks.joinFlush && this.deferred.length > 0) {
      this.run(this.takeAll());
    } else {
      const batch = this.urgent;
      this.urgent = this.pool.take();
      this.run(batch);
    }
  }

  /** Keeps `value` for the next flush, asking the trigger for one unless a flush is running. */
  pushDeferred(value: T): void {
    this.deferred.push(value);
    if (!this.flushing) this.trigger.request();
  }

  /** What the trigger calls: hands on everything waiting, unless a flush is running. */
  flushDeferred(): void {
    if (!this.flushing && (this.deferred.length > 0 || this.urgent.length > 0)) this.run(this.takeAll());
  }

  /** Drops every waiting value (on unsubscribe). */
  clear(): void {
    this.urgent.length = 0;
    this.deferred.length = 0;
  }

  /** One flush: `first`, then what arrives meanwhile, until `onDrained` adds nothing. */
  private run(first: T[]): void {
    const { out, hooks } = this;
    this.flushing = true;
    hooks.onFlushStart();
    try {
      let batch = first;
      for (;;) {
        if (batch.length > 0) out.next(batch);
        this.pool.give(batch);
        if (out.closed) return;
        if (this.urgent.length > 0) {
          batch = this.urgent;
          this.urgent = this.pool.take();
        } else if (hooks.joinFlush && this.deferred.length > 0) {
          batch = this.takeDeferred();
        } else {
          hooks.onDrained();
          if (out.closed) return;
          if (this.urgent.length === 0 && !(hooks.joinFlush && this.deferred.length > 0)) break;
          batch = this.pool.take();
        }
      }
    } finally {
      this.flushing = false;
    }
    hooks.onFlushEnd();
  }

  private takeDeferred(): T[] {
    this.trigger.cancel();
    const taken = this.deferred;
    this.deferred = this.pool.take();
    return taken;
  }

  /** The deferred values, then the urgent ones, as one batch. */
  private takeAll(): T[] {
    const batch = this.takeDeferred();
    for (const value of this.urgent) batch.push(value);
    this.urgent.length = 0;
    return batch;
  }
}
