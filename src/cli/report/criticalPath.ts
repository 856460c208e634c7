import type { Edge } from './edges';
import type { TaskRow } from './runModel';

/**
 * The run's critical path: the chain of tasks that decided when the run ended. It starts from
 * the task that ended last and walks back, each time to the dependency that ended last (the one
 * the task waited for). A task ends with its last attempt; a skipped one when it was skipped (a
 * skip is what its dependents waited for: a failure further back decided it). Other tasks that
 * never ran are not on it. Returns task ids, first to last.
 */
export function criticalPath(tasks: readonly TaskRow[], edges: readonly Edge[]): string[] {
  const endOf = new Map<string, number>();
  for (const task of tasks) {
    const last = task.attempts[task.attempts.length - 1];
    if (last !== undefined) endOf.set(task.id, last.endMs);
    else if (task.outcome === 'skipped' && task.endMs !== undefined) endOf.set(task.id, task.endMs);
  }
  const depsOf = new Map<string, string[]>();
  for (const [from, to] of edges) {
    const deps = depsOf.get(to);
    if (deps === undefined) depsOf.set(to, [from]);
    else deps.push(from);
  }

  const latest = (ids: Iterable<string>): string | undefined => {
    let best: string | undefined;
    for (const id of ids) {
      const end = endOf.get(id);
      if (end !== undefined && (best === undefined || end >= endOf.get(best)!)) best = id;
    }
    return best;
  };
  const path: string[] = [];
  const onPath = new Set<string>();
  // onPath guards against a cycle in edges given from outside; a DAG has none.
  for (let task = latest(endOf.keys()); task !== undefined && !onPath.has(task); task = latest(depsOf.get(task) ?? [])) {
    path.push(task);
    onPath.add(task);
  }
  return path.reverse();
}
