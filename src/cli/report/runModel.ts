/**
 * The report's model of a run, folded from its events: tasks, their attempts (the Gantt bars)
 * and why each waited before its first start (see `taskWaits.ts`). A resumed run's attempts
 * that were in flight when its process stopped end where its journal ended (drawn as cancelled,
 * "interrupted"), and their run again after `run.resumed` is a bar of its own. It draws nothing.
 */
import type { DagEvent, RunOutcome, TaskCounts } from '../../index';
import { skipReason } from '../output/runSetup';
import { type TaskWait, type WaitContext, WaitTracker } from './taskWaits';

/** How one attempt ended, which is also its colour in the report. */
export type AttemptOutcome = 'completed' | 'warning' | 'failed' | 'timed-out' | 'cancelled' | 'unfinished';

/** One attempt of a task: a bar of the Gantt chart. Times are ms from the start of the run. */
export interface AttemptBar {
  readonly attempt: number;
  readonly agent: string;
  readonly startMs: number;
  endMs: number;
  outcome: AttemptOutcome;
  /** Another attempt followed this failed one. */
  retried: boolean;
  /** The error or warning message. */
  detail: string | undefined;
}

/** How a task ended. */
export type TaskOutcome = 'completed' | 'failed' | 'skipped' | 'cancelled' | 'unfinished';

/** One task: a row of the Gantt chart and of the summary table. */
export interface TaskRow {
  readonly id: string;
  outcome: TaskOutcome;
  readonly attempts: AttemptBar[];
  /** When it first became ready. */
  readyMs: number | undefined;
  /** When it ended (its terminal event). */
  endMs: number | undefined;
  /** Why it failed, or which dependency made it skip. */
  detail: string | undefined;
  /** Why its first attempt started after it became ready; `undefined` when it started at once. */
  wait?: TaskWait;
}

/** What the report knows of a run beyond its events. */
export interface RunModelOptions extends WaitContext {
  /** Every task of the DAG: tasks that never became ready get a row too. */
  readonly knownTaskIds?: readonly string[];
}

/** A run rebuilt from its events: what the report draws. */
export interface RunModel {
  readonly dagId: string;
  readonly runId: string;
  /** `unfinished` when the log has no `dag.completed` (the CLI was killed). */
  readonly outcome: RunOutcome | 'unfinished';
  readonly counts: TaskCounts | undefined;
  /** Length of the run: `dag.completed`'s `durationMs`, else the time of the last event. */
  readonly durationMs: number;
  readonly eventCount: number;
  /** Tasks in the order they became ready; tasks only named by `deps` come last. */
  readonly tasks: readonly TaskRow[];
}

/**
 * Folds the events of one run into tasks and attempts. Pure and O(events): the report is a
 * view of the events log, like any other reducer of events.
 */
export function buildRunModel(events: readonly DagEvent[], options: RunModelOptions = {}): RunModel {
  const { knownTaskIds = [], ...context } = options;
  const created = events.find((event) => event.type === 'dag.created');
  const t0 = created?.at ?? events[0]?.at ?? 0;
  const rows = new Map<string, TaskRow>();
  const row = (id: string): TaskRow => {
    let found = rows.get(id);
    if (found === undefined) {
      found = { id, outcome: 'unfinished', attempts: [], readyMs: undefined, endMs: undefined, detail: undefined };
      rows.set(id, found);
    }
    return found;
  };
  const open = (task: TaskRow, attempt: number) => task.attempts.find((bar) => bar.attempt === attempt && bar.outcome === 'unfinished');
  let completed: Extract<DagEvent, { type: 'dag.completed' }> | undefined;
  const waits = new WaitTracker(context);

  for (const [index, event] of events.entries()) {
    const at = event.at - t0;
    waits.see(index, event);
    switch (event.type) {
      case 'task.ready':
        row(event.taskId).readyMs ??= at;
        break;
      case 'task.started':
        row(event.taskId).attempts.push({
          attempt: event.attempt,
          agent: event.agent,
          startMs: at,
          endMs: at,
          outcome: 'unfinished',
          retried: false,
          detail: undefined,
        });
        break;
      case 'task.timed-out': {
        const bar = open(row(event.taskId), event.attempt);
        if (bar !== undefined) Object.assign(bar, { endMs: at, outcome: 'timed-out', detail: `timed out after ${event.timeoutMs} ms` });
        break;
      }
      case 'task.completed': {
        const task = row(event.taskId);
        const bar = open(task, event.attempt);
        if (bar !== undefined)
          Object.assign(bar, { endMs: at, outcome: event.warning === undefined ? 'completed' : 'warning', detail: event.warning?.message });
        Object.assign(task, { outcome: 'completed', endMs: at });
        break;
      }
      case 'task.failed': {
        const task = row(event.taskId);
        const bar = open(task, event.attempt) ?? task.attempts.find((b) => b.attempt === event.attempt && b.outcome === 'timed-out');
        const message = `${event.error.name}: ${event.error.message}`;
        if (bar !== undefined)
          Object.assign(bar, {
            endMs: bar.outcome === 'timed-out' ? bar.endMs : at,
            outcome: bar.outcome === 'timed-out' ? 'timed-out' : 'failed',
            retried: event.willRetry,
            detail: message,
          });
        if (!event.willRetry) Object.assign(task, { outcome: 'failed', endMs: at, detail: message });
        break;
      }
      case 'task.skipped': {
        // how the task it names had ended says why: a failure, a skip, or (any-failed) a success
        const cause = rows.get(event.because)?.outcome;
        const ended = cause === 'failed' || cause === 'skipped' || cause === 'completed' ? cause : undefined;
        Object.assign(row(event.taskId), { outcome: 'skipped', endMs: at, detail: `skipped: ${skipReason(event.because, ended)}` });
        break;
      }
      case 'task.cancelled': {
        const task = row(event.taskId);
        const bar = open(task, event.attempt);
        if (bar !== undefined) Object.assign(bar, { endMs: at, outcome: 'cancelled' });
        Object.assign(task, { outcome: 'cancelled', endMs: at });
        break;
      }
      case 'dag.completed':
        completed = event;
        break;
      case 'run.resumed': {
        // in flight when the process stopped: the attempt ends with the journal, and runs again
        const stoppedMs = index === 0 ? at : events[index - 1]!.at - t0;
        for (const taskId of event.interrupted) {
          for (const bar of row(taskId).attempts) {
            if (bar.outcome === 'unfinished')
              Object.assign(bar, {
                endMs: stoppedMs,
                outcome: 'cancelled',
                detail: 'interrupted: the process running it stopped; it ran again on resume',
              });
          }
        }
        break;
      }
      default:
        break;
    }
  }
  for (const id of knownTaskIds) row(id);
  const lastAt = events.length === 0 ? t0 : events[events.length - 1]!.at;
  // Attempts still open at the end of a truncated log run until its last event.
  for (const task of rows.values()) for (const bar of task.attempts) if (bar.outcome === 'unfinished') bar.endMs = lastAt - t0;
  for (const task of rows.values()) {
    const first = task.attempts[0];
    const wait = first === undefined ? undefined : waits.waitOf(task.id, first.agent);
    if (wait !== undefined) task.wait = wait;
  }
  return {
    dagId: created?.type === 'dag.created' ? created.dagId : '(unknown)',
    runId: events[0]?.runId ?? '(no events)',
    outcome: completed?.outcome ?? 'unfinished',
    counts: completed?.counts,
    durationMs: completed?.durationMs ?? lastAt - t0,
    eventCount: events.length,
    tasks: [...rows.values()],
  };
}
