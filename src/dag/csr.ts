/**
 * The DAG's edges in compressed sparse row (CSR) form: built from the tasks' deps, reversed, and
 * counted into in-degrees. Resolving deps is where unknown and self dependencies show up, so
 * {@link buildDepsGraph} reports those (and {@link rejectedDepIssues} for tasks left out of the
 * graph); cycles are not looked for here (see `cycles.ts`).
 */
import { type DagIssue, quoted } from './errors';
import { closestName, didYouMean, quotedVisibly } from './text';
import type { IdIndex } from './idIndex';
import type { ListedDeps, RejectedTask } from './validateTasks';

/** A directed graph in compressed sparse row form: node `i`'s successors are `targets[start[i] .. start[i+1])`. */
export interface CsrGraph {
  readonly start: Int32Array;
  readonly targets: Int32Array;
}

/** Edges from each task to its known dependencies; unknown and self dependencies become issues. */
export function buildDepsGraph(
  ids: readonly string[],
  depsOf: (task: number) => ListedDeps,
  indexById: IdIndex,
  specIndexOf: Int32Array,
  issues: DagIssue[],
): CsrGraph {
  const n = ids.length;
  const start = new Int32Array(n + 1);
  let listed = 0;
  for (let i = 0; i < n; i++) listed += depsOf(i).length;
  // at most one edge per listed dependency: one allocation, trimmed below if some were dropped
  const targets = new Int32Array(listed);
  let edges = 0;
  let suggestions = 0;
  for (let i = 0; i < n; i++) {
    const deps = depsOf(i);
    const taskId = ids[i]!;
    const first = edges;
    start[i] = first;
    // a repeated dependency counts once: short lists are scanned, long ones use a set
    const seen = deps.length > 16 ? new Set<number>() : undefined;
    for (let d = 0; d < deps.length; d++) {
      const depId = deps[d];
      if (depId === undefined) continue; // not a string: said by the schema
      const dep = indexById.get(depId);
      if (dep === undefined) {
        const meant = suggestions++ < MAX_SUGGESTIONS && n <= MAX_IDS_SEARCHED ? closestName(String(depId), ids) : undefined;
        issues.push(unknownDependency(taskId, depId, specIndexOf[i]!, d, meant));
      } else if (dep === i) {
        issues.push(selfDependency(taskId, specIndexOf[i]!, d));
      } else if (seen === undefined ? !includesFrom(targets, first, edges, dep) : !seen.has(dep)) {
        seen?.add(dep);
        targets[edges++] = dep;
      }
    }
  }
  start[n] = edges;
  return { start, targets: edges === listed ? targets : targets.slice(0, edges) };
}

/**
 * The unknown and self dependencies of tasks left out of the graph for a duplicate id: they are
 * problems of those tasks too. A dependency on the task's own id counts as itself.
 */
export function rejectedDepIssues(rejected: readonly RejectedTask[], indexById: IdIndex, issues: DagIssue[]): void {
  for (const { specIndex, id, deps } of rejected) {
    deps.forEach((depId, d) => {
      if (depId === undefined) return; // not a string: said by the schema
      if (depId === id) issues.push(selfDependency(id, specIndex, d));
      else if (indexById.get(depId) === undefined) issues.push(unknownDependency(id, depId, specIndex, d));
    });
  }
}

/**
 * Unknown dependencies given a did-you-mean: the first few of a file, and only in DAGs whose ids
 * can be searched at once (each search compares the name with every id).
 */
const MAX_SUGGESTIONS = 20;
const MAX_IDS_SEARCHED = 20_000;

function unknownDependency(taskId: string, depId: string, specIndex: number, d: number, meant?: string): DagIssue {
  return {
    path: ['tasks', specIndex, 'deps', d],
    code: 'unknown-dependency',
    message:
      `task ${quoted(taskId)} depends on ${quotedVisibly(String(depId))}, which is not a task of this DAG` +
      (meant === undefined || meant === taskId ? '' : didYouMean(depId, meant)),
  };
}

function selfDependency(taskId: string, specIndex: number, d: number): DagIssue {
  return { path: ['tasks', specIndex, 'deps', d], code: 'self-dependency', message: `task ${quoted(taskId)} depends on itself` };
}

/** The same edges pointing the other way, e.g. dependencies → dependents. */
export function reverse(graph: CsrGraph, n: number): CsrGraph {
  const start = new Int32Array(n + 1);
  for (let e = 0; e < graph.targets.length; e++) start[graph.targets[e]! + 1]!++;
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!;
  const fill = start.slice(0, n);
  const targets = new Int32Array(graph.targets.length);
  for (let from = 0; from < n; from++) {
    for (let e = graph.start[from]!; e < graph.start[from + 1]!; e++) {
      targets[fill[graph.targets[e]!]!++] = from;
    }
  }
  return { start, targets };
}

/** Number of edges out of each node: over the deps graph, each task's in-degree. */
export function edgeCounts(graph: CsrGraph, n: number): Int32Array {
  const degree = new Int32Array(n);
  for (let i = 0; i < n; i++) degree[i] = graph.start[i + 1]! - graph.start[i]!;
  return degree;
}

function includesFrom(values: Int32Array, from: number, to: number, value: number): boolean {
  for (let k = from; k < to; k++) if (values[k] === value) return true;
  return false;
}
