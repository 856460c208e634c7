/**
 * The hot stream behind a run's notification streams (`run.events$`, `run.ready$`, …): made when
 * somebody first asks for them, it carries the events of every subscription of the run. A run
 * that ends with its `dag.completed` leaves the stream open: the run is cold, and a new
 * subscription runs its DAG again into the same stream. A run that stops without one (an
 * interrupting shutdown, a journal that failed) ends it once no other subscription of the run is
 * going on, so that a listener such as `collectMetrics` or `traceEvents` knows the attempts it saw
 * start will say no more (they count, and end, as interrupted); the next subscription of the run
 * then starts a new stream, which later listeners get. It neither runs nor decides anything.
 */
import { defer, type Observable } from 'rxjs';
import type { DagEvent } from '../events';
import { createEventBus, type EventBus } from '../signals';

/** One subscription of the run, as the stream sees it. */
export interface RunOnBus {
  /** Passes `event` on, when anyone listens (the hot path skips the work for nobody). */
  publish(event: DagEvent): void;
  /** The subscription's run ended (with or without its `dag.completed`); calls after the first do nothing. */
  ended(): void;
}

export class RunBus {
  private bus: EventBus | undefined;
  /** Subscriptions of the run that have started and not ended. */
  private running = 0;
  /** A run stopped without its `dag.completed` since the stream was made: it ends with the last run. */
  private stopped = false;
  /** What each listener subscribes to: the stream of the runs going on now, or of the next one. */
  readonly events$: Observable<DagEvent> = defer(() => (this.bus ??= createEventBus()).events$);

  /** A subscription of the run started. */
  started(): RunOnBus {
    this.running += 1;
    let completed = false;
    let ended = false;
    return {
      publish: (event) => {
        if (event.type === 'dag.completed') completed = true;
        if (this.bus?.observed) this.bus.publish(event);
      },
      ended: () => {
        if (ended) return;
        ended = true;
        this.running -= 1;
        this.stopped ||= !completed;
        if (this.running > 0 || !this.stopped) return;
        this.stopped = false;
        const bus = this.bus;
        this.bus = undefined;
        bus?.complete();
      },
    };
  }
}
