import { buildRunModel } from '../../../src/cli/report/runModel';
import { MOST_SHOWN_TASKS, SHOWN_AT_MOST, shownTasks, skipCauses } from '../../../src/cli/report/shownTasks';
import type { DagEvent } from '../../../src/index';
import { eventsOf } from '../support/eventBuilder';

/** The ids shown of `events`' run, and the kinds counted, with `path` as its critical path. */
function shownOf(events: DagEvent[], path: readonly string[] = []) {
  const { tasks, kinds, slowest } = shownTasks(buildRunModel(events), path, skipCauses(events));
  return {
    ids: tasks.map((task) => task.id),
    kinds: Object.fromEntries(kinds.map(({ kind, shown, of }) => [kind, [shown, of]])),
    slowest: slowest.map((task) => task.id),
  };
}

const error = { name: 'Error', message: 'boom' };

describe('shownTasks', () => {
  it('should cap each kind, and draw no more than every kind full', () => {
    expect(MOST_SHOWN_TASKS).toBe(Object.values(SHOWN_AT_MOST).reduce((sum, most) => sum + most, 0));
  });

  it('should show a skip that goes back to a failure, through skips, and no skip by a trigger rule while nothing failed', () => {
    const events = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'skips', taskCount: 6 },
      { type: 'task.started', at: 0, taskId: 'f', attempt: 1, agent: 'shell' },
      { type: 'task.failed', at: 1, taskId: 'f', attempt: 1, error, severity: 'error', willRetry: false },
      { type: 'task.skipped', at: 1, taskId: 'later', attempt: 1, because: 'direct' },
      { type: 'task.skipped', at: 1, taskId: 'direct', attempt: 1, because: 'f' },
      { type: 'task.started', at: 0, taskId: 'w', attempt: 1, agent: 'shell' },
      { type: 'task.completed', at: 1, taskId: 'w', attempt: 1, durationMs: 1 },
      { type: 'task.skipped', at: 2, taskId: 'alert', attempt: 1, because: 'w' },
      { type: 'task.skipped', at: 2, taskId: 'page', attempt: 1, because: 'alert' },
    );
    const { ids, kinds } = shownOf(events);
    // in the run's order; of skips, those whose own dependency failed come first when capped
    expect(ids).toEqual(['f', 'later', 'direct', 'w']);
    expect(kinds).toMatchObject({ failed: [1, 1], skippedByFailure: [2, 2] });
  });

  it('should show the retried tasks, and not an attempt run again on resume', () => {
    const events = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'retries', taskCount: 3 },
      { type: 'task.started', at: 0, taskId: 'flaky', attempt: 1, agent: 'shell' },
      { type: 'task.failed', at: 1, taskId: 'flaky', attempt: 1, error, severity: 'error', willRetry: true },
      { type: 'task.started', at: 2, taskId: 'flaky', attempt: 2, agent: 'shell' },
      { type: 'task.completed', at: 3, taskId: 'flaky', attempt: 2, durationMs: 1 },
      { type: 'task.started', at: 0, taskId: 'resumed', attempt: 1, agent: 'shell' },
      { type: 'run.resumed', at: 10, resumedAfterSeq: 6, interrupted: ['resumed'] },
      { type: 'task.started', at: 11, taskId: 'resumed', attempt: 1, agent: 'shell' },
      { type: 'task.completed', at: 12, taskId: 'resumed', attempt: 1, durationMs: 1 },
      {
        type: 'dag.completed',
        at: 12,
        outcome: 'succeeded',
        counts: { total: 2, completed: 2, failed: 0, skipped: 0, cancelled: 0 },
        durationMs: 12,
      },
    );
    expect(shownOf(events).kinds).toMatchObject({ retried: [1, 1], cutShort: [0, 0] });
  });

  it('should show the tasks a stop or a cancel of the run cut short', () => {
    const events = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'stopped', taskCount: 3 },
      { type: 'task.started', at: 0, taskId: 'cancelled', attempt: 1, agent: 'shell' },
      { type: 'task.cancelled', at: 1, taskId: 'cancelled', attempt: 1 },
      { type: 'task.started', at: 0, taskId: 'cut', attempt: 1, agent: 'shell' },
      { type: 'task.started', at: 0, taskId: 'done', attempt: 1, agent: 'shell' },
      { type: 'task.completed', at: 1, taskId: 'done', attempt: 1, durationMs: 1 },
    );
    expect(shownOf(events).kinds).toMatchObject({ cutShort: [2, 2] });
    expect(shownOf(events).ids).toEqual(['cancelled', 'cut', 'done']);
  });

  it('should show the slowest, the longest busy first and ties in the run order, up to its cap', () => {
    const size = SHOWN_AT_MOST.slowest + 5;
    // task i is busy i % 7 ms: the cap falls among ties
    const events = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'slow', taskCount: size },
      ...Array.from({ length: size }, (_, i) => [
        { type: 'task.started' as const, at: 0, taskId: `t${i}`, attempt: 1, agent: 'sleep' },
        { type: 'task.completed' as const, at: i % 7, taskId: `t${i}`, attempt: 1, durationMs: i % 7 },
      ]).flat(),
    );
    const ids = Array.from({ length: size }, (_, i) => i);
    const expected = ids
      .sort((a, b) => (b % 7) - (a % 7) || a - b)
      .slice(0, SHOWN_AT_MOST.slowest)
      .map((i) => `t${i}`);
    const { slowest, kinds } = shownOf(events);
    expect(slowest).toEqual(expected);
    expect(kinds).toMatchObject({ slowest: [SHOWN_AT_MOST.slowest, size] });
  });

  it('should show the two ends of a long critical path', () => {
    const size = SHOWN_AT_MOST.criticalPath + 10;
    const path = Array.from({ length: size }, (_, i) => `c${i}`);
    const events = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'chain', taskCount: size },
      ...path.map((taskId, i) => ({ type: 'task.completed' as const, at: i, taskId, attempt: 1, durationMs: 0 })),
    );
    const { ids, kinds } = shownOf(events, path);
    const half = SHOWN_AT_MOST.criticalPath / 2;
    expect(ids).toEqual([...path.slice(0, half), ...path.slice(size - half)]);
    expect(kinds).toMatchObject({ criticalPath: [SHOWN_AT_MOST.criticalPath, size] });
  });
});
