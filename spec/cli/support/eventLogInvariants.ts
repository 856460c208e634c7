import { type DagEvent, isTerminalEvent } from '../../../src/index';

/**
 * What every events log must satisfy (DESIGN.md, "Events"): one run, `seq` 1..n without gaps,
 * `dag.created` first and `dag.completed` last, and exactly one terminal event per task.
 * Returns the violations, so a spec can `expect(...).toEqual([])` and see all of them.
 */
export function eventLogViolations(events: readonly DagEvent[]): string[] {
  const violations: string[] = [];
  if (events.length === 0) return ['the log is empty'];
  const runs = new Set(events.map((e) => e.runId));
  if (runs.size !== 1) violations.push(`events of ${runs.size} runs`);
  events.forEach((event, i) => {
    if (event.seq !== i + 1) violations.push(`line ${i + 1} has seq ${event.seq}`);
    if (typeof event.at !== 'number') violations.push(`line ${i + 1} has no numeric at`);
  });
  if (events[0]!.type !== 'dag.created') violations.push(`first event is ${events[0]!.type}`);
  const last = events[events.length - 1]!;
  if (last.type !== 'dag.completed') violations.push(`last event is ${last.type}`);
  if (events.filter((e) => e.type === 'dag.completed').length !== 1) violations.push('not exactly one dag.completed');
  const created = events[0]!;
  const terminals = new Map<string, number>();
  for (const event of events)
    if (isTerminalEvent(event) && 'taskId' in event) terminals.set(event.taskId, (terminals.get(event.taskId) ?? 0) + 1);
  // tasks an agent added during the run end like the others
  const spawned = events.reduce((sum, e) => sum + (e.type === 'tasks.spawned' ? e.tasks.length : 0), 0);
  if (created.type === 'dag.created' && terminals.size !== created.taskCount + spawned)
    violations.push(`${terminals.size} tasks ended, ${created.taskCount + spawned} expected`);
  for (const [task, count] of terminals) if (count !== 1) violations.push(`task ${task} has ${count} terminal events`);
  return violations;
}

/** The terminal event type of each task (`task.failed` counts only when final). */
export function outcomes(events: readonly DagEvent[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const event of events) if (isTerminalEvent(event) && 'taskId' in event) result[event.taskId] = event.type;
  return result;
}
