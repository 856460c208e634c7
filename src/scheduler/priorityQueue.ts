/**
 * A binary max-heap of task indexes. Order: higher `priority` first, then higher upward rank
 * (the critical path), then the lower index (the DAG's own order), so equal tasks run FIFO-ish
 * and the order is deterministic.
 */
export class ReadyQueue {
  private readonly heap: number[] = [];

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
    return this.heap.length;
  }

  push(task: number): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(task);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(task, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = task;
  }

  /** The first task without removing it; `-1` when empty. */
  peek(): number {
    return this.heap.length > 0 ? this.heap[0]! : -1;
  }

  /** Removes and returns the first task; `-1` when empty. */
  pop(): number {
    const heap = this.heap;
    if (heap.length === 0) return -1;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      const n = heap.length;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && this.before(heap[right]!, heap[left]!) ? right : left;
        if (!this.before(heap[child]!, last)) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }

  /** Empties the queue and returns what it held. */
  drain(): number[] {
    return this.heap.splice(0);
  }

  /** Whether task `a` goes before task `b`. */
  before(a: number, b: number): boolean {
    const pa = this.priority[a]!;
    const pb = this.priority[b]!;
    if (pa !== pb) return pa > pb;
    const ra = this.rank[a]!;
    const rb = this.rank[b]!;
    if (ra !== rb) return ra > rb;
    return a < b;
  }
}

/**
 * The ready tasks of one run, one queue per agent kind, so a task waiting for a busy kind never
 * blocks tasks of other kinds (no head-of-line blocking). Choosing work for a free slot is a
 * pure function of the queues and which kinds can start now.
 */
export class ReadyQueues<Kind> {
  private readonly byKind = new Map<Kind, ReadyQueue>();
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
    let queue = this.byKind.get(kind);
    if (queue === undefined) {
      queue = this.makeQueue();
      this.byKind.set(kind, queue);
    }
    queue.push(task);
    this.total++;
  }

  /** New key arrays for every queue (see {@link ReadyQueue.rekey}). */
  rekey(priority: Float64Array, rank: Float64Array): void {
    for (const queue of this.byKind.values()) queue.rekey(priority, rank);
  }

  /** Removes and returns the first task whose kind `canStart`; `-1` when there is none. */
  popStartable(canStart: (kind: Kind) => boolean): number {
    let best: ReadyQueue | undefined;
    for (const [kind, queue] of this.byKind) {
      if (queue.size === 0 || !canStart(kind)) continue;
      if (best === undefined || queue.before(queue.peek(), best.peek())) best = queue;
    }
    if (best === undefined) return -1;
    this.total--;
    return best.pop();
  }

  /** Empties every queue and returns what they held. */
  drain(): number[] {
    const drained: number[] = [];
    for (const queue of this.byKind.values()) drained.push(...queue.drain());
    this.total = 0;
    return drained;
  }
}
