import { Observable } from 'rxjs';
import { type Dag, defineDag } from '../dag/defineDag';
import { DagValidationError, quoted } from '../dag/errors';
import { unknownAgentIssues } from '../dag/unknownAgents';
import type { DagSpec } from '../dag/schema';
import type { DagEvent } from '../events';
import { createEventBus, type EventBus } from '../signals';
import { Engine } from './engine';
import type { SchedulerSnapshot } from './snapshot';
import {
  type ResolvedSchedulerOptions,
  resolveRunOptions,
  resolveSchedulerOptions,
  type RunOptions,
  type SchedulerOptions,
} from './options';
import { type NotificationStreams, notificationStreams } from './views';

/**
 * The scheduler's public face: `createScheduler` (many runs sharing one engine) and `DagRun`,
 * the cold Observable a run is. It validates a submitted DAG and its options, gives the run an
 * id, and hands it to the engine; it does not run anything itself.
 */

/**
 * The events of a DAG run: a cold Observable (subscribing starts a run, unsubscribing cancels
 * it), with hot notification streams that show the events of its runs while you listen.
 */
export class DagRun extends Observable<DagEvent> implements NotificationStreams {
  /** Built on first use: most runs are never watched through them. */
  private streams: NotificationStreams | undefined;

  /** @internal use `runDag` or `scheduler.submit` */
  constructor(
    readonly dag: Dag,
    subscribe: ConstructorParameters<typeof Observable<DagEvent>>[0],
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

/** A long-lived scheduler: many runs at once sharing one concurrency limit. */
export interface Scheduler extends NotificationStreams {
  /** Snapshots after every change: each run's state and the totals over all runs. */
  readonly state$: Observable<SchedulerSnapshot>;
  /** True after `shutdown()`: `submit` then refuses new runs. */
  readonly closed: boolean;
  /**
   * A run of `dag` on this scheduler (cold: it starts on subscribe; unsubscribing cancels only
   * this run). Throws `DagValidationError` when a task names an agent the run does not have,
   * and `TypeError` for bad options.
   */
  submit(dag: Dag | DagSpec, options?: RunOptions): DagRun;
  /**
   * Refuses new runs and resolves when the runs going on have ended. With `force: true` they
   * are cancelled first: running agents are aborted, every unfinished task ends `task.cancelled`.
   */
  shutdown(options?: { readonly force?: boolean }): Promise<void>;
}

let runCounter = 0;

function newRunId(dag: Dag): string {
  runCounter++;
  return `${dag.id}-${runCounter.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * Creates a long-lived scheduler. Runs submitted to it share `maxConcurrency`, taking turns so
 * that none starves; its `events$` and notification streams carry every run's events.
 *
 * @example
 * const scheduler = createScheduler({ agents: { llm }, maxConcurrency: 4 });
 * scheduler.events$.subscribe(log);
 * scheduler.submit(dagA).subscribe();
 * scheduler.submit(dagB).subscribe();
 * await scheduler.shutdown();
 */
export function createScheduler(options?: SchedulerOptions): Scheduler {
  return schedulerWith(resolveSchedulerOptions(options), false);
}

/**
 * The scheduler behind `createScheduler` and `runDag`. A private one (`runDag`'s) disposes agent
 * instances as soon as no run is going on, since nothing else will reuse them.
 * @internal
 */
export function schedulerWith(resolved: ResolvedSchedulerOptions, isPrivate: boolean): Scheduler {
  const engine = new Engine(resolved, isPrivate);
  let closed = false;

  const submit = (dagOrSpec: Dag | DagSpec, runOptions?: RunOptions): DagRun => {
    const dag = defineDag(dagOrSpec);
    const runResolved = runOptions === undefined ? resolved : resolveRunOptions(runOptions, resolved);
    const problems = unknownAgentIssues(dag, (name) => runResolved.agents[name] !== undefined, Object.keys(runResolved.agents));
    if (problems.length > 0) throw new DagValidationError(problems, dag.id);
    let runBus: EventBus | undefined; // made when somebody asks for the run's views
    return new DagRun(
      dag,
      (subscriber) => {
        if (closed) {
          subscriber.error(new Error(`rxdag: scheduler is shut down; run of DAG ${quoted(dag.id)} refused`));
          return;
        }
        const runId = runResolved.runId ?? newRunId(dag);
        if (engine.activeRuns.some((active) => active.runId === runId)) {
          // two runs under one id would interleave their seq 1, 2, 3… and collide in state$
          subscriber.error(
            new Error(`rxdag: runId ${quoted(runId)} is already used by a run going on on this scheduler; give each run its own runId`),
          );
          return;
        }
        const run = engine.createRun(runId, dag, runResolved, {
          next: (event) => {
            subscriber.next(event);
            if (runBus?.observed) runBus.publish(event);
          },
          complete: () => subscriber.complete(),
          error: (error) => subscriber.error(error),
        });
        // registered before the start: a subscriber may leave during the run's first flush
        subscriber.add(() => engine.cancel(run));
        engine.start(run);
      },
      () => (runBus ??= createEventBus()).events$,
    );
  };

  let streams: NotificationStreams | undefined;
  const views = () => (streams ??= notificationStreams(engine.events$));
  return {
    get events$() {
      return views().events$;
    },
    get ready$() {
      return views().ready$;
    },
    get completion$() {
      return views().completion$;
    },
    get error$() {
      return views().error$;
    },
    get health$() {
      return views().health$;
    },
    state$: engine.state$,
    get closed() {
      return closed;
    },
    submit,
    shutdown: ({ force = false } = {}) => {
      closed = true;
      if (force) engine.cancelAll();
      return engine.whenIdle().then(() => engine.disposeAgents());
    },
  };
}
