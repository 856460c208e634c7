import { criticalPath } from '../../../src/cli/report/criticalPath';
import type { TaskRow } from '../../../src/cli/report/runModel';

/** Tasks that ran once, from start to end ms. */
function ran(spans: Record<string, [number, number] | undefined>): TaskRow[] {
  return Object.entries(spans).map(([id, span]) => ({
    id,
    outcome: span === undefined ? 'skipped' : 'completed',
    readyMs: undefined,
    endMs: span?.[1],
    detail: undefined,
    attempts:
      span === undefined
        ? []
        : [{ attempt: 1, agent: 'sleep', startMs: span[0], endMs: span[1], outcome: 'completed', retry: 'none', detail: undefined }],
  }));
}

/** A task whose one attempt failed, from start to end ms. */
function failedRun(id: string, startMs: number, endMs: number): TaskRow {
  return {
    id,
    outcome: 'failed',
    readyMs: undefined,
    endMs,
    detail: 'exit 1',
    attempts: [{ attempt: 1, agent: 'shell', startMs, endMs, outcome: 'failed', retry: 'none', detail: 'exit 1' }],
  };
}

describe('criticalPath', () => {
  it('should walk back from the task that ended last through the dependency that ended last', () => {
    // a -> c, b -> c, c -> e, d -> e: b ends after a, c after d
    const tasks = ran({ a: [0, 10], b: [0, 30], c: [30, 50], d: [0, 40], e: [50, 60], lone: [0, 20] });
    const edges = [
      ['a', 'c'],
      ['b', 'c'],
      ['c', 'e'],
      ['d', 'e'],
    ] as const;
    expect(criticalPath(tasks, edges)).toEqual(['b', 'c', 'e']);
  });

  it('should leave out tasks that never ran, and be empty when nothing ran', () => {
    expect(criticalPath(ran({ a: [0, 10], b: undefined }), [['a', 'b']])).toEqual(['a']);
    expect(criticalPath(ran({ a: undefined }), [])).toEqual([]);
  });

  it('should walk back through a skipped dependency, when it was skipped, to the failure that skipped it', () => {
    // quick -> alert, slow -> downstream -> alert: slow failed at 400, downstream was skipped then,
    // and alert (any-failed) started once both of its dependencies had ended
    const tasks: TaskRow[] = [
      ...ran({ quick: [0, 100], alert: [400, 410] }),
      failedRun('slow', 0, 400),
      { id: 'downstream', outcome: 'skipped', readyMs: undefined, endMs: 400, detail: 'skipped: slow failed', attempts: [] },
    ];
    const edges = [
      ['quick', 'alert'],
      ['slow', 'downstream'],
      ['downstream', 'alert'],
    ] as const;
    expect(criticalPath(tasks, edges)).toEqual(['slow', 'downstream', 'alert']);
  });

  it('should not walk back to a dependency that ended after the task was skipped, nor end at a skip tied with a task that ran', () => {
    // b fails at 100; c (deps b, x) is skipped at 115, before x ends at 1010; d (all-done) runs after c's skip
    const skippedC: TaskRow = { id: 'c', outcome: 'skipped', readyMs: undefined, endMs: 115, detail: 'skipped: b failed', attempts: [] };
    const tasks = [...ran({ x: [0, 1010] }), failedRun('b', 0, 100), skippedC, ...ran({ d: [115, 1615] })];
    const edges = [
      ['b', 'c'],
      ['x', 'c'],
      ['c', 'd'],
    ] as const;
    expect(criticalPath(tasks, edges)).toEqual(['b', 'c', 'd']);
    // a run that succeeded: the alert its rule skipped as the last test ended is not where the path ends
    const alert: TaskRow = { id: 'alert', outcome: 'skipped', readyMs: undefined, endMs: 500, detail: 'skipped', attempts: [] };
    expect(
      criticalPath(
        [...ran({ build: [0, 300], test: [300, 500] }), alert],
        [
          ['build', 'test'],
          ['test', 'alert'],
        ],
      ),
    ).toEqual(['build', 'test']);
  });

  it('should take, of dependencies that ended in the same millisecond, the one whose end the log has later', () => {
    const tasks = ran({ x: [0, 10], y: [0, 10], z: [10, 20] });
    const ordered = (first: string) => tasks.map((task) => ({ ...task, endOrder: task.id === first ? 1 : task.id === 'z' ? 3 : 2 }));
    const edges: [string, string][] = [
      ['x', 'z'],
      ['y', 'z'],
    ];
    expect(criticalPath(ordered('x'), edges)).toEqual(['y', 'z']);
    expect(criticalPath(ordered('y'), edges)).toEqual(['x', 'z']);
  });

  it('should end, of tasks that ended in the same millisecond, at one that ran to its end rather than one cancelled then', () => {
    // fail-fast: slow failed at 400, and api (running) was cancelled in the same millisecond, later in the log
    const api: TaskRow = { ...ran({ api: [100, 400] })[0]!, outcome: 'cancelled', endOrder: 3 };
    const tasks = [...ran({ fetch: [0, 100] }), { ...failedRun('slow', 100, 400), endOrder: 2 }, api];
    const edges: [string, string][] = [
      ['fetch', 'slow'],
      ['fetch', 'api'],
    ];
    expect(criticalPath(tasks, edges)).toEqual(['fetch', 'slow']);
    // a cancelled task still goes before one that never ran
    const skipped: TaskRow = {
      id: 'after',
      outcome: 'skipped',
      readyMs: undefined,
      endMs: 400,
      detail: 'skipped',
      attempts: [],
      endOrder: 4,
    };
    expect(criticalPath([...ran({ fetch: [0, 100] }), api, skipped], [['fetch', 'api']])).toEqual(['fetch', 'api']);
  });

  it('should stop rather than loop on edges that form a cycle', () => {
    // tasks of no length, so that each could have waited for the other
    expect(
      criticalPath(ran({ a: [0, 0], b: [0, 0] }), [
        ['a', 'b'],
        ['b', 'a'],
      ]),
    ).toEqual(['a', 'b']);
  });
});
