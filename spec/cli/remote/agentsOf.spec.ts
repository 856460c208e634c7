import { events } from '../../../src/events';
import { agentsOf } from '../../../src/cli/remote/openRemote';

/**
 * The agents whose queues `rxdag run --redis` and `resume --redis` look at for connected workers:
 * those the DAG's tasks name, and for a resume those of the tasks left to run, spawned ones too.
 */
describe('agentsOf', () => {
  const spec = {
    id: 'd',
    defaults: { agent: 'sleep' },
    tasks: [{ id: 'a', agent: 'shell' }, { id: 'b' }, { id: 'c', agent: 'shell' }],
  };
  const head = { runId: 'r', at: 0, attempt: 1 };

  it("should give every task's agent, the defaults' for those that name none", () => {
    expect([...agentsOf(spec)].sort()).toEqual(['shell', 'sleep']);
  });

  it('should leave out the agents of tasks that ended, and count those of tasks spawned, for a resume', () => {
    const history = [
      events.taskCompleted({ ...head, seq: 1, taskId: 'a', durationMs: 1 }),
      events.taskFailed({ ...head, seq: 2, taskId: 'c', error: { name: 'Error', message: 'no' }, severity: 'error', willRetry: false }),
    ];
    expect([...agentsOf(spec, history)]).toEqual(['sleep']);
    const spawned = events.tasksSpawned({ ...head, seq: 3, taskId: 'b', tasks: [{ id: 'b1', agent: 'gpu' }] });
    expect([...agentsOf(spec, [...history, spawned])].sort()).toEqual(['gpu', 'sleep']);
    // a task failed with a retry to come is not ended
    const retried = events.taskFailed({
      ...head,
      seq: 4,
      taskId: 'a2',
      error: { name: 'Error', message: 'no' },
      severity: 'error',
      willRetry: true,
    });
    expect([...agentsOf({ ...spec, tasks: [...spec.tasks, { id: 'a2', agent: 'api' }] }, [...history, retried])].sort()).toEqual([
      'api',
      'sleep',
    ]);
  });
});
