import type { DagEvent, TaskCounts } from '../events';
import type { JournaledRunSummary, JournalHeader } from './journal';

/**
 * A journaled run's line in `journal.runs()`, from its header and events: status, times, last
 * `seq` and how its tasks ended so far. Reads events only; whether a process owns the run is
 * the backend's to say (`owned`).
 */
export function summarize(header: JournalHeader, events: readonly DagEvent[], owned: boolean): JournaledRunSummary {
  let total = Array.isArray(header.spec.tasks) ? header.spec.tasks.length : 0;
  let completed = 0;
  let failed = 0;
  let skipped = 0;
  let cancelled = 0;
  let startedAt: number | undefined;
  let endedAt: number | undefined;
  let outcome: JournaledRunSummary['status'] | undefined;
  for (const event of events) {
    switch (event.type) {
      case 'dag.created':
        total = event.taskCount;
        startedAt = event.at;
        break;
      case 'tasks.spawned':
        total += event.tasks.length;
        break;
      case 'task.completed':
        completed++;
        break;
      case 'task.failed':
        if (!event.willRetry) failed++;
        break;
      case 'task.skipped':
        skipped++;
        break;
      case 'task.cancelled':
        cancelled++;
        break;
      case 'dag.completed':
        endedAt = event.at;
        outcome = event.outcome;
        break;
      default:
        break;
    }
  }
  const counts: TaskCounts = { total, completed, failed, skipped, cancelled };
  return {
    runId: header.runId,
    dagId: header.dagId,
    status: outcome ?? (owned ? 'running' : 'interrupted'),
    ...(startedAt === undefined ? {} : { startedAt }),
    ...(endedAt === undefined ? {} : { endedAt }),
    lastSeq: events.length === 0 ? 0 : events[events.length - 1]!.seq,
    counts,
  };
}
