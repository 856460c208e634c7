import type { Subscription } from 'rxjs';
import type { Dag, DagEvent, FailurePolicy, RunState, SchedulerSnapshot } from '../../../src';
import type { AgentCall } from './agents';
import type { LimitModel, TaskModel } from './model';
import type { KindGen, SchedulerOptionsGen } from './scenario';

/** What the harness records about a scenario's runs; the invariants read only this. */

/** Everything observed about one run. */
export interface RunRecord {
  readonly runId: string;
  readonly dagId: string;
  /** The DAG as submitted, for folding the events. */
  readonly dag: Dag;
  /** The run's own model (spawned tasks are added as their `tasks.spawned` events arrive). */
  readonly tasks: Map<string, TaskModel>;
  readonly initialTaskCount: number;
  readonly failurePolicy: FailurePolicy;
  readonly submittedAt: number;
  /** Every event of the run, from the events bus, in order. */
  readonly events: DagEvent[];
  /** What the run's own subscriber received (a prefix when it unsubscribed early). */
  readonly delivered: DagEvent[];
  /** Outputs of completed tasks so far, for the upstream check. */
  readonly outputs: Map<string, unknown>;
  /** Children an attempt asked to spawn, by `taskId#attempt`, until its `tasks.spawned` arrives. */
  readonly pendingSpawns: Map<string, TaskModel[]>;
  subscriberCompleted: boolean;
  subscriberError: unknown;
  subscription: Subscription | undefined;
  /** When the test cancelled the run (unsubscribe or forced shutdown) while it was going on. */
  cancelRequestedAt: number | undefined;
  cancelledBy: 'time' | 'events' | 'shutdown' | 'deadline' | undefined;
  /** How many of the run's events had been emitted when the test cancelled it. */
  eventsAtCancel: number;
  /** Submitted after `shutdown()`: subscribing must fail and nothing may run. */
  refused: boolean;
  endedAt: number | undefined;
  /** The last state the scheduler's `state$` showed for this run. */
  lastState: RunState | undefined;
  /** Subscribed (submitted) yet. */
  started: boolean;
}

export interface Observation {
  readonly options: SchedulerOptionsGen;
  readonly kinds: ReadonlyMap<string, KindGen>;
  /** The scheduler's named limits, by name. */
  readonly limits: ReadonlyMap<string, LimitModel>;
  readonly runs: readonly RunRecord[];
  /** Every event of every run, in the order the scheduler emitted them. */
  readonly global: DagEvent[];
  readonly calls: AgentCall[];
  readonly violations: string[];
  /** Library timers still pending right after the last run ended (a private scheduler must have none). */
  pendingAtEnd: number | undefined;
  /** Library timers still pending once idle agent instances had time to go (must be none). */
  pendingAfterIdle: number | undefined;
  /** Actions of any kind left in the TestScheduler after its flush. */
  actionsLeft: number;
  /** Cold observable subscriptions never torn down. */
  openSubscriptions: number;
  instancesCreated: number;
  instancesDisposed: number;
  /** The last scheduler snapshot (long-lived scheduler only). */
  lastSnapshot: SchedulerSnapshot | undefined;
  /** The time the liveness deadline was set to. */
  deadline: number;
  readonly api: 'runDag' | 'scheduler';
  shutdownAt: number | undefined;
  /**
   * Set for runs in real time (remote attempts), where a timed event comes a little early or late
   * (see `remoteScale.ts`); undefined in virtual time, where every time is exact.
   */
  readonly tolerance?: RealTimeTolerance;
}

/** How far from its due time a timed event of a real-time run may be, in ms. */
export interface RealTimeTolerance {
  readonly earlyMs: number;
  readonly lateMs: number;
}

/** Generated runs executed so far in this process (the figure the suites report). */
export const totals = {
  runs: 0,
  events: 0,
  tasks: 0,
  attempts: 0,
  succeeded: 0,
  failed: 0,
  cancelled: 0,
  /**
   * Attempts started of tasks that need named limits, of those giving them units of their own (a
   * mapping), of tasks heavier than 1, of tasks with a `when`.
   */
  limitedStarts: 0,
  unitStarts: 0,
  heavyStarts: 0,
  ruleStarts: 0,
  /** Tasks skipped whose own `when` could no longer hold. */
  ruleSkips: 0,
  /** Starts of tasks that need named limits and waited after they were queued (ready or retrying). */
  limitedWaits: 0,
  /**
   * Failures whose error's retry hints changed the policy's course: ended a task with attempts
   * left (`retry: false`), waited `retryAfterMs` before a retry, paused limits; and starts that
   * waited for a pause (one of their limits was paused after they were queued).
   */
  askedNoRetry: 0,
  askedWaits: 0,
  pauses: 0,
  pausedStarts: 0,
  /** Generated DAGs refused, and accepted, by the refusal property. */
  refused: 0,
  accepted: 0,
};
