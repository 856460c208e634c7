/**
 * The `coalesce` operator: groups a burst of values into batches so the pipeline reduces them
 * in one step. This file only wires the parts: the {@link Trampoline} holds the values and runs
 * each flush, a {@link FlushTrigger} says when deferred values are due, the source feeds them.
 */

import { Observable, type OperatorFunction } from 'rxjs';
import { createFlushTrigger, type FlushOn, type FlushTrigger } from './flushTrigger';
import { Trampoline } from './trampoline';

/** How {@link coalesce} groups values into batches. */
export interface CoalesceConfig<T> {
  /**
   * When deferred values are handed on: `'microtask'` on the next microtask after the first
   * one arrives (event mode, real time), `'asap'` the same through RxJS's `asapScheduler`
   * (event mode; `TestScheduler.run` moves it into virtual time), or at every emission of an
   * Observable such as an `interval` (polling).
   */
  readonly flushOn: FlushOn;
  /** Urgent values are handed on at once, without waiting for `flushOn`. */
  readonly isUrgent: (value: T) => boolean;
  /**
   * Whether deferred values that arrive while a batch is being handled join the same flush
   * (event mode: a synchronous agent's completion is handled right away) or wait for the next
   * `flushOn` (polling mode: completions are noticed at the next poll).
   */
  readonly joinFlush: boolean;
  /**
   * Called when the flush has nothing left to hand on; values it pushes (re-entrantly) continue
   * the same flush. The pipeline dispatches here, once every ready task of the burst is queued.
   */
  readonly onDrained: () => void;
  /** Called when a flush starts, before its first batch. */
  readonly onFlushStart: () => void;
  /** Called after a flush has handed on everything it will. */
  readonly onFlushEnd: () => void;
}

/**
 * Groups a burst of values into arrays so the pipeline reduces them in one step. Values pushed
 * while a batch is handled downstream (re-entrantly) are queued and handed on in the same
 * flush once the handler returns: a trampoline, so synchronous feedback loops neither recurse
 * nor wait for a timer. A batch is only valid during the downstream `next` call: it is
 * recycled afterwards.
 */
export function coalesce<T>(config: CoalesceConfig<T>): OperatorFunction<T, T[]> {
  return (source) =>
    new Observable<T[]>((subscriber) => {
      const trigger: FlushTrigger = createFlushTrigger(config.flushOn, () => trampoline.flushDeferred());
      const trampoline = new Trampoline<T>(subscriber, config, trigger);
      const subscription = source.subscribe({
        next: (value) => {
          if (config.isUrgent(value)) trampoline.pushUrgent(value);
          else trampoline.pushDeferred(value);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      trigger.start();
      return () => {
        subscription.unsubscribe();
        trigger.close();
        trampoline.clear();
      };
    });
}
