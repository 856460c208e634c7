import type { DispatchOrder } from './dispatchOrder';
import { appendAll } from '../appendAll';

/**
 * Ready queues: which ready task starts next, in the DAG's dispatch order (`dispatchOrder.ts`:
 * higher `priority` first, then higher upward rank, then the lower index). A queue is a set of
 * positions in that order (a bitset with summary levels) whose first member is found in a few
 * word operations, where a heap would sift through many levels per pop (benchmarks/README.md,
 * "Tricks and why"). It does not decide whether a task may start (capacity is the dispatcher's
 * question).
 */

/**
 * The ready tasks of one dispatch class as a set of dispatch positions: a bitset with one bit a task, and
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
 * The ready tasks of one run, one queue per dispatch class (an agent kind and the limits its
 * tasks name), so a task waiting for a busy agent kind or a full limit never blocks tasks of other
 * classes (no head-of-line blocking). Choosing work for a free slot is a pure function of the
 * queues and which classes can start now. Tasks queued first (a resumed run's
 * attempts that were in flight when its process died) go before every other of their class, in
 * the order given, and before the other classes' tasks when they can start: they held their slots
 * and limits then, and a remote one may still be running. One that cannot start (a rate window
 * full) holds back the other ready tasks of the classes that `share` its room (its agent, a limit),
 * not the other tasks queued first, which hold room of their own.
 *
 * Classes are small integers (the run's class codes), so finding a task's queue is an array read.
 */
export class ReadyQueues<Class> {
  // queues by class code, and the class each stands for; a code's entry stays undefined until its first task
  private readonly queues: (ReadyQueue | undefined)[] = [];
  private readonly classes: Class[] = [];
  private total = 0;
  /** Tasks queued first, in order (see {@link ReadyQueues.pushFirst}): a few, those a run had in flight. */
  private firsts: number[] = [];
  /** Whether the next change is told to `onChange` (see {@link ReadyQueues.watch}). */
  private watched = false;

  constructor(
    private order: DispatchOrder,
    /** The class a code stands for. */
    private readonly classOfCode: (code: number) => Class,
    /** Whether tasks of two classes take some of the same slots or units: a task queued first that waits holds back the classes that share with its own. */
    private readonly share: (a: Class, b: Class) => boolean = (a, b) => a === b,
    /** Told of the first change after {@link ReadyQueues.watch}: a task queued, the order changed. */
    private readonly onChange: () => void = () => undefined,
  ) {}

  /** Has the next change (a task queued, the order changed) told, once: a dispatcher that passes over the run until then. */
  watch(): void {
    this.watched = true;
  }

  private changed(): void {
    this.watched = false;
    this.onChange();
  }

  /** Whether tasks queued first wait (see {@link ReadyQueues.pushFirst}). */
  get hasFirsts(): boolean {
    return this.firsts.length > 0;
  }

  get size(): number {
    return this.total;
  }

  push(task: number): void {
    const keys = this.order.keys;
    const code = keys[2 * task + 1]!;
    this.queueOf(code).pushKey(keys[2 * task]!);
    this.total++;
    if (this.watched) this.changed();
  }

  /** The queue of class `code`, made at its first task. */
  private queueOf(code: number): ReadyQueue {
    let queue = this.queues[code];
    if (queue === undefined) {
      while (this.queues.length < code) this.queues.push(undefined);
      queue = new ReadyQueue(this.order);
      this.queues[code] = queue;
      this.classes[code] = this.classOfCode(code);
    }
    return queue;
  }

  /** Queues `tasks` before every other ready task of their classes, in their order (see the class). */
  pushFirst(tasks: readonly number[]): void {
    for (const task of tasks) {
      this.queueOf(this.codeOf(task));
      this.firsts.push(task);
    }
    this.total += tasks.length;
    if (this.watched) this.changed();
  }

  /** Moves every queue to a grown DAG's order (see {@link ReadyQueue.reorder}). */
  reorder(order: DispatchOrder): void {
    this.order = order;
    for (const queue of this.queues) queue?.reorder(order);
    if (this.watched) this.changed();
  }

  /**
   * The code of the class whose first task starts next among the classes that `canStart`: the first
   * task queued first that can, else the one that goes first in the dispatch order among classes
   * with none queued first; `-1` when none has a ready task. `canStart` gets the class's first
   * task when `withFirst`, else -1. Take the task with {@link ReadyQueues.pop}.
   */
  nextClass(canStart: (dispatchClass: Class, first: number) => boolean, withFirst = false): number {
    let held: Class[] | undefined; // classes of tasks queued first that cannot start
    const firsts = this.firsts;
    for (let k = 0; k < firsts.length; k++) {
      const task = firsts[k]!;
      const code = this.codeOf(task);
      const dispatchClass = this.classes[code]!;
      // behind one of its own class that cannot start (the class's first is the one taken); any other
      // task queued first holds room of its own, and is tried whatever the others wait for
      if (held?.includes(dispatchClass) === true) continue;
      if (canStart(dispatchClass, withFirst ? task : -1)) return code;
      (held ??= []).push(dispatchClass);
    }
    let best = -1;
    for (let i = 0; i < this.queues.length; i++) {
      const queue = this.queues[i];
      // the first task is looked up only when asked for (its weight): most runs have none
      if (
        queue === undefined ||
        queue.size === 0 ||
        (held !== undefined && this.heldBack(held, this.classes[i]!)) ||
        !canStart(this.classes[i]!, withFirst ? queue.peek() : -1)
      )
        continue;
      if (best < 0 || this.inOrder(queue.peek(), this.queues[best]!.peek())) best = i;
    }
    return best;
  }

  /** Whether `dispatchClass` shares what a held task queued first waits for. */
  private heldBack(held: readonly Class[], dispatchClass: Class): boolean {
    for (const waiting of held) if (this.share(waiting, dispatchClass)) return true;
    return false;
  }

  /** Whether `task` was queued first (see {@link ReadyQueues.pushFirst}) and waits still. */
  queuedFirst(task: number): boolean {
    return this.firsts.length > 0 && this.firsts.includes(task);
  }

  /** Whether task `a` goes before task `b` in the dispatch order (a task queued first goes before any other). */
  before(a: number, b: number): boolean {
    const firstA = this.firsts.indexOf(a);
    const firstB = this.firsts.indexOf(b);
    if (firstA >= 0 || firstB >= 0) return firstA >= 0 && (firstB < 0 || firstA < firstB);
    return this.inOrder(a, b);
  }

  /** Whether task `a` goes before task `b` in the DAG's dispatch order. */
  private inOrder(a: number, b: number): boolean {
    return this.order.keys[2 * a]! < this.order.keys[2 * b]!;
  }

  private codeOf(task: number): number {
    return this.order.keys[2 * task + 1]!;
  }

  /** Where the first task of class `code` queued first is in {@link firsts}, `-1` when it has none. */
  private firstOfClass(code: number): number {
    return this.firsts.length === 0 ? -1 : this.firsts.findIndex((task) => this.codeOf(task) === code);
  }

  /** The first task of class `code`, left in its queue; `-1` when it has none. */
  first(code: number): number {
    const at = this.firstOfClass(code);
    if (at >= 0) return this.firsts[at]!;
    const queue = this.queues[code];
    return queue === undefined || queue.size === 0 ? -1 : queue.peek();
  }

  /** Removes and returns the first task of class `code`; `-1` when it has none. */
  pop(code: number): number {
    const at = this.firstOfClass(code);
    if (at >= 0) {
      this.total--;
      return this.firsts.splice(at, 1)[0]!;
    }
    const queue = this.queues[code];
    if (queue === undefined || queue.size === 0) return -1;
    this.total--;
    return queue.pop();
  }

  /** Empties every queue and returns what they held. */
  drain(): number[] {
    const drained = this.firsts;
    this.firsts = [];
    for (const queue of this.queues) if (queue !== undefined) appendAll(drained, queue.drain());
    this.total = 0;
    return drained;
  }
}
