/**
 * `defineDag`: turns a spec into a frozen, validated {@link Dag} by composing the steps of the
 * other modules (validate the tasks, build the graph, order it, rank it), and `isDag` to tell
 * such a DAG from a look-alike; `defineCheckedDag` adds the checks of a run (made even of a DAG
 * whose only problems are bad values), and `defineDagForRun` a run's unknown agents to the error
 * of tasks that make no DAG. Holds no checks or graph algorithms of its own.
 */
import { buildDepsGraph, type CsrGraph, edgeCounts, rejectedDepIssues, reverse } from './csr';
import { topologicalOrder, type TopologicalResult } from './cycles';
import { type DagIssue, DagValidationError } from './errors';
import { cycleIssue, dagIdOf } from './issues';
import { upwardRanks } from './ranks';
import type { IdIndex } from './idIndex';
import type { DagSpec, TaskDefaults } from './schema';
import { checkSpecHead } from './specHead';
import { type ColumnArrays, materializeTasks, type TaskColumns } from './taskColumns';
import type { Dag, DagIndex, Task } from './types';
import { unknownAgentIssues } from './unknownAgents';
import { validateTasks } from './validateTasks';
import { appendAll } from '../appendAll';

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
export function defineDag(spec: DagSpec): Dag {
  return define(spec, {});
}

/**
 * {@link defineCheckedDag} for a run that has `agents`: when the tasks make no DAG to check (a
 * cycle, a duplicate id), the error still names each agent they use that the run lacks, so one
 * error says all that is wrong (an unknown dependency does not hide an unknown agent).
 * @internal
 */
export function defineDagForRun(
  spec: DagSpec | Dag,
  agents: Readonly<Record<string, unknown>>,
  check: (dag: Dag) => readonly DagIssue[],
): Dag {
  return define(spec, { agents, check });
}

/**
 * {@link defineDag} and the checks of a run of the DAG (`check`: its agents, the room for each
 * task's weight…), thrown in one error: a bad value in one task hides no other task's run
 * problems. `check` is made of the DAG when the spec is valid, and when the spec's only problems
 * are values, of the DAG its tasks still make, an invalid task with only its id, deps and agent
 * (an agent missing or invalid, already reported, is not called unknown). Not when the tasks make
 * no DAG (a cycle, a duplicate id): there is nothing to check then. `check` gives its issues at
 * `['tasks', task, …]` by the DAG's task index; they are moved to the task's place in the spec.
 * @internal
 */
export function defineCheckedDag(spec: DagSpec | Dag, check: (dag: Dag) => readonly DagIssue[]): Dag {
  return define(spec, { check });
}

/** What a run adds to the checks of a spec: see {@link defineDagForRun} and {@link defineCheckedDag}. */
interface RunChecks {
  readonly agents?: Readonly<Record<string, unknown>>;
  readonly check?: (dag: Dag) => readonly DagIssue[];
}

function define(spec: DagSpec | Dag, { agents, check }: RunChecks): Dag {
  if (isDag(spec)) return checked(spec, check);
  const issues: DagIssue[] = [];
  const { tasks: rawTasks, defaults } = checkSpecHead(spec, issues);
  if (rawTasks === undefined) throw new DagValidationError(issues, dagIdOf(spec));
  const { columns, indexById, specIndexOf, depsOf, duplicates } = validateTasks(rawTasks, defaults, issues);

  const n = columns.length;
  const deps = buildDepsGraph(columns.ids, depsOf, indexById, specIndexOf, issues);
  rejectedDepIssues(duplicates, indexById, issues);
  const graph = orderedGraph(deps, n);
  const { topo } = graph;
  for (const cycle of topo.cycles) {
    const names = cycle.map((i) => columns.ids[i]!);
    issues.push(cycleIssue(names, specIndexOf[cycle[0]!]!));
  }
  if (issues.length > 0) {
    if (check !== undefined && topo.cycles.length === 0 && duplicates.length === 0) {
      // not added to `definedDags`: this DAG is only looked at, never returned
      const draft = frozenDag(spec.id, defaults, dagIndex(columns, graph), indexById);
      appendAll(issues, draftIssues(check(draft), columns, specIndexOf));
    } else if (agents !== undefined) appendAll(issues, unknownAgentsOfColumns(columns, specIndexOf, agents));
    throw new DagValidationError(issues, dagIdOf(spec));
  }

  return checked(definedDag(spec.id, defaults, dagIndex(columns, graph), indexById), check);
}

/** The graph of `deps` over `n` tasks with its reverse, in-degrees and order (cycles, if any). */
interface OrderedGraph {
  readonly deps: CsrGraph;
  readonly dependents: CsrGraph;
  readonly inDegree: Int32Array;
  readonly topo: TopologicalResult;
}

function orderedGraph(deps: CsrGraph, n: number): OrderedGraph {
  const inDegree = edgeCounts(deps, n);
  const dependents = reverse(deps, n);
  return { deps, dependents, inDegree, topo: topologicalOrder(dependents, deps, inDegree) };
}

/** The DAG over `index`, known from now on as one this module made (see {@link isDag}). */
function definedDag(id: string, defaults: TaskDefaults | undefined, index: DagIndex, indexById: IdIndex): Dag {
  const dag = frozenDag(id, defaults, index, indexById);
  definedDags.add(dag);
  return dag;
}

/** `dag`, or the error of the issues `check` finds in it. */
function checked(dag: Dag, check: ((dag: Dag) => readonly DagIssue[]) | undefined): Dag {
  const issues = check?.(dag) ?? [];
  if (issues.length > 0) throw new DagValidationError(issues, dag.id);
  return dag;
}

/**
 * The issues a run's check found in the DAG of an invalid spec, at the spec's paths (tasks left
 * out before a task move it up in the DAG), but for an agent named `''`: a task's agent missing
 * or invalid, which is reported already.
 */
function draftIssues(issues: readonly DagIssue[], columns: TaskColumns, specIndexOf: Int32Array): DagIssue[] {
  return issues.flatMap((issue) => {
    const [tasks, task, ...rest] = issue.path;
    if (tasks !== 'tasks' || typeof task !== 'number') return [issue];
    if (issue.code === 'unknown-agent' && columns.agentNames[columns.agentCodes[task]!] === '') return [];
    return [{ ...issue, path: ['tasks', specIndexOf[task]!, ...rest] }];
  });
}

/**
 * The DAG of `columns` and their `deps` edges, checked already (a DAG grown by spawned tasks, see
 * `growDag.ts`); `undefined` when the edges make a cycle, which the caller reports.
 * @internal
 */
export function dagOfCheckedColumns(
  id: string,
  defaults: TaskDefaults | undefined,
  columns: ColumnArrays,
  deps: CsrGraph,
  indexById: IdIndex,
): Dag | undefined {
  const graph = orderedGraph(deps, columns.length);
  return graph.topo.cycles.length > 0 ? undefined : definedDag(id, defaults, dagIndex(columns, graph), indexById);
}

/** The index of the ids of a DAG made here, for a DAG grown from it (see `growDag.ts`). */
export function idIndexOf(dag: Dag): IdIndex | undefined {
  return idIndexes.get(dag);
}

const idIndexes = new WeakMap<Dag, IdIndex>();

/** The DAG over `index`, its task objects built when first asked for. */
function frozenDag(id: string, defaults: TaskDefaults | undefined, index: DagIndex, indexById: IdIndex): Dag {
  let tasks: readonly Task[] | undefined;
  const dag: Dag = Object.freeze({
    id,
    defaults: defaults === undefined ? undefined : Object.freeze(defaults),
    size: index.ids.length,
    get tasks() {
      return (tasks ??= materializeTasks(index));
    },
    index,
    taskIndex: (taskId: string) => indexById.get(taskId),
  });
  idIndexes.set(dag, indexById);
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
function dagIndex(columns: ColumnArrays, { deps, dependents, inDegree, topo }: OrderedGraph): DagIndex {
  const order = topo.order;
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
    ...(columns.limitUnits === undefined ? {} : { limitUnits: Object.freeze(columns.limitUnits) }),
    ...(columns.rules === undefined ? {} : { when: columns.rules.subarray(0, n) }),
  });
}
