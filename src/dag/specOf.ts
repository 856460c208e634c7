import type { DagSpec, RetrySpec, TaskSpec } from './schema';
import { normalizeRetry, ruleOf } from './taskColumns';
import { sameLimits, type TaskLimits } from './taskLimits';
import type { Dag, DagIndex, RetryPolicy } from './types';

/**
 * A defined DAG back as a spec: what a journal stores so a run can be resumed without the file
 * it came from, and what `extendDag` grows. `defineDag(dagSpecOf(dag))` gives the same tasks in
 * the same order with the same values. Builds plain objects only (O(tasks)); checks nothing.
 */

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
  private readonly defaultWeight: number;

  constructor(dag: Dag) {
    this.index = dag.index;
    this.defaults = dag.defaults;
    this.defaultRetry = normalizeRetry(dag.defaults?.retry);
    this.defaultPriority = dag.defaults?.priority ?? 0;
    this.defaultWeight = dag.defaults?.weight ?? 1;
  }

  /** The agent task `i` names in its spec; `undefined` when it is the default one. */
  agentOf(i: number): string | undefined {
    const agent = this.index.agentNames[this.index.agentCodes[i]!]!;
    return agent === this.defaults?.agent ? undefined : agent;
  }

  /** Whether the spec of task `i` has no field but `id`, `deps` and `agent`. */
  isPlain(i: number): boolean {
    return (
      this.index.inputs[i] === undefined &&
      this.timeoutOf(i) === undefined &&
      this.retryOf(i) === undefined &&
      this.priorityOf(i) === undefined &&
      this.estimateOf(i) === undefined &&
      this.weightOf(i) === undefined &&
      this.limitsOf(i) === undefined &&
      ruleOf(this.index, i) === undefined
    );
  }

  /** The spec of task `i`, with `extraDeps` added to its deps. */
  specOf(i: number, extraDeps: readonly string[] = NO_NAMES): TaskSpec {
    const index = this.index;
    const deps = depsOf(index, i);
    const spec = plainTaskSpec(index.ids[i]!, extraDeps.length === 0 ? deps : [...(deps ?? []), ...extraDeps], this.agentOf(i));
    const input = index.inputs[i];
    if (input !== undefined) spec.input = input;
    const timeoutMs = this.timeoutOf(i);
    if (timeoutMs !== undefined) spec.timeoutMs = timeoutMs;
    const retry = this.retryOf(i);
    if (retry !== undefined) spec.retry = retrySpecOf(retry);
    const priority = this.priorityOf(i);
    if (priority !== undefined) spec.priority = priority;
    const estimateMs = this.estimateOf(i);
    if (estimateMs !== undefined) spec.estimateMs = estimateMs;
    const weight = this.weightOf(i);
    if (weight !== undefined) spec.weight = weight;
    const limits = this.limitsOf(i);
    if (limits !== undefined) spec.limits = limits;
    const when = ruleOf(index, i);
    if (when !== undefined) spec.when = when;
    return spec;
  }

  // each field of task `i` as its spec writes it: `undefined` where the defaults give it

  private timeoutOf(i: number): number | undefined {
    const timeoutMs = this.index.timeoutMs[i]!;
    return Number.isNaN(timeoutMs) || timeoutMs === this.defaults?.timeoutMs ? undefined : timeoutMs;
  }

  private retryOf(i: number): RetryPolicy | undefined {
    const retry = this.index.retries[i]!;
    return sameRetry(retry, this.defaultRetry) ? undefined : retry;
  }

  private priorityOf(i: number): number | undefined {
    const priority = this.index.priority[i]!;
    return priority === this.defaultPriority ? undefined : priority;
  }

  private estimateOf(i: number): number | undefined {
    const estimateMs = this.index.estimateMs[i]!;
    return Number.isNaN(estimateMs) ? undefined : estimateMs;
  }

  private weightOf(i: number): number | undefined {
    const weight = this.index.weight?.[i] ?? 1;
    return weight === this.defaultWeight ? undefined : weight;
  }

  /** `[]` too, where the defaults give limits the task does without; the mapping form where the task gave it. */
  private limitsOf(i: number): TaskLimits | undefined {
    const names = this.index.limits?.[i] ?? NO_NAMES;
    const own = this.index.limitUnits?.[i];
    return sameLimits(names, own, this.defaults?.limits) ? undefined : (own ?? names);
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
  return (
    a === b ||
    (a.attempts === b.attempts && a.backoffMs === b.backoffMs && a.backoffFactor === b.backoffFactor && a.maxBackoffMs === b.maxBackoffMs)
  );
}

function retrySpecOf(retry: RetryPolicy): RetrySpec {
  return {
    attempts: retry.attempts,
    backoffMs: retry.backoffMs,
    backoffFactor: retry.backoffFactor,
    ...(Number.isFinite(retry.maxBackoffMs) ? { maxBackoffMs: retry.maxBackoffMs } : {}),
  };
}

const NO_NAMES: readonly string[] = [];
