import { ReadyQueue, ReadyQueues } from '../../src/scheduler/priorityQueue';

describe('ReadyQueue', () => {
  it('should pop by priority, then rank, then index, whatever the push order', () => {
    const priority = Float64Array.from([0, 0, 5, 0, 0, 5]);
    const rank = Float64Array.from([1, 3, 1, 3, 2, 0]);
    const queue = new ReadyQueue(priority, rank);
    for (const task of [4, 0, 5, 1, 3, 2]) queue.push(task);
    const order: number[] = [];
    while (queue.size > 0) order.push(queue.pop());
    expect(order).toEqual([2, 5, 1, 3, 4, 0]);
    expect(queue.pop()).toBe(-1);
  });

  it('should agree with a sort on 10,000 random keys', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const n = 10_000;
    const priority = Float64Array.from({ length: n }, () => Math.floor(random() * 4));
    const rank = Float64Array.from({ length: n }, () => Math.floor(random() * 50));
    const queue = new ReadyQueue(priority, rank);
    const tasks = Array.from({ length: n }, (_, i) => i).sort(() => random() - 0.5);
    for (const task of tasks) queue.push(task);
    const popped = Array.from({ length: n }, () => queue.pop());
    const expected = [...tasks].sort((a, b) => priority[b]! - priority[a]! || rank[b]! - rank[a]! || a - b);
    expect(popped).toEqual(expected);
  });

  it('should drain what it holds', () => {
    const queue = new ReadyQueue(new Float64Array(3), new Float64Array(3));
    queue.push(2);
    queue.push(0);
    expect(queue.drain().sort()).toEqual([0, 2]);
    expect(queue.size).toBe(0);
  });
});

describe('ReadyQueues', () => {
  it('should take the best task among the kinds that can start, skipping full kinds', () => {
    const priority = Float64Array.from([9, 1, 5]);
    const rank = new Float64Array(3);
    const kindOf = (task: number) => (task === 0 ? 'llm' : 'shell');
    const queues = new ReadyQueues(kindOf, () => new ReadyQueue(priority, rank));
    [0, 1, 2].forEach((task) => queues.push(task));
    expect(queues.popStartable((kind) => kind !== 'llm')).toBe(2);
    expect(queues.popStartable(() => true)).toBe(0);
    expect(queues.popStartable((kind) => kind === 'llm')).toBe(-1);
    expect(queues.size).toBe(1);
  });
});
