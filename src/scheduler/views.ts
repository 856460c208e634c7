import { filter, map, type Observable } from 'rxjs';
import type {
  DagEvent,
  ErrorInfo,
  HealthCheckedEvent,
  Severity,
  TaskCompletedEvent,
  TaskFailedEvent,
  TaskReadyEvent,
  TaskStuckEvent,
} from '../events';

/**
 * The hot notification streams (`ready$`, `completion$`, `error$`, `health$`) as filters over a
 * stream of events. Views only: listening never changes what the scheduler does.
 */

/** An error notification: a failed attempt, or a warning recorded on a task that still succeeded. */
export interface TaskErrorNotice {
  readonly runId: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly at: number;
  readonly severity: Severity;
  readonly error: ErrorInfo;
  /** Another attempt follows. */
  readonly willRetry: boolean;
}

/**
 * The scheduler's notification streams, read-only: ready, completion, error and health,
 * and `events$` carrying all of them and every other event. Hot: they show what happens while
 * you listen. Listeners never change what the scheduler does.
 */
export interface NotificationStreams {
  readonly events$: Observable<DagEvent>;
  readonly ready$: Observable<TaskReadyEvent>;
  readonly completion$: Observable<TaskCompletedEvent>;
  readonly error$: Observable<TaskErrorNotice>;
  readonly health$: Observable<HealthCheckedEvent | TaskStuckEvent>;
}

export function notificationStreams(events$: Observable<DagEvent>): NotificationStreams {
  return {
    events$,
    ready$: events$.pipe(filter((e): e is TaskReadyEvent => e.type === 'task.ready')),
    completion$: events$.pipe(filter((e): e is TaskCompletedEvent => e.type === 'task.completed')),
    error$: events$.pipe(
      filter(
        (e): e is TaskFailedEvent | (TaskCompletedEvent & { warning: ErrorInfo }) =>
          e.type === 'task.failed' || (e.type === 'task.completed' && e.warning !== undefined),
      ),
      map((e): TaskErrorNotice =>
        e.type === 'task.failed'
          ? { runId: e.runId, taskId: e.taskId, attempt: e.attempt, at: e.at, severity: e.severity, error: e.error, willRetry: e.willRetry }
          : { runId: e.runId, taskId: e.taskId, attempt: e.attempt, at: e.at, severity: 'warning', error: e.warning, willRetry: false },
      ),
    ),
    health$: events$.pipe(filter((e): e is HealthCheckedEvent | TaskStuckEvent => e.type === 'health.checked' || e.type === 'task.stuck')),
  };
}
