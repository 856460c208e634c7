import { defineDag } from '../../../src';
import { RunTally } from '../../../src/cli/output/runTally';
import { eventsOf } from '../support/eventBuilder';

describe('RunTally', () => {
  const dag = defineDag({
    id: 'd',
    defaults: { agent: 'shell' },
    tasks: [{ id: 'a' }, { id: 'b' }, { id: 'c', deps: ['b'] }, { id: 'd' }],
  });
  const tallyAfter = (count: number) => {
    const tally = new RunTally(dag);
    for (const event of run.slice(0, count)) tally.apply(event);
    return tally;
  };
  const run = eventsOf(
    { type: 'dag.created', at: 0, dagId: 'd', taskCount: 4 },
    { type: 'task.ready', at: 0, taskId: 'a', attempt: 1 },
    { type: 'task.ready', at: 0, taskId: 'b', attempt: 1 },
    { type: 'task.started', at: 1, taskId: 'a', attempt: 1, agent: 'shell' },
    { type: 'task.started', at: 2, taskId: 'b', attempt: 1, agent: 'shell' },
    { type: 'task.failed', at: 3, taskId: 'b', attempt: 1, error: { name: 'E', message: 'm' }, severity: 'error', willRetry: true },
    { type: 'task.retrying', at: 4, taskId: 'b', attempt: 2 },
    { type: 'task.completed', at: 5, taskId: 'a', attempt: 1, durationMs: 4 },
    { type: 'task.started', at: 5, taskId: 'b', attempt: 2, agent: 'shell' },
    { type: 'task.failed', at: 6, taskId: 'b', attempt: 2, error: { name: 'E', message: 'm' }, severity: 'error', willRetry: false },
    { type: 'task.skipped', at: 6, taskId: 'c', attempt: 1, because: 'b' },
    { type: 'task.cancelled', at: 7, taskId: 'd', attempt: 1 },
  );

  it.each([
    [1, { pending: 4, ready: 0, running: 0, backoff: 0, finished: 0 }, []],
    [3, { pending: 2, ready: 2, running: 0, backoff: 0, finished: 0 }, []],
    [5, { pending: 2, ready: 0, running: 2, backoff: 0, finished: 0 }, ['a', 'b']],
    [6, { pending: 2, ready: 0, running: 1, backoff: 1, finished: 0 }, ['a']],
    [7, { pending: 2, ready: 1, running: 1, backoff: 0, finished: 0 }, ['a']],
    [12, { pending: 0, ready: 0, running: 0, backoff: 0, finished: 4 }, []],
  ])('should count tasks by phase after %d events', (count, expected, running) => {
    const tally = tallyAfter(count);
    const { finished, ...phases } = expected;
    for (const [phase, n] of Object.entries(phases)) expect([phase, tally.count(phase as 'pending')]).toEqual([phase, n]);
    expect(tally.finished).toBe(finished);
    expect(tally.running.ids()).toEqual(running);
  });

  it('should add tasks an agent spawned to the total, as pending', () => {
    const tally = tallyAfter(4);
    tally.apply({
      type: 'tasks.spawned',
      runId: 'run-1',
      seq: 5,
      at: 2,
      taskId: 'a',
      attempt: 1,
      tasks: [
        { id: 's1', agent: 'sleep' },
        { id: 's2', agent: 'sleep' },
      ],
    });
    expect([tally.total, tally.count('pending')]).toEqual([6, 4]);
  });

  it('should give the same counts as dag.completed would', () => {
    expect(tallyAfter(run.length).taskCounts()).toEqual({ total: 4, completed: 1, failed: 1, skipped: 1, cancelled: 1 });
  });
});
