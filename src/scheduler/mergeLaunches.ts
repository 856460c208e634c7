import { Observable, type Observer, type OperatorFunction, type Subscriber, type Subscription } from 'rxjs';

/**
 * `mergeMap(project, concurrent)` built the same way, for the pipeline's attempts: each value is
 * projected to an Observable, subscribed at once while fewer than `concurrent` inner ones run,
 * else kept in arrival order until one ends; what the inner ones emit is passed on; it completes
 * once the source has completed and every inner one has; an error from the source or an inner
 * one is passed on and tears the rest down, as does an unsubscribe. It does not take promises or
 * arrays from `project` (the pipeline projects Observables only) nor pass it an index.
 * Why not `mergeMap`: RxJS keeps each running inner subscriber in the outer one's finalizer
 * array and splices it out when it ends, a cost in the number running: with 10,000 attempts in
 * flight most of an attempt's time went there. Here the running ones sit in a swap-removal list.
 */
export function mergeLaunches<T, R>(project: (value: T) => Observable<R>, concurrent: number): OperatorFunction<T, R> {
  return (source) => new Observable<R>((subscriber) => new Launches(project, concurrent, subscriber).subscribeTo(source));
}

/**
 * A running inner Observable, the observer of its subscription, and where it stands in the
 * list of running ones (`-1` once it ended). One object per inner Observable and no closures.
 */
class Running<T, R> implements Observer<R> {
  subscription: Subscription | undefined;
  constructor(
    public place: number,
    /** Its place in the order of starts: torn down in that order, as `mergeMap` tears its inner ones down. */
    readonly order: number,
    private readonly owner: Launches<T, R>,
  ) {}

  next(output: R): void {
    this.owner.emit(output);
  }

  error(error: unknown): void {
    this.owner.fail(error);
  }

  /** Let go of first, as `mergeMap` does: the inner Observable has released what it held before the next one starts. */
  complete(): void {
    this.subscription?.unsubscribe();
    this.owner.ended(this);
  }
}

/** The state of one subscription of {@link mergeLaunches}, as fields rather than closures. */
class Launches<T, R> {
  private readonly running: Running<T, R>[] = [];
  /** Values waiting for a free slot: `waiting[head]` is the oldest. */
  private waiting: T[] = [];
  private head = 0;
  private started = 0;
  private sourceDone = false;
  private source: Subscription | undefined;

  constructor(
    private readonly project: (value: T) => Observable<R>,
    private readonly concurrent: number,
    private readonly subscriber: Subscriber<R>,
  ) {}

  subscribeTo(source: Observable<T>): () => void {
    this.source = source.subscribe({
      next: (value) => this.arrived(value),
      error: (error: unknown) => this.subscriber.error(error),
      complete: () => {
        this.sourceDone = true;
        this.completeIfDone();
      },
    });
    return () => this.teardown();
  }

  private arrived(value: T): void {
    if (this.subscriber.closed) return;
    if (this.running.length < this.concurrent) this.start(value);
    else this.waiting.push(value);
  }

  private start(value: T): void {
    const inner = new Running(this.running.length, this.started++, this);
    this.running.push(inner);
    let observable: Observable<R>;
    try {
      observable = this.project(value);
    } catch (error) {
      this.subscriber.error(error);
      return;
    }
    const subscription = observable.subscribe(inner);
    // torn down while it subscribed (its subscriber unsubscribed from inside): nothing else will end it
    if (this.subscriber.closed) subscription.unsubscribe();
    else if (inner.place >= 0) inner.subscription = subscription;
  }

  emit(output: R): void {
    this.subscriber.next(output);
  }

  fail(error: unknown): void {
    this.subscriber.error(error);
  }

  /** An inner Observable completed and was torn down: its slot goes to the oldest waiting value. */
  ended(inner: Running<T, R>): void {
    if (inner.place < 0) return; // torn down already
    this.remove(inner);
    while (!this.subscriber.closed && this.head < this.waiting.length && this.running.length < this.concurrent) {
      this.start(this.takeWaiting());
    }
    this.completeIfDone();
  }

  /** Swap-removal: the last running one takes the place of the one that ended. */
  private remove(inner: Running<T, R>): void {
    const last = this.running.pop()!;
    if (last !== inner) {
      this.running[inner.place] = last;
      last.place = inner.place;
    }
    inner.place = -1;
  }

  private takeWaiting(): T {
    const value = this.waiting[this.head]!;
    this.head += 1;
    // the taken ones are dropped once they are most of the array: each value is moved once at most
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    return value;
  }

  private completeIfDone(): void {
    if (this.sourceDone && this.running.length === 0 && this.head === this.waiting.length) this.subscriber.complete();
  }

  private teardown(): void {
    this.source?.unsubscribe();
    const running = this.running.splice(0).sort((a, b) => a.order - b.order);
    for (const inner of running) {
      inner.place = -1;
      inner.subscription?.unsubscribe();
    }
    this.waiting = [];
    this.head = 0;
  }
}
