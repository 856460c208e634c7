/**
 * The public shapes of a defined DAG: its tasks, their retry policy, and the indexes every run
 * reads. Types only: building and checking them is `defineDag`'s work, not this module's.
 */
import type { CsrGraph } from './csr';
import type { TaskDefaults, TriggerRule } from './schema';
import type { LimitUnits } from './taskLimits';

/** A normalized retry policy: every field filled in. */
export interface RetryPolicy {
  /** Attempts in all, the first included (1 = no retry). */
  readonly attempts: number;
  /** Wait before the second attempt. */
  readonly backoffMs: number;
  /** Each later wait is the previous one times this. */
  readonly backoffFactor: number;
  /** No wait is longer than this; without one, the longest timer Node keeps (`MAX_TIMER_MS`, about 24.8 days). */
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
  /** Units it takes of `maxConcurrency`, of its agent's capacity, and of each limit it names in a list. */
  readonly weight: number;
  /** Names of the limits it needs room in, in the order given. */
  readonly limits: readonly string[];
  /** The units it takes of each limit it needs: its own count where it gave a mapping, else its weight. */
  readonly limitUnits: Readonly<Record<string, number>>;
  /** What its dependencies must have done; `undefined` follows the run's failure policy. */
  readonly when: TriggerRule | undefined;
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
  /** Each task's weight; absent when every task weighs 1 (the usual case). */
  readonly weight?: Int32Array;
  /** Each task's limit names (undefined for a task with none); absent when no task has limits. */
  readonly limits?: readonly (readonly string[] | undefined)[];
  /**
   * Each task's own units of its limits, for the tasks that gave them as a mapping (undefined for
   * the others: they take their weight); absent when no task did.
   */
  readonly limitUnits?: readonly (LimitUnits | undefined)[];
  /** Each task's trigger rule as an index into `TRIGGER_RULES` plus 1 (0: none given); absent when no task has one. */
  readonly when?: Uint8Array;
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
