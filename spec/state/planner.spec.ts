import { defineDag } from '../../src';
import type { StatusCounts } from '../../src/state/runState';
import { dependentsToSkip, runOutcome, taskCounts } from '../../src/state/planner';
import { StatusCode } from '../../src/state/taskTable';

// a -> b -> d -> f, a -> c -> d, c -> g; e independent; h depends on e and b
const dag = defineDag({
  id: 'plan',
  tasks: [
    { id: 'a', agent: 'x' },
    { id: 'b', agent: 'x', deps: ['a'] },
    { id: 'c', agent: 'x', deps: ['a'] },
    { id: 'd', agent: 'x', deps: ['b', 'c'] },
    { id: 'e', agent: 'x' },
    { id: 'f', agent: 'x', deps: ['d'] },
    { id: 'g', agent: 'x', deps: ['c'] },
    { id: 'h', agent: 'x', deps: ['e', 'b'] },
  ],
});
const index = (id: string) => dag.taskIndex(id)!;
const idOf = (task: number) => dag.index.ids[task]!;
const depsOf = (id: string): readonly string[] => {
  const { start, targets } = dag.index.deps;
  const task = index(id);
  return Array.from(targets.subarray(start[task]!, start[task + 1]!), idOf);
};

/** `dependentsToSkip` of `failed`, every task pending except `statuses`, as ids; and how often each status was read. */
function skippedBy(failed: string, statuses: Readonly<Record<string, StatusCode>> = {}): { ids: string[]; reads: Map<string, number> } {
  const reads = new Map<string, number>();
  const statusOf = (task: number) => {
    reads.set(idOf(task), (reads.get(idOf(task)) ?? 0) + 1);
    return statuses[idOf(task)] ?? StatusCode.Pending;
  };
  return { ids: dependentsToSkip(dag, index(failed), statusOf).map(idOf), reads };
}

describe('dependentsToSkip', () => {
  it.each<[string, string, Record<string, StatusCode>, string[]]>([
    ['every transitive dependent of a root', 'a', {}, ['b', 'c', 'd', 'f', 'g', 'h']],
    ['the dependents of a middle task only', 'c', {}, ['d', 'f', 'g']],
    ['a single dependent of a chain end', 'd', {}, ['f']],
    ['nothing for a task without dependents', 'f', {}, []],
    ['a dependent that also waits on a task outside the failure', 'e', {}, ['h']],
    [
      'dependents that are ready, running or in backoff (not ended)',
      'c',
      { d: StatusCode.Ready, g: StatusCode.Running, f: StatusCode.Backoff },
      ['d', 'f', 'g'],
    ],
    ['no dependent that already completed', 'c', { g: StatusCode.Completed }, ['d', 'f']],
    [
      'no dependent that already failed, was skipped or cancelled',
      'a',
      { c: StatusCode.Skipped, h: StatusCode.Cancelled, f: StatusCode.Failed },
      ['b', 'd'],
    ],
    ['nothing beyond an ended dependent on the only path', 'c', { d: StatusCode.Completed, g: StatusCode.Cancelled }, []],
    ['a task reached through another path past an ended one', 'a', { b: StatusCode.Completed }, ['c', 'd', 'f', 'g']],
  ])('should skip %s', (_, failed, statuses, expected) => {
    const { ids, reads } = skippedBy(failed, statuses);
    expect([...ids].sort()).toEqual(expected);
    expect(new Set(ids).size).toBe(ids.length);
    // each task comes after a dependency that led to it: the failed task or one skipped before it
    ids.forEach((id, k) => expect(depsOf(id).some((dep) => dep === failed || ids.slice(0, k).includes(dep))).toBe(true));
    // each task is visited once, however many paths lead to it
    for (const [id, count] of reads) expect([id, count]).toEqual([id, 1]);
    expect(reads.has(failed)).toBe(false);
  });

  it('should list a chain in order, dependents before their own dependents', () => {
    const chain = defineDag({
      id: 'chain',
      tasks: Array.from({ length: 6 }, (_, i) => ({ id: `t${i}`, agent: 'x', deps: i === 0 ? [] : [`t${i - 1}`] })),
    });
    const skipped = dependentsToSkip(chain, chain.taskIndex('t1')!, () => StatusCode.Pending).map((task) => chain.index.ids[task]);
    expect(skipped).toEqual(['t2', 't3', 't4', 't5']);
  });

  it('should visit each task of a wide lattice once', () => {
    // 20 layers of 20 tasks, each depending on every task of the layer before: 400 tasks, 7,600 edges
    const layers = Array.from({ length: 20 }, (_, l) => Array.from({ length: 20 }, (__, i) => `l${l}t${i}`));
    const lattice = defineDag({
      id: 'lattice',
      tasks: [
        { id: 'root', agent: 'x' },
        ...layers.flatMap((layer, l) => layer.map((id) => ({ id, agent: 'x', deps: l === 0 ? ['root'] : layers[l - 1]! }))),
      ],
    });
    const statusOf = jest.fn(() => StatusCode.Pending);
    const skipped = dependentsToSkip(lattice, lattice.taskIndex('root')!, statusOf);
    expect(skipped).toHaveLength(400);
    expect(new Set(skipped).size).toBe(400);
    expect(statusOf).toHaveBeenCalledTimes(400);
  });
});

const none: StatusCounts = { pending: 0, ready: 0, running: 0, backoff: 0, completed: 0, failed: 0, skipped: 0, cancelled: 0 };
const counts = (some: Partial<StatusCounts>): StatusCounts => ({ ...none, ...some });

describe('runOutcome', () => {
  it.each<[string, string, Partial<StatusCounts>, 'cancelled' | 'failed' | undefined]>([
    ['succeeded', 'every task completed', { completed: 5 }, undefined],
    ['succeeded', 'an empty run', {}, undefined],
    ['succeeded', 'skipped and cancelled tasks but no failure', { completed: 3, skipped: 1, cancelled: 1 }, undefined],
    ['failed', 'one failed task', { completed: 4, failed: 1 }, undefined],
    ['failed', 'failed and skipped tasks', { failed: 2, skipped: 3 }, undefined],
    ['cancelled', 'a run cancelled by its user', { completed: 2, cancelled: 3 }, 'cancelled'],
    ['cancelled', 'a run cancelled by its user after a failure', { failed: 1, cancelled: 4 }, 'cancelled'],
    ['cancelled', 'a run cancelled by its user with every task completed', { completed: 5 }, 'cancelled'],
    ['failed', 'a run ended early (fail-fast, critical)', { failed: 1, cancelled: 4 }, 'failed'],
    ['failed', 'a run ended early with no failed task counted', { completed: 1, cancelled: 4 }, 'failed'],
  ])('should end as %s: %s', (outcome, _, some, endedEarly) => {
    expect(runOutcome(counts(some), endedEarly)).toBe(outcome);
  });
});

describe('taskCounts', () => {
  it.each<[string, Partial<StatusCounts>, number, Record<string, number>]>([
    ['an empty run', {}, 0, { total: 0, completed: 0, failed: 0, skipped: 0, cancelled: 0 }],
    ['a run that succeeded', { completed: 5 }, 5, { total: 5, completed: 5, failed: 0, skipped: 0, cancelled: 0 }],
    [
      'a run with every kind of end',
      { completed: 2, failed: 1, skipped: 3, cancelled: 4 },
      10,
      { total: 10, completed: 2, failed: 1, skipped: 3, cancelled: 4 },
    ],
    [
      'a run with tasks not ended (total counts them, the tally does not)',
      { pending: 1, ready: 2, running: 3, backoff: 4, completed: 5 },
      15,
      { total: 15, completed: 5, failed: 0, skipped: 0, cancelled: 0 },
    ],
  ])('should tally %s', (_, some, total, tally) => {
    expect(taskCounts(counts(some), total)).toStrictEqual(tally);
  });
});
