import type { DagEvent } from '../../../src/index';
import { eventsOf } from '../support/eventBuilder';

/**
 * Runs the report specs explain the waits of, written as their events logs. The specs of the
 * waits (`taskWaits.spec.ts`), the timeline (`ganttSvg.spec.ts`) and the page
 * (`renderReport.spec.ts`) read the same runs.
 */

/** The `dag.completed` of a run of `total` tasks that all succeeded, at `at`, having lasted `durationMs` (default: `at`). */
export function succeededAt(at: number, total: number, durationMs = at): Parameters<typeof eventsOf>[0] {
  return {
    type: 'dag.completed',
    at,
    outcome: 'succeeded',
    counts: { total, completed: total, failed: 0, skipped: 0, cancelled: 0 },
    durationMs,
  };
}

/**
 * With a concurrency limit of 2 and no named limit: `c` waits for a slot while `a` and `b` hold
 * both and starts as `a` ends at 50 ms; `d`, ready at 50 ms, starts 2 ms later with a slot free;
 * `c` ends at 60 ms. The middle of a run: its specs add its start and what follows.
 */
export const slotWaits: readonly Parameters<typeof eventsOf>[0][] = [
  { type: 'task.ready', at: 0, taskId: 'a', attempt: 1 },
  { type: 'task.ready', at: 0, taskId: 'b', attempt: 1 },
  { type: 'task.ready', at: 0, taskId: 'c', attempt: 1 },
  { type: 'task.started', at: 0, taskId: 'a', attempt: 1, agent: 'shell' },
  { type: 'task.started', at: 0, taskId: 'b', attempt: 1, agent: 'shell' },
  { type: 'task.completed', at: 50, taskId: 'a', attempt: 1, durationMs: 50 },
  { type: 'task.started', at: 50, taskId: 'c', attempt: 1, agent: 'shell' },
  { type: 'task.completed', at: 50, taskId: 'b', attempt: 1, durationMs: 50 },
  { type: 'task.ready', at: 50, taskId: 'd', attempt: 1 },
  { type: 'task.started', at: 52, taskId: 'd', attempt: 1, agent: 'shell' },
  { type: 'task.completed', at: 60, taskId: 'c', attempt: 1, durationMs: 10 },
];

/** A run of `api: { rate: { limit: 1, intervalMs: 500 } }`, two tasks naming api: `a` ended at 12 ms, `b` started at 501 ms. */
export const rateRun: readonly DagEvent[] = eventsOf(
  { type: 'dag.created', at: 0, dagId: 'rate', taskCount: 2 },
  { type: 'task.ready', at: 0, taskId: 'a', attempt: 1 },
  { type: 'task.ready', at: 0, taskId: 'b', attempt: 1 },
  { type: 'task.started', at: 0, taskId: 'a', attempt: 1, agent: 'sleep' },
  { type: 'task.completed', at: 12, taskId: 'a', attempt: 1, durationMs: 12 },
  { type: 'task.started', at: 501, taskId: 'b', attempt: 1, agent: 'sleep' },
  { type: 'task.completed', at: 511, taskId: 'b', attempt: 1, durationMs: 10 },
  succeededAt(511, 2),
);
