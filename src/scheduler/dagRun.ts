import { Observable, type Subscriber, type TeardownLogic } from 'rxjs';
import type { Dag } from '../dag/defineDag';
import type { DagEvent } from '../events';
import { type NotificationStreams, notificationStreams } from './views';

/**
 * What a run is to its user: a cold Observable of its events (subscribing starts the run,
 * unsubscribing cancels it) with hot notification streams of its events while you listen.
 * `DagRun` (from `runDag`, `submit`) also carries its DAG; `RunEvents` (from `resumeRun`,
 * whose DAG is read from the journal when it starts) does not. They hold no run state.
 */

export class RunEvents extends Observable<DagEvent> implements NotificationStreams {
  /** Built on first use: most runs are never watched through them. */
  private streams: NotificationStreams | undefined;

  /** @internal made by the scheduler */
  constructor(
    subscribe: (subscriber: Subscriber<DagEvent>) => TeardownLogic,
    private readonly viewSource: () => Observable<DagEvent>,
  ) {
    super(subscribe);
  }

  get events$(): NotificationStreams['events$'] {
    return this.views().events$;
  }
  get ready$(): NotificationStreams['ready$'] {
    return this.views().ready$;
  }
  get completion$(): NotificationStreams['completion$'] {
    return this.views().completion$;
  }
  get error$(): NotificationStreams['error$'] {
    return this.views().error$;
  }
  get health$(): NotificationStreams['health$'] {
    return this.views().health$;
  }

  private views(): NotificationStreams {
    return (this.streams ??= notificationStreams(this.viewSource()));
  }
}

/** The events of a run of `dag` (see {@link RunEvents}). */
export class DagRun extends RunEvents {
  /** @internal made by the scheduler */
  constructor(
    readonly dag: Dag,
    subscribe: (subscriber: Subscriber<DagEvent>) => TeardownLogic,
    viewSource: () => Observable<DagEvent>,
  ) {
    super(subscribe, viewSource);
  }
}
