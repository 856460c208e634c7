/**
 * A binary max-heap of task indexes. Order: higher `priority` first, then higher upward rank
 * (the critical path), then the lower index (the DAG's own order), so equal tasks run FIFO-ish
 * and the order is deterministic.
 */
export class ReadyQueue {
  // The heap keeps each entry's keys beside it in typed arrays: sifting reads contiguous
  // memory, and no number is ever boxed (a boxed key per waiting task is garbage the GC has
  // to promote when hundreds of thousands of tasks wait).
  private tasks = EMPTY_TASKS;
  private priorities = EMPTY_KEYS;
  private ranks = EMPTY_KEYS;
  private count = 0;

  constructor(
    private priority: Float64Array,
    private rank: Float64Array,
  ) {}

  /** New key arrays for a grown DAG; they must agree with the old ones on the old tasks. */
  rekey(priority: Float64Array, rank: Float64Array): void {
    this.priority = priority;
    this.rank = rank;
  }

  get size(): number {
    return this.count;
  }

  push(task: number): void {
    if (this.count === this.tasks.length) this.grow();
    const { tasks, priorities, ranks } = this;
    const priority = this.priority[task]!;
    const rank = this.rank[task]!;
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!precedes(priority, rank, task, priorities[parent]!, ranks[parent]!, tasks[parent]!)) break;
      tasks[i] = tasks[parent]!;
      priorities[i] = priorities[parent]!;
      ranks[i] = ranks[parent]!;
      i = parent;
    }
    tasks[i] = task;
    priorities[i] = priority;
    ranks[i] = rank;
  }

  /** The first task without removing it; `-1` when empty. */
  peek(): number {
    return this.count > 0 ? this.tasks[0]! : -1;
  }

  /** Removes and returns the first task; `-1` when empty. */
  pop(): number {
    if (this.count === 0) return -1;
    const { tasks, priorities, ranks } = this;
    const top = tasks[0]!;
    const n = --this.count;
    if (n > 0) {
      const task = tasks[n]!;
      const priority = priorities[n]!;
      const rank = ranks[n]!;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child =
          right < n && precedes(priorities[right]!, ranks[right]!, tasks[right]!, priorities[left]!, ranks[left]!, tasks[left]!)
            ? right
            : left;
        if (!precedes(priorities[child]!, ranks[child]!, tasks[child]!, priority, rank, task)) break;
        tasks[i] = tasks[child]!;
        priorities[i] = priorities[child]!;
        ranks[i] = ranks[child]!;
        i = child;
      }
      tasks[i] = task;
      priorities[i] = priority;
      ranks[i] = rank;
    }
    return top;
  }

  /** Empties the queue and returns what it held. */
  drain(): number[] {
    const drained = Array.from(this.tasks.subarray(0, this.count));
    this.count = 0;
    return drained;
  }

  /** Whether task `a` goes before task `b`. */
  before(a: number, b: number): boolean {
    return precedes(this.priority[a]!, this.rank[a]!, a, this.priority[b]!, this.rank[b]!, b);
  }

  private grow(): void {
    const capacity = Math.max(16, this.tasks.length * 2);
    const tasks = new Int32Array(capacity);
    tasks.set(this.tasks);
    const priorities = new Float64Array(capacity);
    priorities.set(this.priorities);
    const ranks = new Float64Array(capacity);
    ranks.set(this.ranks);
    this.tasks = tasks;
    this.priorities = priorities;
    this.ranks = ranks;
  }
}

const EMPTY_TASKS = new Int32Array(0);
const EMPTY_KEYS = new Float64Array(0);

/** Higher priority first, then higher rank, then the lower index. */
function precedes(priorityA: number, rankA: number, a: number, priorityB: number, rankB: number, b: number): boolean {
  if (priorityA !== priorityB) return priorityA > priorityB;
  if (rankA !== rankB) return rankA > rankB;
  return a < b;
}

/**
 * The ready tasks of one run, one queue per agent kind, so a task waiting for a busy kind never
 * blocks tasks of other kinds (no head-of-line blocking). Choosing work for a free slot is a
 * pure function of the queues and which kinds can start now.
 */
export class ReadyQueues<Kind> {
  private readonly indexOfKind = new Map<Kind, number>();
  // kinds and their queues side by side: dispatch walks them by index, allocating nothing
  private readonly kinds: Kind[] = [];
  private readonly queues: ReadyQueue[] = [];
  private total = 0;

  constructor(
    private readonly kindOf: (task: number) => Kind,
    private readonly makeQueue: () => ReadyQueue,
  ) {}

  get size(): number {
    return this.total;
  }

  push(task: number): void {
    const kind = this.kindOf(task);
    let index = this.indexOfKind.get(kind);
    if (index === undefined) {
      index = this.queues.length;
      this.indexOfKind.set(kind, index);
      this.kinds.push(kind);
      this.queues.push(this.makeQueue());
    }
    this.queues[index]!.push(task);
    this.total++;
  }

  /** New key arrays for every queue (see {@link ReadyQueue.rekey}). */
  rekey(priority: Float64Array, rank: Float64Array): void {
    for (const queue of this.queues) queue.rekey(priority, rank);
  }

  /** Removes and returns the first task whose kind `canStart`; `-1` when there is none. */
  popStartable(canStart: (kind: Kind) => boolean): number {
    let best: ReadyQueue | undefined;
    for (let i = 0; i < this.queues.length; i++) {
      const queue = this.queues[i]!;
      if (queue.size === 0 || !canStart(this.kinds[i]!)) continue;
      if (best === undefined || queue.before(queue.peek(), best.peek())) best = queue;
    }
    if (best === undefined) return -1;
    this.total--;
    return best.pop();
  }

  /** Empties every queue and returns what they held. */
  drain(): number[] {
    const drained: number[] = [];
    for (const queue of this.queues) drained.push(...queue.drain());
    this.total = 0;
    return drained;
  }
}
