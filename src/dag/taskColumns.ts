/**
 * The per-task fields as columns (one array per field) while a DAG is defined, the retry policy
 * with its defaults filled in, and the `Task` objects built back from the columns on demand.
 * Stores what it is given (a JSON-safe input as a frozen copy): checking the values is
 * `validateTasks`'s work.
 */
import { toJsonSafe } from '../jsonSafe';
import type { RetrySpec } from './schema';
import { MAX_TIMER_MS, TRIGGER_RULES, type TriggerRule } from './specLimits';
import { limitNamesOf, type LimitUnits, ownUnitsOf, type TaskLimits, unitsIn } from './taskLimits';
import type { DagIndex, RetryPolicy, Task } from './types';

const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  attempts: 1,
  backoffMs: 0,
  backoffFactor: 2,
  // not Infinity: a growing backoff past the longest timer Node keeps would fire after 1 ms
  maxBackoffMs: MAX_TIMER_MS,
});

/** A retry policy with every field filled in; the shared default when the task gives none. */
export function normalizeRetry(retry: RetrySpec | undefined): RetryPolicy {
  if (retry === undefined) return DEFAULT_RETRY;
  return Object.freeze({
    attempts: retry.attempts,
    backoffMs: retry.backoffMs ?? DEFAULT_RETRY.backoffMs,
    backoffFactor: retry.backoffFactor ?? DEFAULT_RETRY.backoffFactor,
    maxBackoffMs: retry.maxBackoffMs ?? DEFAULT_RETRY.maxBackoffMs,
  });
}

/**
 * The input agents are handed: a frozen deep copy of one that is JSON-safe (what a journal would
 * give back), as spawned inputs and outputs are, so that an agent changing it changes nothing
 * for the next attempt or the next run; any other (a `Date`, a client object: a run without a
 * journal takes them) as it is.
 */
function handedInput(input: unknown, copies: WeakMap<object, unknown>): unknown {
  if (typeof input !== 'object' || input === null) return input;
  // one copy for the tasks that share an input object (a config given to thousands of tasks)
  if (copies.has(input)) return copies.get(input);
  const copy = toJsonSafe(input);
  const handed = copy.ok ? copy.value : input;
  copies.set(input, handed);
  return handed;
}

/** The per-task fields a DAG's index is made of (see {@link TaskColumns}), the first `length` of each. */
export type ColumnArrays = Pick<
  TaskColumns,
  | 'length'
  | 'ids'
  | 'agentCodes'
  | 'agentNames'
  | 'inputs'
  | 'retries'
  | 'priority'
  | 'timeoutMs'
  | 'estimateMs'
  | 'weights'
  | 'limits'
  | 'limitUnits'
  | 'rules'
>;

/**
 * The per-task fields while a DAG is being defined, one array per field, each allocated once at
 * the spec's length: an array grown by `push` leaves every smaller backing store behind as
 * garbage, and at a million tasks those add up to hundreds of MB of peak memory.
 */
export class TaskColumns {
  length = 0;
  readonly ids: string[];
  readonly agentCodes: Int32Array;
  readonly agentNames: string[] = [];
  private readonly codeOfAgent = new Map<string, number>();
  private readonly limitLists = new Map<string, readonly string[]>();
  private readonly unitRecords = new Map<string, LimitUnits>();
  private readonly inputCopies = new WeakMap<object, unknown>();
  /** Made on the first task with an input: most DAGs (and the big ones) give none. */
  inputs: unknown[] | undefined;
  readonly retries: RetryPolicy[];
  readonly priority: Float64Array;
  /** NaN where the task has none. */
  readonly timeoutMs: Float64Array;
  /** NaN where the task has none. */
  readonly estimateMs: Float64Array;
  /** Made on the first task that weighs more than 1, has limits or a trigger rule: most have none. */
  weights: Int32Array | undefined;
  limits: (readonly string[] | undefined)[] | undefined;
  /** Made on the first task that gives its limits as a mapping of names to units. */
  limitUnits: (LimitUnits | undefined)[] | undefined;
  rules: Uint8Array | undefined;

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
    if (input !== undefined) (this.inputs ??= new Array<unknown>(this.capacity))[i] = handedInput(input, this.inputCopies);
    this.retries[i] = retry;
    this.priority[i] = priority;
    this.timeoutMs[i] = timeoutMs ?? Number.NaN;
    this.estimateMs[i] = estimateMs ?? Number.NaN;
  }

  /** The scheduling extras of the task just added, when it has any. */
  addExtras(weight: number | undefined, limits: TaskLimits | undefined, when: TriggerRule | undefined): void {
    const i = this.length - 1;
    if (weight !== undefined && weight !== 1) (this.weights ??= new Int32Array(this.capacity).fill(1))[i] = weight;
    const names = limitNamesOf(limits);
    if (names.length > 0) {
      (this.limits ??= new Array<readonly string[] | undefined>(this.capacity))[i] = this.sharedLimits(names);
      const own = ownUnitsOf(limits!);
      if (own !== undefined) (this.limitUnits ??= new Array<LimitUnits | undefined>(this.capacity))[i] = this.sharedUnits(own);
    }
    if (when !== undefined) (this.rules ??= new Uint8Array(this.capacity))[i] = TRIGGER_RULES.indexOf(when) + 1;
  }

  /**
   * One frozen list per distinct list of limit names: a DAG has a few (`['api']` on 100k
   * tasks), and one array per task would be 100k arrays kept for the DAG's life.
   */
  private sharedLimits(limits: readonly string[]): readonly string[] {
    const key = JSON.stringify(limits); // unambiguous whatever the names hold
    let shared = this.limitLists.get(key);
    if (shared === undefined) {
      shared = Object.freeze([...limits]);
      this.limitLists.set(key, shared);
    }
    return shared;
  }

  /** One record per distinct mapping of limit units, as for lists of names. */
  private sharedUnits(own: LimitUnits): LimitUnits {
    const key = JSON.stringify(Object.entries(own));
    let shared = this.unitRecords.get(key);
    if (shared === undefined) {
      shared = own;
      this.unitRecords.set(key, shared);
    }
    return shared;
  }

  /** Drops the unused tail (tasks that were rejected); a no-op for a valid spec. */
  trim(): void {
    if (this.length === this.capacity) return;
    this.ids.length = this.length;
    if (this.inputs !== undefined) this.inputs.length = this.length;
    if (this.limits !== undefined) this.limits.length = this.length;
    if (this.limitUnits !== undefined) this.limitUnits.length = this.length;
    this.retries.length = this.length;
  }
}

/** The task objects of `dag.tasks`, built from the columns when first asked for. */
export function materializeTasks(index: DagIndex): readonly Task[] {
  const { start, targets } = index.deps;
  const tasks: Task[] = new Array<Task>(index.ids.length);
  for (let i = 0; i < index.ids.length; i++) {
    const deps: string[] = [];
    for (let e = start[i]!; e < start[i + 1]!; e++) deps.push(index.ids[targets[e]!]!);
    const timeoutMs = index.timeoutMs[i]!;
    const estimateMs = index.estimateMs[i]!;
    const weight = index.weight?.[i] ?? 1;
    const limits = index.limits?.[i] ?? NO_LIMITS;
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
      weight,
      limits,
      limitUnits: limitUnitsOf(limits, index.limitUnits?.[i], weight),
      when: ruleOf(index, i),
    });
  }
  return Object.freeze(tasks);
}

const NO_LIMITS: readonly string[] = Object.freeze([]);
const NO_UNITS: Readonly<Record<string, number>> = Object.freeze({});

/** The units a task takes of each limit it names, as a plain record (`Task.limitUnits`). */
function limitUnitsOf(names: readonly string[], own: LimitUnits | undefined, weight: number): Readonly<Record<string, number>> {
  if (names.length === 0) return NO_UNITS;
  // entries, not assignments: a limit may be called `__proto__`
  return Object.freeze(Object.fromEntries(names.map((name) => [name, unitsIn(own, name, weight)])));
}

/** A task's trigger rule, `undefined` when it gave none. */
export function ruleOf(index: DagIndex, task: number): TriggerRule | undefined {
  const code = index.when?.[task] ?? 0;
  return code === 0 ? undefined : TRIGGER_RULES[code - 1];
}
