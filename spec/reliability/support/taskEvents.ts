import type { DagEvent, TaskEvent } from '../../../src';

/** Violations found so far, as sentences. */
export type Violations = string[];

/** Events of one task, in order. */
export function eventsByTask(events: readonly DagEvent[]): Map<string, TaskEvent[]> {
  const byTask = new Map<string, TaskEvent[]>();
  for (const event of events) {
    if (!('taskId' in event)) continue;
    let list = byTask.get(event.taskId);
    if (list === undefined) byTask.set(event.taskId, (list = []));
    list.push(event);
  }
  return byTask;
}
