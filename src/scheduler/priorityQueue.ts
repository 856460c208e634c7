/**
 * Ready queues: which ready task starts next. Order: higher `priority` first, then higher upward
 * rank (the critical path), then the lower index (the DAG's own order), so equal tasks run
 * FIFO-ish and the order is deterministic.
 *
 * That order is a property of the DAG, so it is computed once per DAG ({@link dispatchOrder}):
 * each task gets its position in it, and a queue is a set of positions (a bitset with summary
 * levels) whose first member is found in a few word operations, where a heap would sift through
 * many levels per pop (benchmarks/README.md, "Tricks and why").
 * It does not decide whether a task may start (capacity is the dispatcher's question).
 */

/** Every task's place in the dispatch order, and the task at each place. */
export interface DispatchOrder {
  /**
   * `keys[2 * task]` is the task's position (0 starts first), `keys[2 * task + 1]` its agent
   * code: what queueing a ready task reads, side by side (one cache miss instead of two at a
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
    const taskAt = countingOrder(keys) ?? sortedOrder(keys);
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

/**
 * The ready tasks of one kind as a set of dispatch positions: a bitset with one bit a task, and
 * above it summary levels of one bit a word (set when the word below has any bit set), up to a
 * single word. Taking the first task descends the levels with `Math.clz32`: four steps at a
 * million tasks, in memory small enough to stay in the CPU cache.
 */
export class ReadyQueue {
  /** `levels[0]` has a bit per position; `levels[k + 1]` a bit per word of `levels[k]`. */
  private levels: Int32Array[];
  private count = 0;

  constructor(private order: DispatchOrder) {
    this.levels = emptyLevels(order.taskAt.length);
  }

  /**
   * Moves to the order of a grown DAG (spawned tasks): every waiting task gets its new position.
   */
  reorder(order: DispatchOrder): void {
    if (order === this.order) return;
    const waiting = this.drain();
    this.order = order;
    this.levels = emptyLevels(order.taskAt.length);
    for (const task of waiting) this.push(task);
  }

  get size(): number {
    return this.count;
  }

  push(task: number): void {
    this.pushKey(this.order.keys[2 * task]!);
  }

  /** Queues the task at `key`, its position in the order (see {@link DispatchOrder.keys}). */
  pushKey(key: number): void {
    const levels = this.levels;
    if ((levels[0]![key >>> 5]! & (1 << (key & 31))) !== 0) return; // queued already
    let i = key;
    for (let level = 0; level < levels.length; level++) {
      const words = levels[level]!;
      const word = i >>> 5;
      const before = words[word]!;
      words[word] = before | (1 << (i & 31));
      if (before !== 0) break; // the levels above already know this word has bits
      i = word;
    }
    this.count++;
  }

  /** The first task without removing it; `-1` when empty. */
  peek(): number {
    return this.count > 0 ? this.order.taskAt[this.first()]! : -1;
  }

  /** Removes and returns the first task; `-1` when empty. */
  pop(): number {
    if (this.count === 0) return -1;
    const key = this.first();
    const levels = this.levels;
    let i = key;
    for (let level = 0; level < levels.length; level++) {
      const words = levels[level]!;
      const word = i >>> 5;
      const after = words[word]! & ~(1 << (i & 31));
      words[word] = after;
      if (after !== 0) break; // the word still has bits: the levels above stay set
      i = word;
    }
    this.count--;
    return this.order.taskAt[key]!;
  }

  /** Empties the queue and returns what it held, first to last. */
  drain(): number[] {
    const drained: number[] = [];
    const leaves = this.levels[0]!;
    for (let word = 0; word < leaves.length; word++) {
      for (let bits = leaves[word]!; bits !== 0; bits &= bits - 1) {
        drained.push(this.order.taskAt[(word << 5) | lowestBit(bits)]!);
      }
    }
    this.levels = emptyLevels(this.order.taskAt.length);
    this.count = 0;
    return drained;
  }

  /** Whether task `a` goes before task `b`. */
  before(a: number, b: number): boolean {
    return this.order.keys[2 * a]! < this.order.keys[2 * b]!;
  }

  /** The lowest position queued (the queue is not empty). */
  private first(): number {
    const levels = this.levels;
    let i = 0;
    for (let level = levels.length - 1; level >= 0; level--) i = (i << 5) | lowestBit(levels[level]![i]!);
    return i;
  }
}

/** Index of the lowest set bit of a non-zero 32-bit word. */
function lowestBit(word: number): number {
  return 31 - Math.clz32(word & -word);
}

/** Zeroed levels for `size` positions: words of 32 bits, each level 32 times smaller, down to one word. */
function emptyLevels(size: number): Int32Array[] {
  const levels: Int32Array[] = [];
  let bits = Math.max(size, 1);
  for (;;) {
    const words = Math.ceil(bits / 32);
    levels.push(new Int32Array(words));
    if (words === 1) return levels;
    bits = words;
  }
}

/**
 * The ready tasks of one run, one queue per agent kind, so a task waiting for a busy kind never
 * blocks tasks of other kinds (no head-of-line blocking). Choosing work for a free slot is a
 * pure function of the queues and which kinds can start now.
 *
 * Kinds are small integers (a DAG's agent codes), so finding a task's queue is an array read.
 */
export class ReadyQueues<Kind> {
  // queues by kind code, and the kind each stands for; a code's entry stays undefined until its first task
  private readonly queues: (ReadyQueue | undefined)[] = [];
  private readonly kinds: Kind[] = [];
  private total = 0;

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
   * The code of the kind whose first task starts next among the kinds that `canStart` (that
   * task goes first in the dispatch order); `-1` when none has a ready task. Take the task with
   * {@link ReadyQueues.pop}.
   */
  nextKind(canStart: (kind: Kind) => boolean): number {
    let best = -1;
    for (let i = 0; i < this.queues.length; i++) {
      const queue = this.queues[i];
      if (queue === undefined || queue.size === 0 || !canStart(this.kinds[i]!)) continue;
      if (best < 0 || queue.before(queue.peek(), this.queues[best]!.peek())) best = i;
    }
    return best;
  }

  /** Removes and returns the first task of kind `code`; `-1` when it has none. */
  pop(code: number): number {
    const queue = this.queues[code];
    if (queue === undefined || queue.size === 0) return -1;
    this.total--;
    return queue.pop();
  }

  /** Empties every queue and returns what they held. */
  drain(): number[] {
    const drained: number[] = [];
    for (const queue of this.queues) if (queue !== undefined) drained.push(...queue.drain());
    this.total = 0;
    return drained;
  }
}
