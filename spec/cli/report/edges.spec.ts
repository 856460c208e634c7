import { declaredEdges, inferredEdges, spawnedEdges } from '../../../src/cli/report/edges';
import { eventsOf } from '../support/eventBuilder';
import type { TaskSpec } from '../../../src/index';

/** The `tasks.spawned` of `taskId`'s first attempt at `at`. */
function spawnedBy(taskId: string, at: number, tasks: TaskSpec[]) {
  return { type: 'tasks.spawned', at, taskId, attempt: 1, tasks } as const;
}

describe('report edges', () => {
  it('should take declared edges from deps, dropping tasks the report does not know', () => {
    expect(declaredEdges({ b: ['a'], c: ['a', 'b', 'ghost'] }, new Set(['a', 'b', 'c']))).toEqual({
      edges: [
        ['a', 'b'],
        ['a', 'c'],
        ['b', 'c'],
      ],
      inferred: false,
    });
  });

  it('should infer "unblocked by" edges: the last completion before a task first became ready', () => {
    const events = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'd', taskCount: 4 },
      { type: 'task.ready', at: 0, taskId: 'a', attempt: 1 },
      { type: 'task.ready', at: 0, taskId: 'b', attempt: 1 },
      { type: 'task.completed', at: 1, taskId: 'a', attempt: 1, durationMs: 1 },
      { type: 'task.completed', at: 2, taskId: 'b', attempt: 1, durationMs: 2 },
      { type: 'task.ready', at: 2, taskId: 'c', attempt: 1 },
      { type: 'task.completed', at: 3, taskId: 'c', attempt: 1, durationMs: 1 },
      { type: 'task.ready', at: 3, taskId: 'd', attempt: 1 },
    );
    expect(inferredEdges(events)).toEqual({
      edges: [
        ['b', 'c'],
        ['c', 'd'],
      ],
      inferred: true,
    });
  });
});

describe('inferred edges of a run that spawned tasks', () => {
  it("should take a spawned task's edges from its tasks.spawned event, not guess them", () => {
    const events = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'd', taskCount: 2 },
      { type: 'task.ready', at: 0, taskId: 'plan', attempt: 1 },
      spawnedBy('plan', 1, [
        { id: 's1', agent: 'sleep' },
        { id: 's2', agent: 'sleep', deps: ['s1'] },
      ]),
      { type: 'task.completed', at: 1, taskId: 'plan', attempt: 1, durationMs: 1 },
      { type: 'task.ready', at: 1, taskId: 's1', attempt: 1 },
      { type: 'task.completed', at: 2, taskId: 's1', attempt: 1, durationMs: 1 },
      { type: 'task.ready', at: 2, taskId: 's2', attempt: 1 },
      { type: 'task.completed', at: 3, taskId: 's2', attempt: 1, durationMs: 1 },
      { type: 'task.ready', at: 3, taskId: 'final', attempt: 1 },
    );
    const { edges, inferred } = inferredEdges(events, spawnedEdges(events));
    expect(inferred).toBe(true);
    // s2 depends on the spawner and on s1 (a guess would give s1 only); final's edge is guessed
    expect(edges).toEqual([
      ['plan', 's1'],
      ['plan', 's2'],
      ['s1', 's2'],
      ['s2', 'final'],
    ]);
  });
});

describe('spawnedEdges', () => {
  it('should link each spawned task to the task that spawned it and to its own deps', () => {
    const events = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'd', taskCount: 1 },
      spawnedBy('plan', 1, [
        { id: 's1', agent: 'sleep' },
        { id: 's2', agent: 'sleep', deps: ['s1', 'plan'] },
      ]),
    );
    expect(spawnedEdges(events)).toEqual([
      ['plan', 's1'],
      ['plan', 's2'],
      ['s1', 's2'],
    ]);
  });

  it('should make what depended on the spawner wait for the spawned tasks, through nested spawns', () => {
    // plan -> reduce declared; plan spawns a and b (b after a); a spawns a-sub, which reduce and b then wait for
    const events = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'd', taskCount: 2 },
      spawnedBy('plan', 1, [
        { id: 'a', agent: 'sleep' },
        { id: 'b', agent: 'sleep', deps: ['a'] },
      ]),
      spawnedBy('a', 2, [{ id: 'a-sub', agent: 'sleep' }]),
    );
    expect(spawnedEdges(events, [['plan', 'reduce']])).toEqual([
      ['plan', 'a'],
      ['a', 'reduce'],
      ['plan', 'b'],
      ['a', 'b'],
      ['b', 'reduce'],
      ['a', 'a-sub'],
      // what waited for a (reduce, through plan's spawn, and b) waits for what a spawned
      ['a-sub', 'reduce'],
      ['a-sub', 'b'],
    ]);
  });
});
