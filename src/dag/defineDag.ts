import { type CsrGraph, topologicalOrder } from './cycles';
import { type DagIssue, DagValidationError, quoted } from './errors';
import { IdIndex } from './idIndex';
import { type DagSpec, dagSpecSchema, MAX_ID_LENGTH, type RetrySpec, type TaskDefaults, type TaskSpec, taskSpecSchema } from './schema';
import type { z } from 'zod';

/** A normalized retry policy: every field filled in. */
export interface RetryPolicy {
  /** Attempts in all, the first included (1 = no retry). */
  readonly attempts: number;
  /** Wait before the second attempt. */
  readonly backoffMs: number;
  /** Each later wait is the previous one times this. */
  readonly backoffFactor: number;
  /** No wait is longer than this. */
  readonly maxBackoffMs: number;
}

/** A task of a defined DAG: validated, with defaults applied. */
export interface Task {
  readonly id: string;
  /** Position of the task in `dag.tasks`; the key of every per-task index. */
  readonly index: number;
  readonly deps: readonly string[];
  /** Name of the agent that runs it. */
  readonly agent: string;
  readonly input: unknown;
  /** Per-attempt time limit; `undefined` falls back to the run's `taskTimeoutMs`. */
  readonly timeoutMs: number | undefined;
  readonly retry: RetryPolicy;
  readonly priority: number;
  readonly estimateMs: number | undefined;
}

/**
 * Immutable indexes built once per DAG and shared by every run of it, so a run never rescans
 * the graph: adjacency both ways in CSR form, in-degrees, a topological order and upward ranks.
 */
export interface DagIndex {
  /** Edges from a task to the tasks that depend on it. */
  readonly dependents: CsrGraph;
  /** Edges from a task to its dependencies (the same edges reversed). */
  readonly deps: CsrGraph;
  /** Number of dependencies of each task. */
  readonly inDegree: Int32Array;
  /** Tasks in an order where every dependency comes before its dependents. */
  readonly topologicalOrder: Int32Array;
  /**
   * Upward rank: the longest path from the task to the end of the DAG, itself included, in
   * `estimateMs` where tasks give it, else in tasks. Higher starts first (the critical path).
   */
  readonly rank: Float64Array;
  /** Tasks with no dependencies. */
  readonly roots: Int32Array;
  /** Each task's id, agent name and priority as flat arrays: hot paths read these, not the task objects. */
  readonly ids: readonly string[];
  /** Each task's agent name; built on first read (hot paths use `agentCodes`). */
  readonly agents: readonly string[];
  /**
   * Each task's agent as a small integer: `agentNames[agentCodes[task]]` is its name. Codes are
   * given in order of first use, so a DAG grown by spawning keeps the codes it had.
   */
  readonly agentCodes: Int32Array;
  /** The distinct agent names, by code. */
  readonly agentNames: readonly string[];
  readonly priority: Float64Array;
  /** Each task's input; empty when no task has one (reading it then gives `undefined`, as for a task without). */
  readonly inputs: readonly unknown[];
  readonly retries: readonly RetryPolicy[];
  /** Each task's own `timeoutMs`, NaN where it has none. */
  readonly timeoutMs: Float64Array;
  /** Each task's `estimateMs`, NaN where it has none. */
  readonly estimateMs: Float64Array;
}

/** A validated DAG, ready to run any number of times. Create it with {@link defineDag}. */
export interface Dag {
  readonly id: string;
  /** The spec's `defaults`, applied to every task, spawned ones included. */
  readonly defaults: TaskDefaults | undefined;
  /** Number of tasks. */
  readonly size: number;
  /**
   * The tasks as objects, in definition order. Built on first access: the scheduler itself
   * reads the flat arrays of `index`, so large DAGs never pay for a million objects.
   */
  readonly tasks: readonly Task[];
  readonly index: DagIndex;
  /** Index of the task with this id, or `undefined`. */
  taskIndex(id: string): number | undefined;
}

const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  attempts: 1,
  backoffMs: 0,
  backoffFactor: 2,
  maxBackoffMs: Number.POSITIVE_INFINITY,
});

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
  const head = dagSpecSchema.safeParse(spec);
  if (!head.success) {
    issues.push(...zodIssues(head.error, []));
    const taskList: unknown = (spec as { tasks?: unknown } | null | undefined)?.tasks;
    if (!Array.isArray(taskList)) throw new DagValidationError(issues, dagIdOf(spec));
  }
  const rawTasks = (spec as { tasks: readonly unknown[] }).tasks;
  const defaults = head.success ? head.data.defaults : undefined;

  // Tasks are stored as columns, not objects: a million task objects and their deps arrays
  // would double the DAG's memory and the work of every major GC. `dag.tasks` builds the
  // objects on first use.
  const columns = new TaskColumns(rawTasks.length);
  const indexById = new IdIndex(columns.ids, rawTasks.length);
  const specIndexOf = new Int32Array(rawTasks.length); // position in spec.tasks of each accepted task, for paths
  // the deps of the accepted tasks that failed validation (usable ids only); valid tasks' deps are
  // read again from the spec itself when the graph is built, rather than kept in a second array
  const fallbackDeps = new Map<number, readonly string[]>();
  for (let i = 0; i < rawTasks.length; i++) {
    const parsed = taskSpecSchema.safeParse(rawTasks[i]);
    if (!parsed.success) issues.push(...zodIssues(parsed.error, ['tasks', i]));
    // An invalid task still takes part in the graph checks when its id and deps are usable, so
    // an unknown dependency or a cycle is reported together with its bad values.
    const t = parsed.success ? parsed.data : usableIdAndDeps(rawTasks[i]);
    if (t === undefined) continue;
    const first = indexById.get(t.id);
    if (first !== undefined) {
      issues.push({
        path: ['tasks', i, 'id'],
        code: 'duplicate-id',
        message: `duplicate task id ${quoted(t.id)} (first used by tasks[${specIndexOf[first]}])`,
      });
      continue;
    }
    const agent = t.agent ?? defaults?.agent;
    if (agent === undefined) {
      issues.push({
        path: ['tasks', i, 'agent'],
        code: 'invalid-value',
        message: `task ${quoted(t.id)} names no agent: set \`agent\` on the task or \`defaults.agent\``,
      });
    }
    specIndexOf[columns.length] = i;
    const index = columns.length;
    if (!parsed.success) fallbackDeps.set(index, t.deps ?? NO_DEPS);
    columns.add(
      t.id,
      agent ?? '',
      t.input,
      t.timeoutMs ?? defaults?.timeoutMs,
      normalizeRetry(t.retry ?? defaults?.retry),
      t.priority ?? defaults?.priority ?? 0,
      t.estimateMs,
    );
    indexById.add(index);
  }

  columns.trim();
  const n = columns.length;
  // the caller's own deps arrays (zod just checked them), not zod's copies: those would live until
  // the graph is built, get promoted by the GC, and double the peak memory at 1M tasks
  const depsOf = (task: number): readonly string[] =>
    (fallbackDeps.size > 0 ? fallbackDeps.get(task) : undefined) ?? (rawTasks[specIndexOf[task]!] as { deps?: readonly string[] }).deps ?? NO_DEPS;
  const depsGraph = buildDepsGraph(columns.ids, depsOf, indexById, specIndexOf, issues);
  const inDegree = new Int32Array(n);
  for (let i = 0; i < n; i++) inDegree[i] = depsGraph.start[i + 1]! - depsGraph.start[i]!;
  const dependents = reverse(depsGraph, n);
  const topo = topologicalOrder(dependents, depsGraph, inDegree);
  for (const cycle of topo.cycles) {
    const names = cycle.map((i) => columns.ids[i]!);
    issues.push({
      path: ['tasks', specIndexOf[cycle[0]!]!, 'deps'],
      code: 'cycle',
      message: `cycle: ${cyclePath(names)} (each task depends on the next)`,
      cycle: Object.freeze(names),
    });
  }
  if (issues.length > 0) throw new DagValidationError(issues, dagIdOf(spec));

  const agentCodes = columns.agentCodes.subarray(0, n);
  const agentNames = Object.freeze(columns.agentNames);
  let agents: readonly string[] | undefined;
  const roots: number[] = [];
  for (let i = 0; i < n; i++) if (inDegree[i] === 0) roots.push(i);
  const index: DagIndex = Object.freeze({
    dependents,
    deps: depsGraph,
    inDegree,
    topologicalOrder: topo.order,
    rank: upwardRanks(columns.estimateMs.subarray(0, n), dependents, topo.order),
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
  });
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

const NO_DEPS: readonly string[] = Object.freeze([]);

/** Most tasks a cycle message names; a 100,000-task cycle shows its ends and its length. */
const CYCLE_NAMES_SHOWN = 60;

/** `a -> b -> c -> a`, shortened in the middle for long cycles. */
function cyclePath(names: readonly string[]): string {
  const ids = names.map((name) => (name.length <= 80 ? name : quoted(name)));
  if (ids.length <= CYCLE_NAMES_SHOWN) return [...ids, ids[0]].join(' -> ');
  const half = CYCLE_NAMES_SHOWN / 2;
  return (
    [...ids.slice(0, half), `… ${ids.length - CYCLE_NAMES_SHOWN} more …`, ...ids.slice(-half), ids[0]].join(' -> ') +
    ` (${ids.length} tasks)`
  );
}

/** The id and string deps of a task that failed validation, when they are usable. */
function usableIdAndDeps(raw: unknown): ({ id: string; deps: string[] } & Partial<Omit<TaskSpec, 'id' | 'deps'>>) | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { id, deps } = raw as { id?: unknown; deps?: unknown };
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) return undefined;
  return { id, deps: Array.isArray(deps) ? deps.filter((d): d is string => typeof d === 'string') : [], agent: '' };
}

/**
 * The per-task fields while a DAG is being defined, one array per field, each allocated once at
 * the spec's length: an array grown by `push` leaves every smaller backing store behind as
 * garbage, and at a million tasks those add up to hundreds of MB of peak memory.
 */
class TaskColumns {
  length = 0;
  readonly ids: string[];
  readonly agentCodes: Int32Array;
  readonly agentNames: string[] = [];
  private readonly codeOfAgent = new Map<string, number>();
  /** Made on the first task with an input: most DAGs (and the big ones) give none. */
  inputs: unknown[] | undefined;
  readonly retries: RetryPolicy[];
  readonly priority: Float64Array;
  /** NaN where the task has none. */
  readonly timeoutMs: Float64Array;
  /** NaN where the task has none. */
  readonly estimateMs: Float64Array;

  constructor(readonly capacity: number) {
    this.ids = new Array<string>(capacity);
    this.agentCodes = new Int32Array(capacity);
    this.retries = new Array<RetryPolicy>(capacity);
    this.priority = new Float64Array(capacity);
    this.timeoutMs = new Float64Array(capacity);
    this.estimateMs = new Float64Array(capacity);
  }

  add(
    id: string,
    agent: string,
    input: unknown,
    timeoutMs: number | undefined,
    retry: RetryPolicy,
    priority: number,
    estimateMs: number | undefined,
  ): void {
    const i = this.length++;
    this.ids[i] = id;
    let code = this.codeOfAgent.get(agent);
    if (code === undefined) {
      code = this.agentNames.length;
      this.agentNames.push(agent);
      this.codeOfAgent.set(agent, code);
    }
    this.agentCodes[i] = code;
    if (input !== undefined) (this.inputs ??= new Array<unknown>(this.capacity))[i] = input;
    this.retries[i] = retry;
    this.priority[i] = priority;
    this.timeoutMs[i] = timeoutMs ?? Number.NaN;
    this.estimateMs[i] = estimateMs ?? Number.NaN;
  }

  /** Drops the unused tail (tasks that were rejected); a no-op for a valid spec. */
  trim(): void {
    if (this.length === this.capacity) return;
    this.ids.length = this.length;
    if (this.inputs !== undefined) this.inputs.length = this.length;
    this.retries.length = this.length;
  }
}

/** The task objects of `dag.tasks`, built from the columns when first asked for. */
function materializeTasks(index: DagIndex): readonly Task[] {
  const { start, targets } = index.deps;
  const tasks: Task[] = new Array<Task>(index.ids.length);
  for (let i = 0; i < index.ids.length; i++) {
    const deps: string[] = [];
    for (let e = start[i]!; e < start[i + 1]!; e++) deps.push(index.ids[targets[e]!]!);
    const timeoutMs = index.timeoutMs[i]!;
    const estimateMs = index.estimateMs[i]!;
    tasks[i] = Object.freeze({
      id: index.ids[i]!,
      index: i,
      deps: Object.freeze(deps),
      agent: index.agentNames[index.agentCodes[i]!]!,
      input: index.inputs[i],
      timeoutMs: Number.isNaN(timeoutMs) ? undefined : timeoutMs,
      retry: index.retries[i]!,
      priority: index.priority[i]!,
      estimateMs: Number.isNaN(estimateMs) ? undefined : estimateMs,
    });
  }
  return Object.freeze(tasks);
}

const definedDags = new WeakSet<object>();

/** Whether `value` is a DAG returned by {@link defineDag}. */
export function isDag(value: unknown): value is Dag {
  return typeof value === 'object' && value !== null && definedDags.has(value);
}

function normalizeRetry(retry: RetrySpec | undefined): RetryPolicy {
  if (retry === undefined) return DEFAULT_RETRY;
  return Object.freeze({
    attempts: retry.attempts,
    backoffMs: retry.backoffMs ?? DEFAULT_RETRY.backoffMs,
    backoffFactor: retry.backoffFactor ?? DEFAULT_RETRY.backoffFactor,
    maxBackoffMs: retry.maxBackoffMs ?? DEFAULT_RETRY.maxBackoffMs,
  });
}

/** Edges from each task to its known dependencies; unknown and self dependencies become issues. */
function buildDepsGraph(
  ids: readonly string[],
  depsOf: (task: number) => readonly string[],
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
  for (let i = 0; i < n; i++) {
    const deps = depsOf(i);
    const taskId = ids[i]!;
    const first = edges;
    start[i] = first;
    // a repeated dependency counts once: short lists are scanned, long ones use a set
    const seen = deps.length > 16 ? new Set<number>() : undefined;
    for (let d = 0; d < deps.length; d++) {
      const depId = deps[d]!;
      const dep = indexById.get(depId);
      if (dep === undefined) {
        issues.push({
          path: ['tasks', specIndexOf[i]!, 'deps', d],
          code: 'unknown-dependency',
          message: `task ${quoted(taskId)} depends on ${quoted(String(depId))}, which is not a task of this DAG`,
        });
      } else if (dep === i) {
        issues.push({
          path: ['tasks', specIndexOf[i]!, 'deps', d],
          code: 'self-dependency',
          message: `task ${quoted(taskId)} depends on itself`,
        });
      } else if (seen === undefined ? !includesFrom(targets, first, edges, dep) : !seen.has(dep)) {
        seen?.add(dep);
        targets[edges++] = dep;
      }
    }
  }
  start[n] = edges;
  return { start, targets: edges === listed ? targets : targets.slice(0, edges) };
}

function includesFrom(values: Int32Array, from: number, to: number, value: number): boolean {
  for (let k = from; k < to; k++) if (values[k] === value) return true;
  return false;
}

function reverse(graph: CsrGraph, n: number): CsrGraph {
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

/** Longest remaining path per task, computed dependents-first along the reverse topological order. */
function upwardRanks(estimates: Float64Array, dependents: CsrGraph, order: Int32Array): Float64Array {
  let estimated = 0;
  let estimateSum = 0;
  for (const estimate of estimates) {
    if (!Number.isNaN(estimate)) {
      estimated++;
      estimateSum += estimate;
    }
  }
  // Tasks without an estimate weigh the mean of the given ones, so mixed DAGs stay comparable.
  const fallback = estimated === 0 ? 1 : estimateSum / estimated;
  const rank = new Float64Array(estimates.length);
  for (let k = order.length - 1; k >= 0; k--) {
    const i = order[k]!;
    let longest = 0;
    for (let e = dependents.start[i]!; e < dependents.start[i + 1]!; e++) {
      const r = rank[dependents.targets[e]!]!;
      if (r > longest) longest = r;
    }
    const estimate = estimates[i]!;
    rank[i] = (Number.isNaN(estimate) ? fallback : estimate) + longest;
  }
  return rank;
}

function zodIssues(error: z.ZodError, prefix: readonly (string | number)[]): DagIssue[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    let message = issue.message;
    if (issue.code === 'unrecognized_keys')
      message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map(quoted).join(', ')}`;
    return { path, code: 'invalid-value' as const, message };
  });
}

function dagIdOf(spec: unknown): string | undefined {
  const id: unknown = (spec as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}
