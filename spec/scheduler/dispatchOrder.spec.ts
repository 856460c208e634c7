import { defineDag, type DagEvent, runDag } from '../../src';
import { dispatchOrder, inheritedPriorities } from '../../src/scheduler/dispatchOrder';
import { inVirtualTime, scheduling, timeline } from '../helpers';

describe('inheritedPriorities', () => {
  it('should raise each task to the highest priority of what depends on it, transitively', () => {
    // a -> b -> c (c: 9), d -> c, e alone (5), f -> e
    const dag = defineDag({
      id: 'inherit',
      tasks: [
        { id: 'a', agent: 'x' },
        { id: 'b', agent: 'x', deps: ['a'] },
        { id: 'c', agent: 'x', deps: ['b', 'd'], priority: 9 },
        { id: 'd', agent: 'x', priority: 1 },
        { id: 'e', agent: 'x', priority: 5, deps: ['f'] },
        { id: 'f', agent: 'x', priority: 7 },
      ],
    });
    expect(Array.from(inheritedPriorities(dag.index))).toEqual([9, 9, 9, 9, 5, 7]);
  });

  it('should leave equal priorities as they are, without a copy', () => {
    const dag = defineDag({ id: 'flat', tasks: [{ id: 'a', agent: 'x' }, { id: 'b', agent: 'x', deps: ['a'] }] });
    expect(inheritedPriorities(dag.index)).toBe(dag.index.priority);
  });

  it('should put a dependency of a high-priority task before unrelated low-priority tasks', () => {
    const dag = defineDag({
      id: 'order',
      tasks: [
        { id: 'low-1', agent: 'x' },
        { id: 'low-2', agent: 'x' },
        { id: 'dep', agent: 'x' },
        { id: 'high', agent: 'x', priority: 10, deps: ['dep'] },
      ],
    });
    const order = dispatchOrder(dag.index);
    expect(Array.from(order.taskAt).map((task) => dag.index.ids[task])).toEqual(['dep', 'high', 'low-1', 'low-2']); // dep inherits 10 and has the higher rank
  });
});

describe('priority inheritance in a run', () => {
  it('should start the dependency of a high-priority task first (priorities with concurrency 2)', () => {
    // as p-graph's own suite expects: with two slots, the low-priority dependency of the
    // high-priority task goes before the other low-priority work
    const dag = defineDag({
      id: 'inversion',
      tasks: [
        { id: 'one', agent: 'work', priority: 1 },
        { id: 'two', agent: 'work', priority: 1 },
        { id: 'three', agent: 'work', priority: 1 },
        { id: 'prep', agent: 'work', priority: 0 },
        { id: 'urgent', agent: 'work', priority: 100, deps: ['prep'] },
      ],
    });
    const events: DagEvent[] = [];
    inVirtualTime(({ cold }, scheduler) =>
      runDag(dag, { healthCheckIntervalMs: 0, maxConcurrency: 2, scheduler, agents: { work: () => cold('--(x|)') } }).subscribe((e) => events.push(e)),
    );
    expect(timeline(events, scheduling).filter((line) => line.includes('started'))).toEqual([
      '0 started:prep',
      '0 started:one',
      '2 started:urgent',
      '2 started:two',
      '4 started:three',
    ]);
  });
});
