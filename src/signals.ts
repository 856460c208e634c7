import { BehaviorSubject, defer, type Observable, of, Subject } from 'rxjs';
import type { DagEvent } from './events';

/**
 * The only module that creates Subjects. Everything else receives Observables, or the
 * `next` side through the bundles below, so who can push into the pipeline stays visible.
 * It knows nothing of what flows through them or when.
 */

/**
 * The notification primitives of the scheduler pipeline, one Subject each, generic over what a
 * run, an attempt and a control message are (the pipeline defines them).
 */
export interface PipelineSignals<Ready, Completion, Failure, Control, Launch> {
  /** A task became ready: its dependencies finished, or its retry backoff is over. */
  readonly ready: Subject<Ready>;
  /** An attempt succeeded. */
  readonly completion: Subject<Completion>;
  /** An attempt failed, threw, errored or timed out. */
  readonly error: Subject<Failure>;
  /** A health-check tick. */
  readonly health: Subject<number>;
  /** Run control: start and cancel. */
  readonly control: Subject<Control>;
  /** Attempts the pipeline can start now, fed to `mergeMap`. */
  readonly launch: Subject<Launch>;
}

export function createPipelineSignals<Ready, Completion, Failure, Control, Launch>(): PipelineSignals<
  Ready,
  Completion,
  Failure,
  Control,
  Launch
> {
  return {
    ready: new Subject<Ready>(),
    completion: new Subject<Completion>(),
    error: new Subject<Failure>(),
    health: new Subject<number>(),
    control: new Subject<Control>(),
    launch: new Subject<Launch>(),
  };
}

/** A hot stream of events with a push side kept private by its owner. */
export interface EventBus {
  readonly events$: Observable<DagEvent>;
  publish(event: DagEvent): void;
  /** Ends the stream: its listeners complete, and so does anyone who subscribes later. */
  complete(): void;
  /** Whether anyone listens: lets the hot path skip work for nobody. */
  readonly observed: boolean;
}

export function createEventBus(): EventBus {
  const subject = new Subject<DagEvent>();
  return {
    events$: subject.asObservable(),
    publish: (event) => subject.next(event),
    complete: () => subject.complete(),
    get observed() {
      return subject.observed;
    },
  };
}

/**
 * A current value and its changes, with the push side kept private by its owner. The value is
 * computed by `compute` only when somebody listens: after `invalidate()` a listener gets a fresh
 * value at once, and nobody pays for snapshots nobody reads.
 */
export interface StateCell<T> {
  readonly state$: Observable<T>;
  /** The value changed: recompute and push it now if anyone listens, else on the next subscription. */
  invalidate(): void;
  /** The value held is out of date, but worth no push: the next subscriber gets it afresh (and current listeners with it). */
  expire(): void;
  /** No more changes: listeners get the last value (if it changed) and complete; later ones get it and complete. */
  complete(): void;
}

export function createStateCell<T>(compute: () => T): StateCell<T> {
  let subject: BehaviorSubject<T> | undefined;
  let stale = true;
  const current = () => {
    if (subject === undefined) subject = new BehaviorSubject<T>(compute());
    else if (stale) subject.next(compute());
    stale = false;
    return subject;
  };
  let completed = false;
  return {
    state$: defer(() => (completed ? of(compute()) : current())),
    invalidate: () => {
      stale = true;
      if (subject?.observed) current();
    },
    expire: () => {
      stale = true;
    },
    complete: () => {
      if (completed) return;
      completed = true;
      if (subject?.observed) current();
      subject?.complete();
    },
  };
}
