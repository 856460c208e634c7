/**
 * A defined DAG grown by spawned tasks that were checked already (their fields, ids and deps:
 * `extendDag.ts`), built from the DAG's own arrays: the new tasks' columns are appended, the
 * spawner's dependents also wait for them, and the graph's indexes (reverse edges, in-degrees,
 * order, ranks) are made again over typed arrays. The same DAG `defineDag` makes of the grown
 * spec, without writing and checking every task's spec again: a run that spawns a task per task
 * pays typed-array copies per spawn, not a DAG definition (figures in benchmarks/README.md). It
 * reports nothing: given tasks that do not make a DAG (a cycle among them), it returns
 * `undefined`, and the caller defines the grown spec to say what is wrong.
 */
import type { CsrGraph } from './csr';
import { type Dag, dagOfCheckedColumns, idIndexOf } from './defineDag';
import type { DagIssue } from './errors';
import type { IdIndex } from './idIndex';
import type { TaskSpec } from './schema';
import type { ColumnArrays } from './taskColumns';
import { validateTasks } from './validateTasks';

/**
 * `dag` grown by `specs` (valid, with ids new to it), each depending on `spawner` and on the ids
 * `depsOf` gives it (tasks of `dag` or of `specs`); the spawner's dependents that `joins` wait for them too.
 */
export function grownDag(
  dag: Dag,
  spawner: number,
  specs: readonly TaskSpec[],
  depsOf: (spec: TaskSpec) => readonly string[],
  joins: (dependent: number) => boolean,
): Dag | undefined {
  const issues: DagIssue[] = [];
  const added = validateTasks(specs, dag.defaults, issues).columns;
  if (issues.length > 0 || added.length !== specs.length) return undefined;
  const old = dag.index;
  const n = dag.size;
  const ids = [...old.ids, ...added.ids];
  const indexById = idIndexOf(dag)?.grownTo(ids, n);
  if (indexById === undefined) return undefined; // an id twice, or a DAG not made here
  const columns = appendedColumns(old, added, ids);
  const deps = grownDeps(old.deps, n, spawner, specs, depsOf, indexById, old.dependents, joins);
  return deps === undefined ? undefined : dagOfCheckedColumns(dag.id, dag.defaults, columns, deps, indexById);
}

/** The columns of the old DAG's tasks then of the added ones, agent codes kept (new names after the old ones). */
function appendedColumns(old: Dag['index'], added: ColumnArrays, ids: string[]): ColumnArrays {
  const n = old.ids.length;
  const size = n + added.length;
  const agentNames = [...old.agentNames];
  const codeOf = new Map(agentNames.map((name, code) => [name, code]));
  const agentCodes = new Int32Array(size);
  agentCodes.set(old.agentCodes);
  for (let i = 0; i < added.length; i++) {
    const name = added.agentNames[added.agentCodes[i]!]!;
    let code = codeOf.get(name);
    if (code === undefined) {
      code = agentNames.push(name) - 1;
      codeOf.set(name, code);
    }
    agentCodes[n + i] = code;
  }
  return {
    length: size,
    ids,
    agentCodes,
    agentNames,
    inputs: old.inputs.length === 0 && added.inputs === undefined ? undefined : joined(old.inputs, n, added.inputs, added.length),
    retries: [...old.retries, ...added.retries],
    priority: concatenated(Float64Array, old.priority, added.priority, 0),
    timeoutMs: concatenated(Float64Array, old.timeoutMs, added.timeoutMs, Number.NaN),
    estimateMs: concatenated(Float64Array, old.estimateMs, added.estimateMs, Number.NaN),
    weights:
      old.weight === undefined && added.weights === undefined
        ? undefined
        : concatenated(Int32Array, old.weight, added.weights, 1, n, added.length),
    limits: old.limits === undefined && added.limits === undefined ? undefined : joined(old.limits, n, added.limits, added.length),
    limitUnits:
      old.limitUnits === undefined && added.limitUnits === undefined
        ? undefined
        : joined(old.limitUnits, n, added.limitUnits, added.length),
    rules:
      old.when === undefined && added.rules === undefined ? undefined : concatenated(Uint8Array, old.when, added.rules, 0, n, added.length),
  };
}

type NumberColumn = Float64Array | Int32Array | Uint8Array;

/** `first` (or `n` of `missing`) then `second` (or `m` of `missing`), in one new typed array. */
function concatenated<T extends NumberColumn>(
  make: new (length: number) => T,
  first: T | undefined,
  second: T | undefined,
  missing: number,
  n = first?.length ?? 0,
  m = second?.length ?? 0,
): T {
  const column = new make(n + m);
  if (first === undefined) column.fill(missing, 0, n);
  else column.set(first.subarray(0, n));
  if (second === undefined) column.fill(missing, n);
  else column.set(second.subarray(0, m), n);
  return column;
}

/** `first` (`n` entries, or none) then `second` (`m` entries, or none), in one new array. */
function joined<T>(first: readonly T[] | undefined, n: number, second: readonly T[] | undefined, m: number): T[] {
  const column = new Array<T>(n + m);
  for (let i = 0; i < n; i++) column[i] = first?.[i] as T;
  for (let i = 0; i < m; i++) column[n + i] = second?.[i] as T;
  return column;
}

/**
 * The deps edges of the grown DAG: each old task's as they were, the spawner's dependents' that `joins` with
 * the added tasks after them, each added task's spawner then its own deps (a repeated one once);
 * `undefined` for a dependency that is no task or the task itself.
 */
function grownDeps(
  old: CsrGraph,
  n: number,
  spawner: number,
  specs: readonly TaskSpec[],
  depsOf: (spec: TaskSpec) => readonly string[],
  indexById: IdIndex,
  dependents: CsrGraph,
  joins: (dependent: number) => boolean,
): CsrGraph | undefined {
  const k = specs.length;
  // the spawner's dependents in task order that wait for the added tasks: each gets them after its own deps
  const joining = Int32Array.from(
    dependents.targets.subarray(dependents.start[spawner]!, dependents.start[spawner + 1]!).filter(joins),
  ).sort();
  const own = specs.map((spec) => depsOf(spec));
  const start = new Int32Array(n + k + 1);
  const targets = new Int32Array(old.targets.length + joining.length * k + k + own.reduce((sum, ids) => sum + ids.length, 0));
  let edges = 0;
  let copied = 0; // old edges copied so far
  let task = 0;
  for (const dependent of joining) {
    const end = old.start[dependent + 1]!;
    targets.set(old.targets.subarray(copied, end), edges);
    for (; task <= dependent; task++) start[task] = old.start[task]! + edges - copied;
    edges += end - copied;
    copied = end;
    for (let a = 0; a < k; a++) targets[edges++] = n + a;
  }
  targets.set(old.targets.subarray(copied), edges);
  for (; task < n; task++) start[task] = old.start[task]! + edges - copied;
  edges += old.targets.length - copied;
  for (let a = 0; a < k; a++) {
    const first = edges;
    start[n + a] = first;
    targets[edges++] = spawner;
    // a repeated dependency counts once: short lists are scanned, long ones use a set
    const seen = own[a]!.length > 16 ? new Set<number>([spawner]) : undefined;
    for (const id of own[a]!) {
      const dep = indexById.get(id);
      if (dep === undefined || dep === n + a) return undefined;
      if (seen === undefined ? targets.subarray(first, edges).includes(dep) : seen.has(dep)) continue;
      seen?.add(dep);
      targets[edges++] = dep;
    }
  }
  start[n + k] = edges;
  return { start, targets: edges === targets.length ? targets : targets.slice(0, edges) };
}
