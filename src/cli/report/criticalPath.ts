import type { Edge } from './edges';
import type { TaskRow } from './runModel';

/**
 * The run's critical path: the chain of tasks that decided when the run ended. It starts from
 * the task that ended last (at a tie, one that ran and was not cancelled: a cancellation ends a
 * task when something else decided, a failure under fail-fast or Ctrl-C; then one that ran; then
 * the one the log ends later) and walks back, each time to the dependency
 * that ended last by the time the task could begin (became ready; a skipped task, when it was
 * skipped): the one it waited for. A task ends with its last attempt; a skipped one when it was
 * skipped (a skip is what its dependents waited for: a failure further back decided it). Other
 * tasks that never ran are not on it. Returns task ids, first to last.
 */
export function criticalPath(tasks: readonly TaskRow[], edges: readonly Edge[]): string[] {
  const endOf = new Map<string, number>();
  // of tasks that ended in the same millisecond, the one whose end the log has later ended last
  const orderOf = new Map(tasks.map((task) => [task.id, task.endOrder ?? -1]));
  // when a task could begin: what a dependency ended after could not have held it
  const beganOf = new Map<string, number>();
  // which of tasks that ended in the same millisecond ended last: one that ran to its own end, one cancelled, one that never ran
  const rankOf = new Map<string, number>();
  for (const task of tasks) {
    const last = task.attempts[task.attempts.length - 1];
    if (last !== undefined) {
      endOf.set(task.id, last.endMs);
      rankOf.set(task.id, task.outcome === 'cancelled' ? 1 : 2);
      beganOf.set(task.id, task.readyMs ?? task.attempts[0]!.startMs);
    } else if (task.outcome === 'skipped' && task.endMs !== undefined) {
      endOf.set(task.id, task.endMs);
      beganOf.set(task.id, task.endMs);
    }
  }
  const depsOf = new Map<string, string[]>();
  for (const [from, to] of edges) {
    const deps = depsOf.get(to);
    if (deps === undefined) depsOf.set(to, [from]);
    else deps.push(from);
  }

  // the task among `ids` that ended last, by `before` at the latest; at a tie, by rank, then by the log's order
  const rank = (id: string) => rankOf.get(id) ?? 0;
  const latest = (ids: Iterable<string>, before = Number.POSITIVE_INFINITY): string | undefined => {
    let best: string | undefined;
    for (const id of ids) {
      const end = endOf.get(id);
      if (end === undefined || end > before) continue;
      const bestEnd = best === undefined ? undefined : endOf.get(best)!;
      const tie = rank(id) === rank(best!) ? orderOf.get(id)! >= orderOf.get(best!)! : rank(id) > rank(best!);
      if (bestEnd === undefined || end > bestEnd || (end === bestEnd && tie)) best = id;
    }
    return best;
  };
  const path: string[] = [];
  const onPath = new Set<string>();
  // onPath guards against a cycle in edges given from outside; a DAG has none.
  for (let task = latest(endOf.keys()); task !== undefined && !onPath.has(task); task = latest(depsOf.get(task) ?? [], beganOf.get(task))) {
    path.push(task);
    onPath.add(task);
  }
  return path.reverse();
}
