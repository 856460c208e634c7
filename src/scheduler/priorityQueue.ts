/**
 * A 4-ary max-heap of task indexes. Order: higher `priority` first, then higher upward rank
 * (the critical path), then the lower index (the DAG's own order), so equal tasks run FIFO-ish
 * and the order is deterministic.
 */
export class ReadyQueue {
  // The heap keeps each entry's keys beside it, interleaved in one typed array as
  // [priority, rank, task] triples: a sift step reads one cache line, and no number is ever
  // boxed (a boxed key per waiting task is garbage the GC must promote when many tasks wait).
  private heap = EMPTY_HEAP;
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
    if (3 * this.count === this.heap.length) this.grow();
    const heap = this.heap;
    const priority = this.priority[task]!;
    const rank = this.rank[task]!;
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const p = 3 * parent;
      if (!precedes(priority, rank, task, heap[p]!, heap[p + 1]!, heap[p + 2]!)) break;
      moveEntry(heap, p, 3 * i);
      i = parent;
    }
    heap[3 * i] = priority;
    heap[3 * i + 1] = rank;
    heap[3 * i + 2] = task;
  }

  /** The first task without removing it; `-1` when empty. */
  peek(): number {
    return this.count > 0 ? this.heap[2]! : -1;
  }

  /** Removes and returns the first task; `-1` when empty. */
  pop(): number {
    if (this.count === 0) return -1;
    const heap = this.heap;
    const top = heap[2]!;
    const n = --this.count;
    if (n > 0) {
      const priority = heap[3 * n]!;
      const rank = heap[3 * n + 1]!;
      const task = heap[3 * n + 2]!;
      let i = 0;
      for (;;) {
        // four children a node: half the levels of a binary heap, each level's children side
        // by side in memory (a pop over 300,000 waiting tasks is mostly cache misses per level)
        const first = 4 * i + 1;
        if (first >= n) break;
        const last = Math.min(first + 4, n);
        let child = first;
        let c = 3 * first;
        for (let k = first + 1; k < last; k++) {
          const o = 3 * k;
          if (precedes(heap[o]!, heap[o + 1]!, heap[o + 2]!, heap[c]!, heap[c + 1]!, heap[c + 2]!)) {
            child = k;
            c = o;
          }
        }
        if (!precedes(heap[c]!, heap[c + 1]!, heap[c + 2]!, priority, rank, task)) break;
        moveEntry(heap, c, 3 * i);
        i = child;
      }
      heap[3 * i] = priority;
      heap[3 * i + 1] = rank;
      heap[3 * i + 2] = task;
    }
    return top;
  }

  /** Empties the queue and returns what it held. */
  drain(): number[] {
    const drained: number[] = [];
    for (let i = 0; i < this.count; i++) drained.push(this.heap[3 * i + 2]!);
    this.count = 0;
    return drained;
  }

  /** Whether task `a` goes before task `b`. */
  before(a: number, b: number): boolean {
    return precedes(this.priority[a]!, this.rank[a]!, a, this.priority[b]!, this.rank[b]!, b);
  }

  private grow(): void {
    const heap = new Float64Array(Math.max(48, this.heap.length * 2));
    heap.set(this.heap);
    this.heap = heap;
  }
}

const EMPTY_HEAP = new Float64Array(0);

function moveEntry(heap: Float64Array, from: number, to: number): void {
  heap[to] = heap[from]!;
  heap[to + 1] = heap[from + 1]!;
  heap[to + 2] = heap[from + 2]!;
}

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
