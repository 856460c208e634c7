/**
 * Ready queues: which ready task starts next. Order: higher `priority` first, then higher upward
 * rank (the critical path), then the lower index (the DAG's own order), so equal tasks run
 * FIFO-ish and the order is deterministic.
 *
 * That order is a property of the DAG, so it is computed once per DAG ({@link dispatchOrder}):
 * each task gets its position in it, and a queue is a heap of positions. A heap entry is then
 * one int32 and a comparison one integer compare, where keeping (priority, rank, task) per entry
 * took 24 bytes: at a million tasks, with ~300,000 of them ready at once, the smaller heap stays
 * in the CPU cache and a pop costs half as much.
 */

/** Every task's place in the dispatch order, and the task at each place. */
export interface DispatchOrder {
  /** `position[task]`: 0 starts first. */
  readonly position: Int32Array;
  /** `taskAt[position]`: the inverse of `position`. */
  readonly taskAt: Int32Array;
  /**
   * `keys[2 * task]` is the task's position, `keys[2 * task + 1]` its agent code: what queueing
   * a ready task reads, side by side (one cache miss instead of two at a million tasks).
   */
  readonly keys: Int32Array;
}

/** The key arrays an order is computed from (a DAG's index has them). */
export interface OrderKeys {
  readonly priority: Float64Array;
  readonly rank: Float64Array;
  /** Each task's agent code; all 0 when absent. */
  readonly agentCodes?: Int32Array;
}

const orders = new WeakMap<Float64Array, DispatchOrder>();

/**
 * The dispatch order of a DAG's tasks, computed once per DAG (cached by its `rank` array, which
 * every DAG index has its own of). A counting sort in O(tasks) when priorities are all equal and
 * ranks are whole task counts (no `estimateMs`: the usual case), else a comparison sort.
 */
export function dispatchOrder(keys: OrderKeys): DispatchOrder {
  let order = orders.get(keys.rank);
  if (order === undefined) {
    const { position, taskAt } = countingOrder(keys) ?? sortedOrder(keys);
    const interleaved = new Int32Array(2 * position.length);
    for (let task = 0; task < position.length; task++) {
      interleaved[2 * task] = position[task]!;
      interleaved[2 * task + 1] = keys.agentCodes?.[task] ?? 0;
    }
    order = { position, taskAt, keys: interleaved };
    orders.set(keys.rank, order);
  }
  return order;
}

type Ordering = Pick<DispatchOrder, 'position' | 'taskAt'>;

function countingOrder({ priority, rank }: OrderKeys): Ordering | undefined {
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
  const position = new Int32Array(n);
  const taskAt = new Int32Array(n);
  for (let task = 0; task < n; task++) {
    const at = starts[maxRank - rank[task]!]!++;
    position[task] = at;
    taskAt[at] = task;
  }
  return { position, taskAt };
}

function sortedOrder({ priority, rank }: OrderKeys): Ordering {
  const n = rank.length;
  const tasks = Array.from({ length: n }, (_, task) => task);
  tasks.sort((a, b) => (precedes(priority, rank, a, b) ? -1 : precedes(priority, rank, b, a) ? 1 : 0));
  const position = new Int32Array(n);
  const taskAt = Int32Array.from(tasks);
  for (let at = 0; at < n; at++) position[taskAt[at]!] = at;
  return { position, taskAt };
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

/** A 4-ary min-heap of dispatch positions: four children a node, half the levels of a binary heap. */
export class ReadyQueue {
  private heap = EMPTY_HEAP;
  private count = 0;

  constructor(private order: DispatchOrder) {}

  /**
   * Moves to the order of a grown DAG (spawned tasks): every waiting task gets its new position.
   * O(waiting tasks).
   */
  reorder(order: DispatchOrder): void {
    if (order === this.order) return;
    const heap = this.heap;
    for (let i = 0; i < this.count; i++) heap[i] = order.position[this.order.taskAt[heap[i]!]!]!;
    this.order = order;
    // Floyd's build: sift every inner node down, last first
    for (let i = (this.count - 2) >> 2; i >= 0; i--) this.siftDown(i, heap[i]!);
  }

  get size(): number {
    return this.count;
  }

  push(task: number): void {
    this.pushKey(this.order.keys[2 * task]!);
  }

  /** Queues the task at `key`, its position in the order (see {@link DispatchOrder.keys}). */
  pushKey(key: number): void {
    if (this.count === this.heap.length) this.grow();
    const heap = this.heap;
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const above = heap[parent]!;
      if (above <= key) break;
      heap[i] = above;
      i = parent;
    }
    heap[i] = key;
  }

  /** The first task without removing it; `-1` when empty. */
  peek(): number {
    return this.count > 0 ? this.order.taskAt[this.heap[0]!]! : -1;
  }

  /** Removes and returns the first task; `-1` when empty. */
  pop(): number {
    if (this.count === 0) return -1;
    const heap = this.heap;
    const top = heap[0]!;
    const n = --this.count;
    if (n > 0) this.siftDown(0, heap[n]!);
    return this.order.taskAt[top]!;
  }

  /** Empties the queue and returns what it held. */
  drain(): number[] {
    const drained: number[] = [];
    for (let i = 0; i < this.count; i++) drained.push(this.order.taskAt[this.heap[i]!]!);
    this.count = 0;
    return drained;
  }

  /** Whether task `a` goes before task `b`. */
  before(a: number, b: number): boolean {
    return this.order.position[a]! < this.order.position[b]!;
  }

  /** Places `key` at `i` or below, moving smaller children up. */
  private siftDown(i: number, key: number): void {
    const heap = this.heap;
    const n = this.count;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      const last = Math.min(first + 4, n);
      let child = first;
      let smallest = heap[first]!;
      for (let k = first + 1; k < last; k++) {
        const candidate = heap[k]!;
        if (candidate < smallest) {
          child = k;
          smallest = candidate;
        }
      }
      if (smallest >= key) break;
      heap[i] = smallest;
      i = child;
    }
    heap[i] = key;
  }

  private grow(): void {
    const heap = new Int32Array(Math.max(16, this.heap.length * 2));
    heap.set(this.heap);
    this.heap = heap;
  }
}

const EMPTY_HEAP = new Int32Array(0);

/**
 * The ready tasks of one run, one queue per agent kind, so a task waiting for a busy kind never
 * blocks tasks of other kinds (no head-of-line blocking). Choosing work for a free slot is a
 * pure function of the queues and which kinds can start now.
 *
 * Kinds are small integers (a DAG's agent codes), so finding a task's queue is an array read.
 */
export class ReadyQueues<Kind> {
  // queues by kind code, and the kind each stands for; a slot stays empty until its first task
  private readonly queues: (ReadyQueue | undefined)[] = [];
  private readonly kinds: Kind[] = [];
  private total = 0;
  /** The kind code of the task {@link ReadyQueues.popStartable} returned last. */
  lastCode = -1;

  constructor(
    private order: DispatchOrder,
    /** The kind a code stands for. */
    private readonly kindOfCode: (code: number) => Kind,
  ) {}

  get size(): number {
    return this.total;
  }

  push(task: number): void {
    const keys = this.order.keys;
    const code = keys[2 * task + 1]!;
    let queue = this.queues[code];
    if (queue === undefined) {
      while (this.queues.length < code) this.queues.push(undefined);
      queue = new ReadyQueue(this.order);
      this.queues[code] = queue;
      this.kinds[code] = this.kindOfCode(code);
    }
    queue.pushKey(keys[2 * task]!);
    this.total++;
  }

  /** Moves every queue to a grown DAG's order (see {@link ReadyQueue.reorder}). */
  reorder(order: DispatchOrder): void {
    this.order = order;
    for (const queue of this.queues) queue?.reorder(order);
  }

  /**
   * Removes and returns the first task whose kind `canStart`; `-1` when there is none. Its kind
   * code is then in {@link ReadyQueues.lastCode}.
   */
  popStartable(canStart: (kind: Kind) => boolean): number {
    let best = -1;
    for (let i = 0; i < this.queues.length; i++) {
      const queue = this.queues[i];
      if (queue === undefined || queue.size === 0 || !canStart(this.kinds[i]!)) continue;
      if (best < 0 || queue.before(queue.peek(), this.queues[best]!.peek())) best = i;
    }
    if (best < 0) return -1;
    this.total--;
    this.lastCode = best;
    return this.queues[best]!.pop();
  }

  /** Empties every queue and returns what they held. */
  drain(): number[] {
    const drained: number[] = [];
    for (const queue of this.queues) if (queue !== undefined) drained.push(...queue.drain());
    this.total = 0;
    return drained;
  }
}
