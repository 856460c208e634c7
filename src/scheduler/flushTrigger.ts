/**
 * What defers a flush of `coalesce`: the next microtask, RxJS's `asapScheduler` or another
 * scheduler (an action due now), or each emission of an Observable. A trigger only decides when to call `flush`; it does not know
 * what is waiting, so a flush it fires may find nothing to do.
 */

import { asapScheduler, isObservable, type Observable, type SchedulerLike, Subscription } from 'rxjs';

/** When deferred values are handed on; see `CoalesceConfig.flushOn`. */
export type FlushOn = 'asap' | 'microtask' | SchedulerLike | Observable<unknown>;

/** Calls a flush later, when asked ({@link FlushTrigger.request}) or at its own pace. */
export interface FlushTrigger {
  /** Starts listening: subscribes to an Observable trigger. Called once, after the source is subscribed. */
  start(): void;
  /** Asks for a flush soon; a flush already pending answers it. An Observable trigger ignores it. */
  request(): void;
  /** Drops a pending flush that can be dropped (asap), as its values were handed on already. */
  cancel(): void;
  /** Stops for good: no flush is called afterwards. */
  close(): void;
}

/** A trigger that calls `flush` as `flushOn` says. */
export function createFlushTrigger(flushOn: FlushOn, flush: () => void): FlushTrigger {
  if (flushOn === 'microtask') return new MicrotaskTrigger(flush);
  if (flushOn === 'asap') return new SchedulerTrigger(asapScheduler, flush);
  if (isObservable(flushOn)) return new ObservableTrigger(flushOn, flush);
  return new SchedulerTrigger(flushOn, flush);
}

/** A settled promise: its `then` queues a microtask. */
const RESOLVED = Promise.resolve();

/**
 * The next microtask, through the `then` of a settled promise (one per burst, with a callback
 * bound once): Node's `queueMicrotask` wraps each callback in an `AsyncResource`. Real time
 * only: a virtual clock does not see it.
 */
class MicrotaskTrigger implements FlushTrigger {
  private queued = false;
  private closed = false;
  private readonly fire = () => {
    this.queued = false;
    if (!this.closed) this.flush();
  };

  constructor(private readonly flush: () => void) {}

  start(): void {}

  request(): void {
    if (this.queued) return;
    this.queued = true;
    RESOLVED.then(this.fire);
  }

  /** A queued microtask cannot be dropped: it finds nothing to do. */
  cancel(): void {}

  close(): void {
    this.closed = true;
  }
}

/**
 * An action due now on a scheduler: RxJS's `asapScheduler` (which `TestScheduler.run` moves into
 * virtual time), or a virtual-time scheduler itself, whose `flush()` then runs it.
 */
class SchedulerTrigger implements FlushTrigger {
  private pending: Subscription | undefined;
  private readonly fire = () => {
    this.pending = undefined;
    this.flush();
  };

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly flush: () => void,
  ) {}

  start(): void {}

  request(): void {
    if (this.pending === undefined) this.pending = this.scheduler.schedule(this.fire);
  }

  cancel(): void {
    this.pending?.unsubscribe();
    this.pending = undefined;
  }

  close(): void {
    this.pending?.unsubscribe();
  }
}

/** Every emission of an Observable, such as an `interval` (polling); requests change nothing. */
class ObservableTrigger implements FlushTrigger {
  private readonly subscription = new Subscription();

  constructor(
    private readonly flushOn: Observable<unknown>,
    private readonly flush: () => void,
  ) {}

  /** Subscribes, unless closed already (then it subscribes and unsubscribes at once). */
  start(): void {
    this.subscription.add(this.flushOn.subscribe(this.flush));
  }

  request(): void {}

  cancel(): void {}

  close(): void {
    this.subscription.unsubscribe();
  }
}
