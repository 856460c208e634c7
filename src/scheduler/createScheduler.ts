import { AsyncResource } from 'node:async_hooks';
import { asyncScheduler, type Observable, type Subscriber } from 'rxjs';
import { type Dag, defineDagForRun } from '../dag/defineDag';
import { DagValidationError, quoted } from '../dag/errors';
import { describeValue, headOf } from '../dag/text';
import { MAX_ID_LENGTH, type DagSpec } from '../dag/schema';
import { journaledInputIssues, runIssues } from './runCheck';
import type { DagEvent } from '../events';
import { hasEnded, replay } from '../journal/replay';
import { haltableJournal, type OneRunJournal } from '../journal/haltableJournal';
import { recordNotMade, RunInterruptedError } from '../journal/journal';
import { DagRun, RunEvents } from './dagRun';
import { RunBus, type RunOnBus } from './runBus';
import { JournalAnswers, journalHeader, resumedOptions } from './durableStart';
import { type DurableRun, Engine } from './engine';
import { RunActiveError, SchedulerShutDownError } from './refusals';
import type { ResolvedRunOptions, ResolvedSchedulerOptions, RunOptions, SchedulerOptions } from './options';
import { parseSchedulerOptions, parseShutdownOptions, resolveRunOptions } from './options';
import type { SchedulerSnapshot } from './snapshot';
import { type NotificationStreams, notificationStreams } from './views';
import { appendAll } from '../appendAll';

/**
 * The scheduler's public face: `createScheduler` (many runs sharing one engine). It validates a
 * submitted DAG and its options, gives the run an id, journals it when the scheduler has a
 * journal (and resumes journaled runs), and hands runs to the engine; it runs nothing itself.
 */

export { DagRun, RunEvents } from './dagRun';

/** A long-lived scheduler: many runs at once sharing one concurrency limit. */
export interface Scheduler extends NotificationStreams {
  /** Snapshots after every change: each run's state and the totals over all runs. */
  readonly state$: Observable<SchedulerSnapshot>;
  /** True after `shutdown()`: `submit` then refuses new runs. */
  readonly closed: boolean;
  /**
   * A run of `dag` on this scheduler (cold: it starts on subscribe; unsubscribing cancels only
   * this run). Throws `DagValidationError` when a task names an agent the run does not have,
   * and `TypeError` for bad options. With a journal, the run is journaled from its start.
   */
  submit(dag: Dag | DagSpec, options?: RunOptions): DagRun;
  /**
   * Continues a journaled run whose process died (needs the scheduler's `journal`): cold like
   * `submit`. Its DAG and data options come from the journal (`options` may override them; its
   * agents are given again by name). Errors, when subscribed, with `RunLockedError`,
   * `RunNotResumableError`, `JournalCorruptError` or `DagValidationError` (an agent the run
   * uses is missing); nothing runs then.
   */
  resume(runId: string, options?: Omit<RunOptions, 'runId'>): RunEvents;
  /**
   * Refuses new runs and resolves when the runs going on have ended, those whose journal is
   * still answering (creating or resuming their record) included. With `force: true` they are
   * cancelled first: running agents are aborted, every unfinished task ends `task.cancelled`
   * (a run whose journal answers later starts cancelled, no agent called: `force` waits for the
   * answer, which a backend bounds; the PostgreSQL journal's within 30 s).
   *
   * With `interrupt: true` (a deploy, a SIGTERM) the runs are stopped as a crash would stop
   * them, but at once and cleanly: their journal records nothing more and gives them up, so they
   * stay `interrupted` and `resumeRun` or another scheduler's `resume` continues them later;
   * running agents are aborted. Their streams end with the last event recorded, then error with
   * `RunInterruptedError`. Without a journal it is `force`.
   *
   * Agent instances are disposed last: it resolves once every `dispose` settled (and, unless
   * forced or interrupting, every `create` still pending, then its `dispose`), so a process may
   * exit right after. A graceful shutdown waits for agents that never settle; a service gives it
   * a deadline and then calls `shutdown({ force: true })` (or `interrupt`), which ends their runs
   * at once and does not wait for a pending `create` (its instance is disposed once made).
   */
  shutdown(options?: { readonly force?: boolean | undefined; readonly interrupt?: boolean | undefined }): Promise<void>;
}

let runCounter = 0;

/**
 * `<dag id>-<time><counter><random>`, the DAG's id cut (at a whole character) so the run id is an
 * id too, at most {@link MAX_ID_LENGTH} long. The time (milliseconds, base 36) keeps ids apart
 * across processes and restarts, whose counters start again at 1: two runs of one journal, or
 * of one Redis, never share an id.
 */
function newRunId(dag: Dag): string {
  runCounter++;
  const suffix = `${Date.now().toString(36)}${runCounter.toString(36)}${Math.random().toString(36).slice(2, 6).padEnd(4, '0')}`;
  return `${headOf(dag.id, MAX_ID_LENGTH - suffix.length - 1)}-${suffix}`;
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
export function createScheduler(options?: Omit<SchedulerOptions, 'runId'>): Scheduler {
  // every run of it would take the one id: each run's is its own
  if ((options as SchedulerOptions | undefined)?.runId !== undefined) {
    throw new TypeError(
      'rxdag: invalid options: `runId` names one run, not a scheduler: give each run its own with submit(dag, { runId })',
    );
  }
  return schedulerWith(resolveSchedulerOptions(options), false);
}

/** Validates scheduler options and fills in every default; throws a `TypeError` naming each bad option. */
export function resolveSchedulerOptions(options: SchedulerOptions | undefined): ResolvedSchedulerOptions {
  const parsed = parseSchedulerOptions(options);
  return { ...parsed, scheduler: parsed.scheduler ?? asyncScheduler };
}

/**
 * The scheduler behind `createScheduler`, `runDag` and `resumeRun`. A private one (theirs)
 * disposes agent instances as soon as no run is going on, since nothing else will reuse them.
 * @internal
 */
export function schedulerWith(resolved: ResolvedSchedulerOptions, isPrivate: boolean): Scheduler {
  const engine = new Engine(resolved, isPrivate);
  // halted by an interrupting shutdown: its runs' records stop where they are, resumable
  const haltable = resolved.journal === undefined ? undefined : haltableJournal(resolved.journal);
  // the streams of journaled runs not ended yet, with their run ids (and the end of their views): an interrupting shutdown errors them
  const open = new Map<Subscriber<DagEvent>, OpenRun>();
  // each told once no open run is one it waits for: their last groups are then stored (a run ends before its journal holds its end)
  let stores: Array<{ readonly waitsFor: (run: OpenRun) => boolean; readonly resolve: () => void }> = [];
  const anyOpen = (waitsFor: (run: OpenRun) => boolean) => [...open.values()].some(waitsFor);
  const ended = (subscriber: Subscriber<DagEvent>) => {
    open.delete(subscriber);
    const done = stores.filter((store) => !anyOpen(store.waitsFor));
    stores = stores.filter((store) => !done.includes(store));
    for (const store of done) store.resolve();
  };
  const allStored = (waitsFor: (run: OpenRun) => boolean): Promise<void> | undefined =>
    anyOpen(waitsFor) ? new Promise((resolve) => stores.push({ waitsFor, resolve })) : undefined;
  let closed = false;

  /** Why a run may not start now, if it may not. */
  const refusal = (runId: string, what: string, resuming = false): Error | undefined => {
    if (closed) return new SchedulerShutDownError(what);
    if (answers.awaits(runId) || engine.activeRuns.some((active) => active.runId === runId)) return new RunActiveError(runId, resuming);
    return undefined;
  };

  /** Hands a run to the engine, its events to `subscriber` (and the run's own bus). */
  const launch = (
    subscriber: Subscriber<DagEvent>,
    runBus: RunBus,
    runId: string,
    dag: Dag,
    options: ResolvedRunOptions,
    scope: AsyncResource,
    durable?: DurableRun,
    spared: () => boolean = () => false,
  ): void => {
    const run = engine.createRun(
      runId,
      dag,
      options,
      {
        next: (event) => {
          subscriber.next(event);
          onBus.publish(event);
        },
        complete: () => (ended(subscriber), onBus.ended(), subscriber.complete()),
        error: (error) => (ended(subscriber), onBus.ended(), subscriber.error(error)),
      },
      scope,
      durable,
    );
    // counted once the run exists (its listener is called from its start on): a run never made never ends the stream
    const onBus = runBus.started();
    if (durable !== undefined) open.set(subscriber, { runId, onBus, spared });
    if (subscriber.closed || forced) {
      // left, or shut down by force, while the journal was answering: the run is in the journal
      // now, so it starts cancelled and its record ends `cancelled` (not a run left to resume);
      // after an interrupting shutdown the halted journal records none of it, and its events say
      // nothing either: it stays interrupted, unless its subscriber left before the shutdown
      engine.startCancelled(run, interrupting && !spared() ? new RunInterruptedError(runId) : undefined);
      return;
    }
    // registered before the start: a subscriber may leave during the run's first flush
    subscriber.add(() => engine.cancel(run));
    engine.start(run);
  };

  /**
   * The journal one subscription makes or takes up its run through. A subscriber that leaves
   * before an interrupting shutdown spares its run from the halt: its end is decided (cancelled),
   * and a record left `interrupted` would be resumed, running work its user cancelled.
   */
  const oneRunJournal = (subscriber: Subscriber<DagEvent>): OneRunJournal => {
    const one = haltable!.forOneRun();
    subscriber.add(() => one.spare());
    return one;
  };

  // runs whose journal has not answered yet: shutdown waits for them, and a forced one cancels them as they start
  const answers = new JournalAnswers();
  let forced = false;
  // the end of the first forcing or interrupting shutdown, once one is called
  let endForced: (end: Promise<void>) => void = () => undefined;
  const forcedEnd = new Promise<void>((resolve) => (endForced = resolve));
  // an interrupting shutdown: runs whose journal answers afterwards are left to be resumed
  let interrupting = false;

  const submit = (dagOrSpec: Dag | DagSpec, runOptions?: RunOptions): DagRun => {
    const runResolved = runOptions === undefined ? resolved : resolveRunOptions(runOptions, resolved);
    const resources = { ...resolved, agents: runResolved.agents };
    // a bad value in one task hides no other task's run problems: one error says them all
    const dag = defineDagForRun(dagOrSpec, runResolved.agents, (defined) => {
      const problems = runIssues(defined, resources);
      if (haltable !== undefined) appendAll(problems, journaledInputIssues(defined));
      return problems;
    });
    const bus = new RunBus();
    return new DagRun(
      dag,
      (subscriber) => {
        const runId = runResolved.runId ?? newRunId(dag);
        const refused = refusal(runId, `run of DAG ${quoted(dag.id)}`);
        if (refused !== undefined) return subscriber.error(refused);
        const scope = subscriberScope(subscriber);
        if (haltable === undefined) return launch(subscriber, bus, runId, dag, runResolved, scope);
        const one = oneRunJournal(subscriber);
        answers.track(
          runId,
          () => one.journal.create(journalHeader(runId, dag, runResolved, resolved)),
          (writer) => launch(subscriber, bus, runId, dag, runResolved, scope, { writer, location: one.journal.location }, one.spared),
          (error) => subscriber.error(recordNotMade(runId, one.journal.location, error)),
        );
      },
      () => bus.events$,
    );
  };

  const resume = (runId: string, runOptions?: RunOptions): RunEvents => {
    const bus = new RunBus();
    return new RunEvents(
      (subscriber) => {
        if (haltable === undefined) return subscriber.error(new TypeError('rxdag: resume needs a scheduler with a `journal`'));
        if (typeof runId !== 'string')
          return subscriber.error(new TypeError(`rxdag: resume needs the id of a run, a string (got ${describeValue(runId)})`));
        if (runOptions?.runId !== undefined && runOptions.runId !== runId) {
          // a resumed run keeps its id: its journal, its jobs and its idempotency keys are under it
          const given = describeValue(runOptions.runId);
          return subscriber.error(new TypeError(`rxdag: resume of run ${quoted(runId)}: a resumed run keeps its id (got runId ${given})`));
        }
        const refused = refusal(runId, `resume of run ${quoted(runId)}`, true);
        if (refused !== undefined) return subscriber.error(refused);
        const scope = subscriberScope(subscriber);
        const one = oneRunJournal(subscriber);
        answers.track(
          runId,
          () => one.journal.resume(runId),
          (taken) => {
            try {
              const replayed = replay(taken);
              const journaledPolicy = taken.header.options.failurePolicy;
              if (runOptions?.failurePolicy !== undefined && runOptions.failurePolicy !== journaledPolicy) {
                // what its failures did so far followed the journaled one; its events say so
                throw new TypeError(
                  `rxdag: resume of run ${quoted(runId)}: it runs with failurePolicy '${journaledPolicy}', and a resume cannot change it (got '${runOptions.failurePolicy}')`,
                );
              }
              const options = resolveRunOptions(resumedOptions(taken.header, runOptions), resolved);
              const limits = engine.limitsForResume(runId, taken.header.options.limits ?? {});
              const problems = runIssues(
                replayed.dag,
                { ...resolved, agents: options.agents, limits },
                { mayStart: (task) => !hasEnded(replayed, task) },
              );
              if (problems.length > 0) throw new DagValidationError(problems, replayed.dag.id);
              const durable = {
                writer: taken.writer,
                location: one.journal.location,
                resumed: replayed,
                limits: taken.header.options.limits ?? {},
              };
              launch(subscriber, bus, runId, replayed.dag, options, scope, durable, one.spared);
            } catch (error) {
              void Promise.resolve(taken.writer.close()).catch(() => undefined);
              throw error;
            }
          },
          (error) => subscriber.error(error),
        );
      },
      () => bus.events$,
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
    resume,
    // async: bad options reject; the rest runs in this turn as before, up to the first await
    shutdown: async (options) => {
      const { force, interrupt } = parseShutdownOptions(options);
      closed = true;
      // halted first, in the same turn: the cancellation that follows is not recorded
      const halted = interrupt ? haltable?.halt() : undefined;
      if (force || interrupt) {
        forced = true;
        interrupting ||= halted !== undefined;
        // interrupted, its attempts' signals say so: a remote agent leaves them to the resume
        engine.cancelAll(halted === undefined ? undefined : (runId) => new RunInterruptedError(runId));
      }
      // a graceful shutdown waits for every run's end to be stored, an interrupting one for the ends
      // of runs their users cancelled before the halt (spared), a forced one for none (at once)
      const stored = () => allStored(halted !== undefined ? (run) => run.spared() : () => !force);
      const ends = Promise.all([
        halted,
        answers
          .whenAll()
          .then(() => engine.whenIdle())
          .then(stored),
      ]).then(async () => {
        if (halted !== undefined)
          for (const [subscriber, { runId, onBus }] of [...open]) {
            onBus.ended();
            subscriber.error(new RunInterruptedError(runId));
          }
        // resolved once every instance is disposed: a process may exit right after; by force,
        // without waiting for a `create` that may never settle (disposed once it does)
        await engine.disposeAgents(force || interrupt ? 'skip' : 'wait');
        engine.completeStreams();
      });
      if (!force && !interrupt) return Promise.race([ends, forcedEnd]);
      endForced(ends); // a call before this one, which waits for more, resolves with it at the latest
      return ends;
    },
  };
}

/** A journaled run whose stream has not ended. */
interface OpenRun {
  readonly runId: string;
  /** The end of its views (`run.events$`, …). */
  readonly onBus: RunOnBus;
  /** Whether its user cancelled it before an interrupting shutdown halted the journal: its end is stored. */
  readonly spared: () => boolean;
}

/**
 * The async context of a run's subscriber (an HTTP request's, say), which its agents are called
 * in: without it an agent would run in the context of whatever dispatched it, often another
 * run's completion, and AsyncLocalStorage stores (a request's logger, OpenTelemetry's active
 * span) would reach the wrong run's agents. It is destroyed when the subscription ends, not left
 * to the garbage collector (`jest --detectOpenHandles` reports a resource not yet destroyed).
 */
function subscriberScope(subscriber: Subscriber<unknown>): AsyncResource {
  const scope = new AsyncResource('rxdag.run');
  subscriber.add(() => scope.emitDestroy());
  return scope;
}
