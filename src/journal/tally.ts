/**
 * A journaled run's tally, kept up to date from its events as groups are appended (the PostgreSQL
 * run row) or folded at once (`summarize`): last `seq`, task counts (spawned tasks
 * included), when it started and ended, how it ended. Pure functions over events; it does not
 * check that the events make a legal run (the reducer does, on resume).
 */

import type { DagEvent, RunOutcome, TaskCounts } from '../events';

/** The summary fields of a run, as its row stores them. */
export interface RunTally {
  readonly lastSeq: number;
  readonly counts: TaskCounts;
  /** `at` of `dag.created`. */
  readonly startedAt: number | null;
  /** `at` of `dag.completed`. */
  readonly endedAt: number | null;
  readonly outcome: RunOutcome | null;
}

/** The tally of a run without events: its total is the tasks of its spec until `dag.created` says. */
export function emptyTally(taskCount: number): RunTally {
  return {
    lastSeq: 0,
    counts: { total: taskCount, completed: 0, failed: 0, skipped: 0, cancelled: 0 },
    startedAt: null,
    endedAt: null,
    outcome: null,
  };
}

/** The tally after `events` (in `seq` order) were added to a run tallied as `tally`. */
export function addToTally(tally: RunTally, events: readonly DagEvent[]): RunTally {
  let { total, completed, failed, skipped, cancelled } = tally.counts;
  let { lastSeq, startedAt, endedAt, outcome } = tally;
  let finalCounts: TaskCounts | undefined;
  for (const event of events) {
    lastSeq = event.seq;
    switch (event.type) {
      case 'dag.created':
        // the run's first event: spawned tasks come after it
        total = event.taskCount;
        startedAt = event.at;
        break;
      case 'tasks.spawned':
        total += event.tasks.length;
        break;
      case 'task.completed':
        completed += 1;
        break;
      case 'task.failed':
        if (!event.willRetry) failed += 1;
        break;
      case 'task.skipped':
        skipped += 1;
        break;
      case 'task.cancelled':
        cancelled += 1;
        break;
      case 'dag.completed':
        // the run's own tally is the word on how its tasks ended
        finalCounts = event.counts;
        endedAt = event.at;
        outcome = event.outcome;
        break;
      default:
        break;
    }
  }
  const counts = finalCounts ?? { total, completed, failed, skipped, cancelled };
  return { lastSeq, counts, startedAt, endedAt, outcome };
}
