import { events } from '../../../src/index';
import { runSetupOf, withSpawnedTasks } from '../../../src/cli/output/runSetup';

/** What `show` and the report say a task asks of the run: its own limits and weight, else the DAG's defaults. */
describe('runSetupOf', () => {
  const limits = { api: { concurrency: 2 }, gpu: { concurrency: 1 } };

  it("should give each task the defaults' limits and weight unless it has its own, none included", () => {
    const setup = runSetupOf(
      {
        id: 'd',
        defaults: { limits: ['api'], weight: 2 },
        tasks: [{ id: 'a' }, { id: 'b', limits: [], weight: 1 }, { id: 'c', limits: ['gpu'] }],
      },
      limits,
    );
    expect([...setup.tasks]).toEqual([
      ['a', { limits: ['api'], weight: 2 }],
      ['c', { limits: ['gpu'], weight: 2 }],
    ]);
  });

  it('should give tasks spawned during the run the defaults too', () => {
    const setup = runSetupOf({ id: 'd', defaults: { limits: ['api'] }, tasks: [{ id: 'plan' }] }, limits);
    const spawned = events.tasksSpawned({
      runId: 'r',
      seq: 3,
      at: 0,
      taskId: 'plan',
      attempt: 1,
      tasks: [{ id: 'w1' }, { id: 'w2', limits: [] }],
    });
    expect(withSpawnedTasks(setup, [spawned]).tasks.get('w1')).toEqual({ limits: ['api'] });
    expect(withSpawnedTasks(setup, [spawned]).tasks.has('w2')).toBe(false);
  });
});
