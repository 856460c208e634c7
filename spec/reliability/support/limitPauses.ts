import type { TaskEvent } from '../../../src';
import { behaviourOf, type TaskModel } from './model';
import { hintOfFailure } from './retryHints';

/**
 * The pauses failed attempts put on named limits, over every run of the scheduler, folded from
 * the events in global order: a `task.failed` whose error asked for `pauseLimits` holds every
 * limit its task names until `failed.at + retryAfterMs` (a later pause wins, an earlier one
 * changes nothing), whether the task retries or failed for good.
 */
export class LimitPauses {
  private readonly until = new Map<string, number>();

  /** Folds a `task.failed`; returns when the pause it set ends, if it set one on a limit. */
  failed(task: TaskModel, event: Extract<TaskEvent, { type: 'task.failed' }>): number | undefined {
    const { retryAfterMs, pauseLimits } = hintOfFailure(behaviourOf(task, event.attempt), event);
    if (!pauseLimits || retryAfterMs === undefined || task.limits.length === 0) return undefined;
    const end = event.at + retryAfterMs;
    for (const name of task.limits) if (end > (this.until.get(name) ?? Number.NEGATIVE_INFINITY)) this.until.set(name, end);
    return end;
  }

  /** When the latest pause of limit `name` ends (or ended), if it had one. */
  lastEnd(name: string): number | undefined {
    return this.until.get(name);
  }

  /** When the pause of limit `name` ends, if it is paused at `at`. */
  pausedAt(name: string, at: number): number | undefined {
    const until = this.until.get(name);
    return until !== undefined && at < until ? until : undefined;
  }
}
