import { type DagEvent, events } from '../../../src';
import { inFlightTasks, localResumeRefusal } from '../../../src/cli/remote/remoteNote';

/** The attempts a remote run had on workers when it stopped, from its journaled events. */
describe('tasks in flight when a remote run stopped', () => {
  let seq = 0;
  const at = () => ({ runId: 'r', seq: ++seq, at: seq });
  const started = (taskId: string) => events.taskStarted({ ...at(), taskId, attempt: 1, agent: 'shell' });
  const history: DagEvent[] = [
    events.dagCreated({ ...at(), dagId: 'd', taskCount: 5 }),
    ...['plain', 'stuck', 'timed-out', 'spawner', 'done'].map((taskId) => events.taskReady({ ...at(), taskId, attempt: 1 })),
    ...['plain', 'stuck', 'timed-out', 'spawner', 'done'].map(started),
    events.taskStuck({ ...at(), taskId: 'stuck', attempt: 1, runningForMs: 60_000 }),
    events.taskTimedOut({ ...at(), taskId: 'timed-out', attempt: 1, timeoutMs: 5_000 }),
    events.tasksSpawned({ ...at(), taskId: 'spawner', attempt: 1, tasks: [{ id: 'child', agent: 'shell' }] }),
    events.taskCompleted({ ...at(), taskId: 'done', attempt: 1, durationMs: 1 }),
  ];

  it('should count an attempt told it is stuck, timed out before its failure, or spawning, as in flight', () => {
    expect(inFlightTasks(history).sort()).toEqual(['plain', 'spawner', 'stuck', 'timed-out']);
  });

  it('should refuse a local resume of a run whose only attempt in flight was reported stuck', () => {
    const stuckOnly = history.filter((event) => !('taskId' in event) || event.taskId === 'stuck');
    expect(localResumeRefusal('r', { resumeFlags: ' --redis redis://h:6379/0' }, stuckOnly, false)).toMatch(
      /^run r sent its attempts to rxdag workers, and one was in flight when it stopped \(stuck\)/,
    );
  });
});
