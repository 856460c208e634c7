import { dispatchOrder } from '../../src/scheduler/dispatchOrder';
import { ReadyQueue, ReadyQueues } from '../../src/scheduler/priorityQueue';

/** Tasks 0..n-1 in the order the scheduler must start them: priority, then rank, then index. */
/** The policy as a comparison: higher priority first, then higher rank, then the lower index. */
function byPolicy(priority: Float64Array, rank: Float64Array): (a: number, b: number) => number {
  return (a, b) => priority[b]! - priority[a]! || rank[b]! - rank[a]! || a - b;
}

function sortedByPolicy(priority: Float64Array, rank: Float64Array, tasks: readonly number[]): number[] {
  return [...tasks].sort(byPolicy(priority, rank));
}

/** The first of `tasks` by the policy (what `sortedByPolicy(…)[0]` is, in one pass). */
function firstByPolicy(priority: Float64Array, rank: Float64Array, tasks: Iterable<number>): number | undefined {
  const compare = byPolicy(priority, rank);
  let first: number | undefined;
  for (const task of tasks) if (first === undefined || compare(task, first) < 0) first = task;
  return first;
}

function seeded(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

function queueOf(priority: Float64Array, rank: Float64Array): ReadyQueue {
  return new ReadyQueue(dispatchOrder({ priority, rank }));
}

describe('dispatchOrder', () => {
  const all = (n: number) => Array.from({ length: n }, (_, i) => i);

  it('should order whole-number ranks with equal priorities (the counting sort) as the policy says', () => {
    const random = seeded(3);
    const n = 5_000;
    const priority = new Float64Array(n).fill(2);
    const rank = Float64Array.from({ length: n }, () => 1 + Math.floor(random() * 40));
    const { taskAt, keys } = dispatchOrder({ priority, rank });
    expect(Array.from(taskAt)).toEqual(sortedByPolicy(priority, rank, all(n)));
    for (let task = 0; task < n; task++) expect(taskAt[keys[2 * task]!]).toBe(task);
  });

  it('should order mixed priorities and fractional ranks (the comparison sort) as the policy says', () => {
    const random = seeded(5);
    const n = 5_000;
    const priority = Float64Array.from({ length: n }, () => Math.floor(random() * 4) - 1);
    const rank = Float64Array.from({ length: n }, () => random() * 100);
    const { taskAt, keys } = dispatchOrder({ priority, rank });
    expect(Array.from(taskAt)).toEqual(sortedByPolicy(priority, rank, all(n)));
    for (let task = 0; task < n; task++) expect(taskAt[keys[2 * task]!]).toBe(task);
  });

  it('should be computed once per key arrays', () => {
    const keys = { priority: new Float64Array(3), rank: Float64Array.from([1, 2, 3]) };
    expect(dispatchOrder(keys)).toBe(dispatchOrder(keys));
  });
});

describe('ReadyQueue', () => {
  it('should pop by priority, then rank, then index, whatever the push order', () => {
    const priority = Float64Array.from([0, 0, 5, 0, 0, 5]);
    const rank = Float64Array.from([1, 3, 1, 3, 2, 0]);
    const queue = queueOf(priority, rank);
    for (const task of [4, 0, 5, 1, 3, 2]) queue.push(task);
    const order: number[] = [];
    while (queue.size > 0) order.push(queue.pop());
    expect(order).toEqual([2, 5, 1, 3, 4, 0]);
    expect(queue.pop()).toBe(-1);
    expect(queue.peek()).toBe(-1);
  });

  it('should agree with a sort on 10,000 random keys pushed and popped in turns', () => {
    const random = seeded(7);
    const n = 10_000;
    const priority = Float64Array.from({ length: n }, () => Math.floor(random() * 4));
    const rank = Float64Array.from({ length: n }, () => Math.floor(random() * 50));
    const queue = queueOf(priority, rank);
    const tasks = Array.from({ length: n }, (_, i) => i).sort(() => random() - 0.5);
    // interleaved: push 3, pop 1, so the heap grows and shrinks through every level
    const waiting = new Set<number>();
    for (let k = 0; k < n; k++) {
      queue.push(tasks[k]!);
      waiting.add(tasks[k]!);
      if (k % 3 === 2) {
        const expected = firstByPolicy(priority, rank, waiting)!;
        expect(queue.peek()).toBe(expected);
        expect(queue.pop()).toBe(expected);
        waiting.delete(expected);
      }
    }
    const rest = Array.from({ length: waiting.size }, () => queue.pop());
    expect(rest).toEqual(sortedByPolicy(priority, rank, [...waiting]));
  });

  it('should hold a task once however often it is pushed, up to and past 32-bit word edges', () => {
    const n = 70_000; // three summary levels
    const queue = queueOf(
      new Float64Array(n),
      Float64Array.from({ length: n }, (_, i) => n - i),
    );
    for (const task of [69_999, 0, 31, 32, 1023, 1024, 32_767, 32_768, 0, 69_999]) queue.push(task);
    expect(queue.size).toBe(8);
    expect(Array.from({ length: 8 }, () => queue.pop())).toEqual([0, 31, 32, 1023, 1024, 32_767, 32_768, 69_999]);
    expect(queue.pop()).toBe(-1);
  });

  it('should drain what it holds', () => {
    const queue = queueOf(new Float64Array(3), new Float64Array(3));
    queue.push(2);
    queue.push(0);
    expect(queue.drain().sort()).toEqual([0, 2]);
    expect(queue.size).toBe(0);
  });

  it('should move its waiting tasks to a new order (a DAG grown by spawning)', () => {
    const random = seeded(11);
    const n = 2_000;
    const priority = new Float64Array(n);
    const rank = Float64Array.from({ length: n }, () => 1 + Math.floor(random() * 30));
    const queue = queueOf(priority, rank);
    const waiting = Array.from({ length: n }, (_, i) => i).filter(() => random() < 0.4);
    for (const task of waiting) queue.push(task);
    // the grown DAG: 10 more tasks, and the old ones ranked anew
    const grownPriority = new Float64Array(n + 10);
    const grownRank = Float64Array.from({ length: n + 10 }, () => 1 + Math.floor(random() * 30));
    queue.reorder(dispatchOrder({ priority: grownPriority, rank: grownRank }));
    queue.push(n + 3);
    const popped = Array.from({ length: queue.size }, () => queue.pop());
    expect(popped).toEqual(sortedByPolicy(grownPriority, grownRank, [...waiting, n + 3]));
  });
});

describe('ReadyQueues', () => {
  it('should take the best task among the dispatch classes that can start, skipping full ones', () => {
    const order = dispatchOrder({
      priority: Float64Array.from([9, 1, 5]),
      rank: new Float64Array(3),
      agentCodes: Int32Array.from([0, 1, 1]),
    });
    const kinds = ['llm', 'shell'];
    const queues = new ReadyQueues(order, (code) => kinds[code]!);
    [0, 1, 2].forEach((task) => queues.push(task));
    expect(queues.nextClass((kind) => kind !== 'llm')).toBe(1);
    expect(queues.pop(1)).toBe(2);
    expect(queues.nextClass(() => true)).toBe(0);
    expect(queues.pop(0)).toBe(0);
    expect(queues.nextClass((kind) => kind === 'llm')).toBe(-1);
    expect(queues.pop(0)).toBe(-1);
    expect(queues.size).toBe(1);
  });

  it('should make a queue only for the classes that get tasks, and drain them all', () => {
    const order = dispatchOrder({
      priority: new Float64Array(4),
      rank: Float64Array.from([4, 3, 2, 1]),
      agentCodes: Int32Array.from([0, 1, 2, 3]),
    });
    const named: number[] = [];
    const queues = new ReadyQueues(order, (code) => (named.push(code), `kind-${code}`));
    queues.push(3);
    queues.push(1);
    expect(named).toEqual([3, 1]);
    expect(queues.nextClass(() => true)).toBe(1);
    expect(queues.pop(1)).toBe(1);
    expect(queues.drain()).toEqual([3]);
    expect(queues.size).toBe(0);
  });

  it('should start tasks queued first before any other of their class, in their order, and before other classes when they can start', () => {
    const order = dispatchOrder({
      priority: Float64Array.from([9, 1, 5, 0]),
      rank: new Float64Array(4),
      agentCodes: Int32Array.from([0, 1, 1, 0]),
    });
    const kinds = ['llm', 'shell'];
    const queues = new ReadyQueues(order, (code) => kinds[code]!);
    queues.push(0);
    queues.push(2);
    queues.pushFirst([3, 1]);
    expect(queues.size).toBe(4);
    expect(queues.before(1, 0)).toBe(true);
    expect(queues.before(3, 1)).toBe(true);
    expect(queues.before(0, 3)).toBe(false);
    // before the dispatch order's best (0, priority 9): 3, queued first
    expect(queues.nextClass(() => true, true)).toBe(0);
    expect(queues.first(0)).toBe(3);
    // its kind full: the next one queued first, of another kind, starts; 0 waits behind 3
    expect(queues.nextClass((kind) => kind !== 'llm')).toBe(1);
    expect(queues.first(1)).toBe(1);
    expect(queues.pop(1)).toBe(1);
    expect(queues.nextClass((kind) => kind !== 'llm')).toBe(1);
    expect(queues.pop(1)).toBe(2);
    expect(queues.nextClass((kind) => kind !== 'llm')).toBe(-1);
    expect(queues.pop(0)).toBe(3);
    // then the dispatch order again
    expect(queues.first(0)).toBe(0);
    expect(queues.nextClass(() => true)).toBe(0);
    queues.pushFirst([3]);
    expect(queues.drain().sort()).toEqual([0, 3]);
    expect(queues.size).toBe(0);
    expect(queues.nextClass(() => true)).toBe(-1);
  });

  it('should keep the agent code beside each position in the order', () => {
    const order = dispatchOrder({
      priority: new Float64Array(3),
      rank: Float64Array.from([1, 3, 2]),
      agentCodes: Int32Array.from([2, 0, 1]),
    });
    expect(Array.from(order.keys)).toEqual([2, 2, 0, 0, 1, 1]);
  });
});
