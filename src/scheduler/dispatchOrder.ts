import type { CsrGraph } from '../dag/csr';

/**
 * The dispatch order of a DAG: every task's place in the order ready tasks start in. Higher
 * effective priority first (a task inherits the priority of what depends on it), then higher
 * upward rank (the critical path), then the lower index (the DAG's own order), so equal tasks
 * run FIFO-ish and the order is deterministic. It is a property of the DAG, computed once per DAG
 * and shared by its runs; it holds no ready tasks (the ready queues do).
 */

/** Every task's place in the dispatch order, and the task at each place. */
export interface DispatchOrder {
  /**
   * `keys[2 * task]` is the task's position (0 starts first), `keys[2 * task + 1]` the code of
   * its ready queue (`agentCodes`: a run gives its dispatch class's): what queueing a ready task reads, side by side (one cache miss instead of two at a
   * million tasks).
   */
  readonly keys: Int32Array;
  /** `taskAt[position]`: the task at each position. */
  readonly taskAt: Int32Array;
}

/** The key arrays an order is computed from (a DAG's index has them). */
export interface OrderKeys {
  readonly priority: Float64Array;
  readonly rank: Float64Array;
  /** Each task's ready-queue code (a run's dispatch class of each task); all 0 when absent. */
  readonly agentCodes?: Int32Array;
  /** With `topologicalOrder`: lets a task inherit the priority of the tasks that depend on it. */
  readonly dependents?: CsrGraph;
  readonly topologicalOrder?: Int32Array;
}

const orders = new WeakMap<Float64Array, DispatchOrder>();
/** Each DAG's effective priorities, by its `rank` array as its order is (see {@link effectivePriorities}). */
const effectives = new WeakMap<Float64Array, Float64Array>();

/**
 * The dispatch order of a DAG's tasks, computed once per DAG (cached by its `rank` array, which
 * every DAG index has its own of). A counting sort in O(tasks) when priorities are all equal and
 * ranks are whole task counts (no `estimateMs`: the usual case), else a comparison sort. A
 * task's priority counts as at least that of every task depending on it (see
 * {@link inheritedPriorities}).
 */
export function dispatchOrder(keys: OrderKeys): DispatchOrder {
  let order = orders.get(keys.rank);
  if (order === undefined) {
    const effective = { ...keys, priority: effectivePriorities(keys) };
    const taskAt = countingOrder(effective) ?? sortedOrder(effective);
    const interleaved = new Int32Array(2 * taskAt.length);
    for (let at = 0; at < taskAt.length; at++) {
      const task = taskAt[at]!;
      interleaved[2 * task] = at;
      interleaved[2 * task + 1] = keys.agentCodes?.[task] ?? 0;
    }
    order = { keys: interleaved, taskAt };
    orders.set(keys.rank, order);
  }
  return order;
}

/** The tasks in dispatch order, by a counting sort; `undefined` when the keys do not allow one. */
function countingOrder({ priority, rank }: OrderKeys): Int32Array | undefined {
  const n = rank.length;
  let maxRank = 0;
  for (let task = 0; task < n; task++) {
    const r = rank[task]!;
    if (priority[task] !== priority[0] || !Number.isInteger(r) || r < 0 || r > n) return undefined;
    if (r > maxRank) maxRank = r;
  }
  // starts[k]: first position of the tasks of rank maxRank - k; filled in index order (stable)
  const starts = new Int32Array(maxRank + 2);
  for (let task = 0; task < n; task++) starts[maxRank - rank[task]! + 1]!++;
  for (let k = 1; k < starts.length; k++) starts[k]! += starts[k - 1]!;
  const taskAt = new Int32Array(n);
  for (let task = 0; task < n; task++) taskAt[starts[maxRank - rank[task]!]!++] = task;
  return taskAt;
}

/** The tasks in dispatch order, by a comparison sort. */
function sortedOrder({ priority, rank }: OrderKeys): Int32Array {
  const tasks = Array.from({ length: rank.length }, (_, task) => task);
  tasks.sort((a, b) => (precedes(priority, rank, a, b) ? -1 : precedes(priority, rank, b, a) ? 1 : 0));
  return Int32Array.from(tasks);
}

/** Higher priority first, then higher rank, then the lower index. */
function precedes(priority: Float64Array, rank: Float64Array, a: number, b: number): boolean {
  const pa = priority[a]!;
  const pb = priority[b]!;
  if (pa !== pb) return pa > pb;
  const ra = rank[a]!;
  const rb = rank[b]!;
  if (ra !== rb) return ra > rb;
  return a < b;
}

/** {@link inheritedPriorities} of a DAG, computed once per DAG (by its `rank` array, as its order). */
export function effectivePriorities(keys: OrderKeys): Float64Array {
  let effective = effectives.get(keys.rank);
  if (effective === undefined) {
    effective = inheritedPriorities(keys);
    effectives.set(keys.rank, effective);
  }
  return effective;
}

/**
 * Each task's effective priority: its own, raised to the highest effective priority of the tasks
 * that depend on it, so a high-priority task never waits behind low-priority work for a
 * low-priority dependency (priority inversion). O(tasks + edges), and nothing at all when every
 * task has the same priority (the usual case).
 */
export function inheritedPriorities({ priority, dependents, topologicalOrder }: OrderKeys): Float64Array {
  if (dependents === undefined || topologicalOrder === undefined || allEqual(priority)) return priority;
  const effective = Float64Array.from(priority);
  const { start, targets } = dependents;
  // dependents come later in a topological order: walking it backwards sees them first
  for (let k = topologicalOrder.length - 1; k >= 0; k--) {
    const task = topologicalOrder[k]!;
    let highest = effective[task]!;
    for (let e = start[task]!; e < start[task + 1]!; e++) {
      const p = effective[targets[e]!]!;
      if (p > highest) highest = p;
    }
    effective[task] = highest;
  }
  return effective;
}

function allEqual(values: Float64Array): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
  return true;
}
