import type { DagEvent } from '../../index';

/** A dependency edge, from the dependency to its dependent. */
export type Edge = readonly [from: string, to: string];

/** The edges of a report: declared by the DAG, or inferred from the events when it is not known. */
export interface ReportEdges {
  readonly edges: readonly Edge[];
  readonly inferred: boolean;
}

/** Edges from the DAG's deps, keeping only tasks the report knows. */
export function declaredEdges(deps: Readonly<Record<string, readonly string[]>>, taskIds: ReadonlySet<string>): ReportEdges {
  const edges: Edge[] = [];
  for (const [task, taskDeps] of Object.entries(deps)) {
    for (const dep of taskDeps) if (taskIds.has(task) && taskIds.has(dep)) edges.push([dep, task]);
  }
  return { edges, inferred: false };
}

/**
 * "Unblocked by" edges guessed from the order of events when the DAG is not known: the library
 * emits a task's first `task.ready` in the same pass as the completion of its last dependency,
 * so the latest `task.completed` before it is most likely that dependency. One edge per task at
 * most, so the result is a forest; when completions arrive together the guess can pick a
 * sibling. The report labels these edges as inferred. A spawned task's edges are known from
 * its `tasks.spawned` event (`spawned`): they are used instead of a guess.
 */
export function inferredEdges(events: readonly DagEvent[], spawned: readonly Edge[] = []): ReportEdges {
  const edges: Edge[] = [...spawned];
  const seen = new Set<string>(spawned.map(([, to]) => to));
  let lastCompleted: string | undefined;
  for (const event of events) {
    if (event.type === 'task.completed') lastCompleted = event.taskId;
    else if (event.type === 'task.ready' && !seen.has(event.taskId)) {
      seen.add(event.taskId);
      if (lastCompleted !== undefined && lastCompleted !== event.taskId) edges.push([lastCompleted, event.taskId]);
    }
  }
  return { edges, inferred: true };
}

/**
 * Edges of tasks an agent added while the run went on (`tasks.spawned`): each spawned task
 * depends on the task that spawned it and on the `deps` it was given, and what depended on the
 * spawner then (by `declared` edges, or an earlier spawn) waits for the spawned tasks too.
 */
export function spawnedEdges(events: readonly DagEvent[], declared: readonly Edge[] = []): Edge[] {
  const edges: Edge[] = [];
  const dependents = new Map<string, string[]>();
  const link = ([from, to]: Edge) => {
    const of = dependents.get(from);
    if (of === undefined) dependents.set(from, [to]);
    else of.push(to);
  };
  for (const edge of declared) link(edge);
  const add = (edge: Edge) => {
    edges.push(edge);
    link(edge);
  };
  for (const event of events) {
    if (event.type !== 'tasks.spawned') continue;
    const waiting = [...(dependents.get(event.taskId) ?? [])]; // before the spawn's own tasks join them
    for (const task of event.tasks) {
      add([event.taskId, task.id]);
      for (const dep of task.deps ?? []) if (dep !== event.taskId) add([dep, task.id]);
      for (const dependent of waiting) add([task.id, dependent]);
    }
  }
  return edges;
}
