import { asapScheduler, Observable, type OperatorFunction, type Subscription } from 'rxjs';

/**
 * What defers a flush to the next microtask: the `then` of a settled promise. Node's
 * `queueMicrotask` wraps each callback in an `AsyncResource`, a bound function and an options
 * literal, once per burst.
 */
const RESOLVED = Promise.resolve();

/** How {@link coalesce} groups values into batches. */
export interface CoalesceConfig<T> {
  /**
   * When deferred values are handed on: `'microtask'` on the next microtask after the first
   * one arrives (event mode, real time), `'asap'` the same through RxJS's `asapScheduler`
   * (which `TestScheduler.run` moves into virtual time),
   * arrives (event mode), or at every emission of an Observable such as an `interval` (polling).
   */
  readonly flushOn: 'asap' | 'microtask' | Observable<unknown>;
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
 * nor wait for a timer.
 */
export function coalesce<T>(config: CoalesceConfig<T>): OperatorFunction<T, T[]> {
  return (source) =>
    new Observable<T[]>((subscriber) => {
      // Batches are arrays recycled through `spare`, not a fresh `[]` per flush: the arrays
      // outlive nothing, but while V8 marks the heap incrementally, every array stored into
      // this long-lived closure looks live; one such marking could make V8 "pretenure" the
      // literal site, and from then on every batch was born in the old generation, kept the
      // signals it held alive through each scavenge, and slowed a million-task run by ~60%.
      const spare: T[][] = [];
      const fresh = (): T[] => spare.pop() ?? [];
      const recycle = (batch: T[]) => {
        if (spare.length >= 4) return;
        // popping keeps the capacity and is inlined; `length = 0` is a runtime call
        while (batch.length > 0) batch.pop();
        spare.push(batch);
      };
      // values to hand on in the current flush, or in an immediate one
      let urgent: T[] = fresh();
      // values waiting for the next flush trigger
      let deferred: T[] = fresh();
      // true while a batch is handled downstream: arrivals then are re-entrant
      let flushing = false;
      // the pending microtask flush, in event mode
      let asapFlush: Subscription | undefined;
      // a microtask flush is queued (real time: no RxJS action to allocate per burst)
      let microtaskQueued = false;
      let closed = false;

      // A batch is only valid during the downstream `next` call: it is recycled afterwards.
      const run = (first: T[]) => {
        flushing = true;
        config.onFlushStart();
        try {
          let batch = first;
          for (;;) {
            if (batch.length > 0) subscriber.next(batch);
            recycle(batch);
            if (subscriber.closed) return;
            if (urgent.length > 0) {
              batch = urgent;
              urgent = fresh();
            } else if (config.joinFlush && deferred.length > 0) {
              batch = takeDeferred();
            } else {
              config.onDrained();
              if (subscriber.closed) return;
              if (urgent.length === 0 && !(config.joinFlush && deferred.length > 0)) break;
              batch = fresh();
            }
          }
        } finally {
          flushing = false;
        }
        config.onFlushEnd();
      };
      const takeDeferred = () => {
        asapFlush?.unsubscribe();
        asapFlush = undefined;
        const taken = deferred;
        deferred = fresh();
        return taken;
      };
      /** The deferred values, then the urgent ones, as one batch. */
      const takeAll = () => {
        const batch = takeDeferred();
        for (const value of urgent) batch.push(value);
        urgent.length = 0;
        return batch;
      };
      const flushDeferred = () => {
        asapFlush = undefined;
        if (!flushing && (deferred.length > 0 || urgent.length > 0)) run(takeAll());
      };

      const subscription = source.subscribe({
        next: (value) => {
          if (config.isUrgent(value)) {
            urgent.push(value);
            if (flushing) return;
            if (config.joinFlush && deferred.length > 0) {
              run(takeAll());
            } else {
              const batch = urgent;
              urgent = fresh();
              run(batch);
            }
          } else {
            deferred.push(value);
            if (flushing) return;
            if (config.flushOn === 'microtask') {
              if (!microtaskQueued) {
                microtaskQueued = true;
                RESOLVED.then(flushQueued);
              }
            } else if (asapFlush === undefined && config.flushOn === 'asap') {
              asapFlush = asapScheduler.schedule(flushDeferred);
            }
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      const flushQueued = () => {
        microtaskQueued = false;
        if (!closed) flushDeferred();
      };
      if (typeof config.flushOn !== 'string') subscription.add(config.flushOn.subscribe(flushDeferred));
      return () => {
        closed = true;
        subscription.unsubscribe();
        asapFlush?.unsubscribe();
        urgent.length = 0;
        deferred.length = 0;
      };
    });
}
