/**
 * `defineDag`: turns a spec into a frozen, validated {@link Dag} by composing the steps of the
 * other modules (validate the tasks, build the graph, order it, rank it), and `isDag` to tell
 * such a DAG from a look-alike. Holds no checks or graph algorithms of its own.
 */
import { buildDepsGraph, type CsrGraph, edgeCounts, rejectedDepIssues, reverse } from './csr';
import { topologicalOrder } from './cycles';
import { type DagIssue, DagValidationError } from './errors';
import { cycleIssue, dagIdOf } from './issues';
import { upwardRanks } from './ranks';
import type { DagSpec } from './schema';
import { checkSpecHead } from './specHead';
import { materializeTasks, type TaskColumns } from './taskColumns';
import type { Dag, DagIndex, Task } from './types';
import { validateTasks } from './validateTasks';

export type { Dag, DagIndex, RetryPolicy, Task } from './types';

/**
 * Validates a DAG spec and builds its indexes. Every problem is collected (bad values, duplicate
 * ids, unknown dependencies, self-dependencies, cycles named as a path) and thrown together in
 * one {@link DagValidationError}; nothing runs on a DAG that failed.
 *
 * @example
 * const dag = defineDag({
 *   id: 'etl',
 *   tasks: [
 *     { id: 'extract', agent: 'fn' },
 *     { id: 'load', deps: ['extract'], agent: 'fn', retry: { attempts: 3, backoffMs: 100 } },
 *   ],
 * });
 */
export function defineDag(spec: DagSpec | Dag): Dag {
  if (isDag(spec)) return spec;
  const issues: DagIssue[] = [];
  const { tasks: rawTasks, defaults } = checkSpecHead(spec, issues);
  if (rawTasks === undefined) throw new DagValidationError(issues, dagIdOf(spec));
  const { columns, indexById, specIndexOf, depsOf, duplicates } = validateTasks(rawTasks, defaults, issues);

  const n = columns.length;
  const deps = buildDepsGraph(columns.ids, depsOf, indexById, specIndexOf, issues);
  rejectedDepIssues(duplicates, indexById, issues);
  const inDegree = edgeCounts(deps, n);
  const dependents = reverse(deps, n);
  const topo = topologicalOrder(dependents, deps, inDegree);
  for (const cycle of topo.cycles) {
    const names = cycle.map((i) => columns.ids[i]!);
    issues.push(cycleIssue(names, specIndexOf[cycle[0]!]!));
  }
  if (issues.length > 0) throw new DagValidationError(issues, dagIdOf(spec));

  const index = dagIndex(columns, deps, dependents, inDegree, topo.order);
  let tasks: readonly Task[] | undefined;
  const dag: Dag = Object.freeze({
    id: spec.id,
    defaults: defaults === undefined ? undefined : Object.freeze(defaults),
    size: n,
    get tasks() {
      return (tasks ??= materializeTasks(index));
    },
    index,
    taskIndex: (id: string) => indexById.get(id),
  });
  definedDags.add(dag);
  return dag;
}

const definedDags = new WeakSet<object>();

/** Whether `value` is a DAG returned by {@link defineDag}. */
export function isDag(value: unknown): value is Dag {
  return typeof value === 'object' && value !== null && definedDags.has(value);
}

/** The frozen index of a valid DAG: the columns' arrays cut to its size, plus the graph's. */
function dagIndex(columns: TaskColumns, deps: CsrGraph, dependents: CsrGraph, inDegree: Int32Array, order: Int32Array): DagIndex {
  const n = columns.length;
  const agentCodes = columns.agentCodes.subarray(0, n);
  const agentNames = Object.freeze(columns.agentNames);
  let agents: readonly string[] | undefined;
  const roots: number[] = [];
  for (let i = 0; i < n; i++) if (inDegree[i] === 0) roots.push(i);
  return Object.freeze({
    dependents,
    deps,
    inDegree,
    topologicalOrder: order,
    rank: upwardRanks(columns.estimateMs.subarray(0, n), dependents, order),
    roots: Int32Array.from(roots),
    ids: Object.freeze(columns.ids),
    get agents() {
      return (agents ??= Object.freeze(Array.from(agentCodes, (code) => agentNames[code]!)));
    },
    agentCodes,
    agentNames,
    inputs: Object.freeze(columns.inputs ?? []),
    retries: Object.freeze(columns.retries),
    priority: columns.priority.subarray(0, n),
    timeoutMs: columns.timeoutMs.subarray(0, n),
    estimateMs: columns.estimateMs.subarray(0, n),
    ...(columns.weights === undefined ? {} : { weight: columns.weights.subarray(0, n) }),
    ...(columns.limits === undefined ? {} : { limits: Object.freeze(columns.limits) }),
    ...(columns.rules === undefined ? {} : { when: columns.rules.subarray(0, n) }),
  });
}
