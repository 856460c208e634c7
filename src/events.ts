import type { TaskSpec } from './dag/schema';

/**
 * The event union: the JSON contract of a run. Every event has `type`, `runId`, `seq` (1, 2, 3…
 * within a run) and `at` (milliseconds from `scheduler.now()`); task events add `taskId` and
 * `attempt` (from 1). Events are plain JSON-serializable objects, so a run can be logged and
 * replayed: the state of a run is `events.reduce(reduce, initialRunState(dag, runId))`.
 * Types, factories and guards only: the scheduler stamps events in its event writer, the reducer folds them.
 */

/** How bad an error is: `warning` lets the task succeed, `error` retries then fails, `critical` ends the run. */
export type Severity = 'warning' | 'error' | 'critical';
/** How a run ended. */
export type RunOutcome = 'succeeded' | 'failed' | 'cancelled';

/** An error as it travels in events: only JSON-safe fields. */
export interface ErrorInfo {
  readonly name: string;
  readonly message: string;
}

/** Fields every event has. */
export interface EventBase<T extends string> {
  readonly type: T;
  readonly runId: string;
  /** 1, 2, 3… within a run, without gaps. */
  readonly seq: number;
  /** Milliseconds, from the run's `scheduler.now()`. */
  readonly at: number;
}

/** Fields every task event has. */
export interface TaskEventBase<T extends string> extends EventBase<T> {
  readonly taskId: string;
  /** The attempt the event is about, from 1. */
  readonly attempt: number;
}

/** Tally of how tasks ended, carried by `dag.completed`. */
export interface TaskCounts {
  readonly total: number;
  readonly completed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly cancelled: number;
}

/** What a run does with the dependents of a task that failed for good. */
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];
/** Every failure policy, the default first. */
export const FAILURE_POLICIES = ['skip-dependents', 'fail-fast', 'continue'] as const;

/** The run starts: its first event, with its DAG's id and number of tasks. */
export interface DagCreatedEvent extends EventBase<'dag.created'> {
  readonly dagId: string;
  readonly taskCount: number;
  /** The run's failure policy, which folding its events needs (`reduce` takes it from here). Absent in events of earlier versions. */
  readonly failurePolicy?: FailurePolicy | undefined;
}
/** A task's dependencies allow it to run: it waits for a slot of its agent, its limits and `maxConcurrency`. */
export type TaskReadyEvent = TaskEventBase<'task.ready'>;
/** An attempt of the task was handed to its `agent`. */
export interface TaskStartedEvent extends TaskEventBase<'task.started'> {
  readonly agent: string;
}
/** The attempt succeeded: the task's terminal event, with what the agent returned. */
export interface TaskCompletedEvent extends TaskEventBase<'task.completed'> {
  readonly durationMs: number;
  /** The agent's result (JSON-safe); absent when the agent produced none. */
  readonly output?: unknown;
  /** Set when the agent reported a `warning`: recorded, and the task still succeeded. */
  readonly warning?: ErrorInfo | undefined;
  /** Where a remote attempt ran (`host:pid` of the worker); absent for local agents. */
  readonly worker?: string | undefined;
}
/** The attempt failed: another follows when `willRetry`, else the task failed for good. */
export interface TaskFailedEvent extends TaskEventBase<'task.failed'> {
  readonly error: ErrorInfo;
  readonly severity: Exclude<Severity, 'warning'>;
  /** When true another attempt follows after the backoff; when false this is the task's terminal event. */
  readonly willRetry: boolean;
  /** Where a remote attempt failed (`host:pid` of the worker); absent for local agents and for failures no worker reported (a lost worker, a timeout). */
  readonly worker?: string | undefined;
  /** With `willRetry`: the wait before the next attempt that the agent's error asked for (`retryAfterMs`), instead of the backoff. */
  readonly retryAfterMs?: number | undefined;
  /**
   * How long from `at` the limits the task names are paused for every run of the scheduler (the
   * agent's error asked `pauseLimits` with its `retryAfterMs`), with or without a retry: a resumed
   * run pauses them for what is left.
   */
  readonly pausedLimitsMs?: number | undefined;
}
/** The wait after a failed attempt is over: the task is ready again, `attempt` is the next one's. */
export type TaskRetryingEvent = TaskEventBase<'task.retrying'>;
/** The attempt ran past its `timeoutMs` and was aborted; its `task.failed` follows. */
export interface TaskTimedOutEvent extends TaskEventBase<'task.timed-out'> {
  readonly timeoutMs: number;
}
/** The attempt has run longer than `stuckAfterMs`, said once by a health check; it goes on. */
export interface TaskStuckEvent extends TaskEventBase<'task.stuck'> {
  readonly runningForMs: number;
}
/**
 * Tasks added to the run by the agent of `taskId` (through `ctx.spawn`), emitted just before
 * that task's `task.completed`. The spawned tasks depend on it; its dependents wait for them.
 */
export interface TasksSpawnedEvent extends TaskEventBase<'tasks.spawned'> {
  readonly tasks: readonly TaskSpec[];
}
/** The task will not run: its trigger rule (`when`) can no longer hold. A terminal event. */
export interface TaskSkippedEvent extends TaskEventBase<'task.skipped'> {
  /**
   * Id of the task whose end made its rule impossible: a dependency (one that failed, or one
   * that completed when the rule was `any-failed`), or, down a chain of skips, the task that
   * failed first.
   */
  readonly because: string;
}
/** The run was cancelled (or ended early) before the task ended: its terminal event, the attempt stopped if one ran. */
export type TaskCancelledEvent = TaskEventBase<'task.cancelled'>;
/** A full agent kind freed a slot, said to the run whose attempt freed it: a task waiting for it can start. */
export interface AgentAvailableEvent extends EventBase<'agent.available'> {
  readonly agent: string;
}
/** A periodic health check (`healthCheckIntervalMs`): how many of the run's tasks are running, ready and pending. */
export interface HealthCheckedEvent extends EventBase<'health.checked'> {
  readonly running: number;
  readonly ready: number;
  readonly pending: number;
}
/** A task that failed for good, as `dag.completed` lists it. */
export interface TaskFailure {
  readonly taskId: string;
  /** The attempt that failed last. */
  readonly attempt: number;
  readonly error: ErrorInfo;
}

/** The run ended: always its last event, exactly once, with how it ended and how its tasks did. */
export interface DagCompletedEvent extends EventBase<'dag.completed'> {
  readonly outcome: RunOutcome;
  readonly counts: TaskCounts;
  readonly durationMs: number;
  /** Every task that failed for good, in the order they failed (empty when none did). */
  readonly failures: readonly TaskFailure[];
}

/**
 * A journaled run continues after its process died: every later event is this process's. Tasks
 * whose attempt was in flight are ready again with the same attempt number.
 */
export interface RunResumedEvent extends EventBase<'run.resumed'> {
  /** `seq` of the last event the journal had. */
  readonly resumedAfterSeq: number;
  /** Ids of the tasks whose attempt was in flight when the process died. */
  readonly interrupted: readonly string[];
  /** The run's DAG, as its `dag.created` named it: a process that sees only the resumed run knows it too. Absent in journals of earlier versions. */
  readonly dagId?: string | undefined;
  /** The run's tasks, spawned ones included. Absent in journals of earlier versions. */
  readonly taskCount?: number | undefined;
  /**
   * The resuming scheduler's `maxConcurrency` (it may differ from the one the run began with,
   * which its journal's header keeps). Absent in journals of earlier versions.
   */
  readonly maxConcurrency?: number | undefined;
  /**
   * The `metadata` the resume was given (the header keeps the run's first): what a tool notes of
   * this resume, e.g. where its attempts went. Absent when none was given.
   */
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
}

/** Every event of a run, discriminated by `type`. */
export type DagEvent =
  | DagCreatedEvent
  | TaskReadyEvent
  | TaskStartedEvent
  | TaskCompletedEvent
  | TaskFailedEvent
  | TaskRetryingEvent
  | TasksSpawnedEvent
  | TaskTimedOutEvent
  | TaskStuckEvent
  | TaskSkippedEvent
  | TaskCancelledEvent
  | AgentAvailableEvent
  | HealthCheckedEvent
  | DagCompletedEvent
  | RunResumedEvent;

export type DagEventType = DagEvent['type'];
/** The event with this `type`. */
export type EventOfType<T extends DagEventType> = Extract<DagEvent, { type: T }>;
/** Events about one task. */
export type TaskEvent = Extract<DagEvent, { taskId: string }>;

/** Every event type: the run's, then its tasks', then the run's end and resume. */
export const EVENT_TYPES = [
  'dag.created',
  'task.ready',
  'task.started',
  'task.completed',
  'task.failed',
  'task.retrying',
  'tasks.spawned',
  'task.timed-out',
  'task.stuck',
  'task.skipped',
  'task.cancelled',
  'agent.available',
  'health.checked',
  'dag.completed',
  'run.resumed',
] as const satisfies readonly DagEventType[];

/** An event that ends a task: a `task.failed` only when no attempt follows. */
export type TerminalEvent = TaskCompletedEvent | TaskSkippedEvent | TaskCancelledEvent | (TaskFailedEvent & { readonly willRetry: false });

/**
 * The events that end a task: exactly one per task per run. A type guard:
 * `events.filter(isTerminalEvent)` is a `TerminalEvent[]`, each with its `taskId`.
 */
export function isTerminalEvent(event: DagEvent): event is TerminalEvent {
  switch (event.type) {
    case 'task.completed':
    case 'task.skipped':
    case 'task.cancelled':
      return true;
    case 'task.failed':
      return !event.willRetry;
    default:
      return false;
  }
}

/**
 * A type guard for one event type or a few, usable with `filter`:
 * `events$.pipe(filter(isEvent('task.failed')))`. At least one type, each a literal where the
 * narrowing matters: a guard of no type would claim every event and match none.
 */
export function isEvent<T extends DagEventType>(type: T, ...more: T[]): (event: DagEvent) => event is EventOfType<T> {
  const wanted = new Set<DagEventType>([type, ...more]);
  return (event): event is EventOfType<T> => wanted.has(event.type);
}

/** Fields a caller gives to a factory: everything but the `type`. */
type Fields<T extends DagEventType> = Omit<EventOfType<T>, 'type'>;

/** An event factory with a `.type` and a `.match` guard, in the style of Redux Toolkit's action creators. */
export interface EventFactory<T extends DagEventType> {
  (fields: Fields<T>): EventOfType<T>;
  readonly type: T;
  match(event: DagEvent): event is EventOfType<T>;
}

function factory<T extends DagEventType>(type: T): EventFactory<T> {
  // `type` first, as every event has it, and this factory's, also when `fields` spread an event of another
  const create = (fields: Fields<T>) => Object.assign({ type, ...fields }, { type }) as EventOfType<T>;
  return Object.assign(create, {
    type,
    match: (event: DagEvent): event is EventOfType<T> => event.type === type,
  });
}

/**
 * Factories for every event, keyed by a camel-case name.
 *
 * @example
 * const e = events.taskReady({ runId: 'r1', seq: 2, at: 0, taskId: 'a', attempt: 1 });
 * events.taskReady.match(e) // true
 */
export const events = {
  dagCreated: factory('dag.created'),
  taskReady: factory('task.ready'),
  taskStarted: factory('task.started'),
  taskCompleted: factory('task.completed'),
  taskFailed: factory('task.failed'),
  taskRetrying: factory('task.retrying'),
  tasksSpawned: factory('tasks.spawned'),
  taskTimedOut: factory('task.timed-out'),
  taskStuck: factory('task.stuck'),
  taskSkipped: factory('task.skipped'),
  taskCancelled: factory('task.cancelled'),
  agentAvailable: factory('agent.available'),
  healthChecked: factory('health.checked'),
  dagCompleted: factory('dag.completed'),
  runResumed: factory('run.resumed'),
} as const;
