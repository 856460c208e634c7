/**
 * `defineDag`: turns a spec into a frozen, validated {@link Dag} by composing the steps of the
 * other modules (validate the tasks, build the graph, order it, rank it), and `isDag` to tell
 * such a DAG from a look-alike; `defineDagForRun` adds a run's unknown agents to the error of an
 * invalid spec. Holds no checks or graph algorithms of its own.
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
import { unknownAgentIssues } from './unknownAgents';
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
  return define(spec, undefined);
}

/**
 * {@link defineDag} for a run that has `agents`: when the spec is invalid, the error also names
 * each agent its tasks use that the run lacks, so one error says all that is wrong (an unknown
 * dependency does not hide an unknown agent). A valid spec's agents are checked with the rest of
 * what its run needs (`runIssues`), not here.
 * @internal
 */
export function defineDagForRun(spec: DagSpec | Dag, agents: Readonly<Record<string, unknown>>): Dag {
  return define(spec, agents);
}

function define(spec: DagSpec | Dag, agents: Readonly<Record<string, unknown>> | undefined): Dag {
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
  if (issues.length > 0) {
    if (agents !== undefined) issues.push(...unknownAgentsOfColumns(columns, specIndexOf, agents));
    throw new DagValidationError(issues, dagIdOf(spec));
  }

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

/** The unknown agents of the tasks a spec's columns hold, at their tasks' paths in the spec. */
function unknownAgentsOfColumns(columns: TaskColumns, specIndexOf: Int32Array, agents: Readonly<Record<string, unknown>>): DagIssue[] {
  const tasks = { size: columns.length, index: columns };
  // '' stands for an agent not given or not a string: that task has its own issue already
  const hasAgent = (name: string) => name === '' || Object.hasOwn(agents, name);
  return unknownAgentIssues(tasks, hasAgent, Object.keys(agents), { pathOf: (task) => ['tasks', specIndexOf[task]!, 'agent'] });
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
