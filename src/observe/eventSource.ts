/**
 * The one check of the stream `traceEvents` and `collectMetrics` listen to: an Observable, and
 * not a run itself. A run (`runDag`, `submit`, `resumeRun`) is cold: each subscription starts its
 * DAG anew, so a tool subscribing to it would run every task once more; its `events$` is what
 * listens. It tells a run by the notification streams a run carries, not by its class, since an
 * integration sees the core only through its public exports (where runs are types only). Also
 * that one listener (a tracer, the metrics of a registry) does not listen to a stream twice.
 */
import type { Observable } from 'rxjs';
import type { DagEvent } from '../events';

/** Throws a TypeError naming the problem when `events$` cannot be listened to. */
export function checkEventSource(events$: Observable<DagEvent>): void {
  if (typeof events$?.subscribe !== 'function') throw new TypeError('`events$` must be an Observable of rxdag events');
  if ('events$' in events$ && 'completion$' in events$) {
    throw new TypeError(
      '`events$` is a run, which starts its DAG again on each subscription: pass `run.events$`, which listens to the run, and subscribe the run itself once to start it',
    );
  }
}

/** By listener, the streams it listens to now. */
const listening = new WeakMap<object, WeakSet<object>>();

/**
 * Notes that `listener` listens to `events$` until the returned function is called; throws a
 * TypeError saying `refusal` when it listens to it already (it would take every event twice).
 */
export function listenOnce(listener: object, events$: object, refusal: string): () => void {
  const streams = listening.get(listener) ?? new WeakSet<object>();
  if (streams.has(events$)) throw new TypeError(refusal);
  listening.set(listener, streams.add(events$));
  return () => streams.delete(events$);
}
