import type { DagSpec, RetrySpec, TaskSpec } from './schema';
import { normalizeRetry, ruleOf } from './taskColumns';
import type { Dag, DagIndex, RetryPolicy, Task } from './types';

/**
 * A defined DAG back as a spec: what a journal stores so a run can be resumed without the file
 * it came from, and what `extendDag` grows. `defineDag(dagSpecOf(dag))` gives the same tasks in
 * the same order with the same values. Builds plain objects only (O(tasks)); checks nothing.
 */

/** The spec of one task, with its defaults written out; `extraDeps` are added to its deps. */
export function taskSpecOf(task: Task, extraDeps: readonly string[] = []): TaskSpec {
  return {
    id: task.id,
    deps: extraDeps.length === 0 ? task.deps : [...task.deps, ...extraDeps],
    agent: task.agent,
    ...(task.input === undefined ? {} : { input: task.input }),
    ...(task.timeoutMs === undefined ? {} : { timeoutMs: task.timeoutMs }),
    retry: retrySpecOf(task.retry),
    priority: task.priority,
    ...(task.estimateMs === undefined ? {} : { estimateMs: task.estimateMs }),
    ...(task.weight === 1 ? {} : { weight: task.weight }),
    ...(task.limits.length === 0 ? {} : { limits: task.limits }),
    ...(task.when === undefined ? {} : { when: task.when }),
  };
}

/**
 * The spec of a whole DAG, read from its index (no task objects are built): each task's fields
 * written only where they differ from what the DAG's `defaults` give, so the spec stays small
 * and `defineDag` fills in the same values again.
 */
export function dagSpecOf(dag: Dag): DagSpec {
  const specs = new TaskSpecs(dag);
  const tasks = new Array<TaskSpec>(dag.size);
  for (let i = 0; i < dag.size; i++) tasks[i] = specs.specOf(i);
  return dag.defaults === undefined ? { id: dag.id, tasks } : { id: dag.id, tasks, defaults: dag.defaults };
}

/**
 * The task specs of `dagSpecOf`, one task at a time, and which tasks write nothing but their
 * id, deps and agent (the plain ones): what a writer of the spec's JSON text needs to put most
 * tasks' text together without building their objects (the journal's header).
 */
export class TaskSpecs {
  private readonly index: DagIndex;
  private readonly defaults: Dag['defaults'];
  private readonly defaultRetry: RetryPolicy;
  private readonly defaultPriority: number;

  constructor(dag: Dag) {
    this.index = dag.index;
    this.defaults = dag.defaults;
    this.defaultRetry = normalizeRetry(dag.defaults?.retry);
    this.defaultPriority = dag.defaults?.priority ?? 0;
  }

  /** The agent task `i` names in its spec; `undefined` when it is the default one. */
  agentOf(i: number): string | undefined {
    const agent = this.index.agentNames[this.index.agentCodes[i]!]!;
    return agent === this.defaults?.agent ? undefined : agent;
  }

  /** Whether the spec of task `i` has no field but `id`, `deps` and `agent`. */
  isPlain(i: number): boolean {
    const index = this.index;
    const timeoutMs = index.timeoutMs[i]!;
    const weight = index.weight?.[i] ?? 1;
    const limits = index.limits?.[i];
    return (
      index.inputs[i] === undefined &&
      (Number.isNaN(timeoutMs) || timeoutMs === this.defaults?.timeoutMs) &&
      sameRetry(index.retries[i]!, this.defaultRetry) &&
      index.priority[i] === this.defaultPriority &&
      Number.isNaN(index.estimateMs[i]!) &&
      weight === 1 &&
      (limits === undefined || limits.length === 0) &&
      ruleOf(index, i) === undefined
    );
  }

  /** The spec of task `i`. */
  specOf(i: number): TaskSpec {
    const index = this.index;
    const defaults = this.defaults;
    const spec = plainTaskSpec(index.ids[i]!, depsOf(index, i), this.agentOf(i));
    const input = index.inputs[i];
    if (input !== undefined) spec.input = input;
    const timeoutMs = index.timeoutMs[i]!;
    if (!Number.isNaN(timeoutMs) && timeoutMs !== defaults?.timeoutMs) spec.timeoutMs = timeoutMs;
    const retry = index.retries[i]!;
    if (!sameRetry(retry, this.defaultRetry)) spec.retry = retrySpecOf(retry);
    if (index.priority[i] !== this.defaultPriority) spec.priority = index.priority[i]!;
    const estimateMs = index.estimateMs[i]!;
    if (!Number.isNaN(estimateMs)) spec.estimateMs = estimateMs;
    const weight = index.weight?.[i] ?? 1;
    if (weight !== 1) spec.weight = weight;
    const limits = index.limits?.[i];
    if (limits !== undefined && limits.length > 0) spec.limits = limits;
    const when = ruleOf(index, i);
    if (when !== undefined) spec.when = when;
    return spec;
  }
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * `{ id, deps, agent }` with the fields that are given, made by one literal of that shape. Why:
 * a spec object grown a field at a time keeps its fields out of line, one more allocation a task.
 */
function plainTaskSpec(id: string, deps: string[] | undefined, agent: string | undefined): Writable<TaskSpec> {
  if (deps === undefined) return agent === undefined ? { id } : { id, agent };
  return agent === undefined ? { id, deps } : { id, deps, agent };
}

/** The ids of a task's dependencies, `undefined` when it has none (the array sized once). */
function depsOf(index: DagIndex, task: number): string[] | undefined {
  const { start, targets } = index.deps;
  const first = start[task]!;
  const count = start[task + 1]! - first;
  if (count === 0) return undefined;
  const deps = new Array<string>(count);
  for (let k = 0; k < count; k++) deps[k] = index.ids[targets[first + k]!]!;
  return deps;
}

function sameRetry(a: RetryPolicy, b: RetryPolicy): boolean {
  return a === b || (a.attempts === b.attempts && a.backoffMs === b.backoffMs && a.backoffFactor === b.backoffFactor && a.maxBackoffMs === b.maxBackoffMs);
}

function retrySpecOf(retry: RetryPolicy): RetrySpec {
  return {
    attempts: retry.attempts,
    backoffMs: retry.backoffMs,
    backoffFactor: retry.backoffFactor,
    ...(Number.isFinite(retry.maxBackoffMs) ? { maxBackoffMs: retry.maxBackoffMs } : {}),
  };
}
