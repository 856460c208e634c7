import { lastValueFrom, toArray } from 'rxjs';
import { AgentError, type DagEvent, runDag, type TaskSpec } from '../../src';

/**
 * Collections that grow with a DAG (a spawn, the ready queue) are handled past
 * the ~120,000 items beyond which spreading them into one call (`push(...items)`) throws
 * `RangeError: Maximum call stack size exceeded`.
 */
describe('runs and DAGs of more items than one call takes', () => {
  const MANY = 150_000;

  it('should cancel a run whose ready queue holds them all when a task fails critically', async () => {
    const tasks = Array.from({ length: MANY }, (_, i): TaskSpec => ({ id: `t${i}`, agent: 'w' }));
    const agent = (task: { id: string }) => {
      if (task.id === 't1') throw new AgentError('down', { severity: 'critical' });
    };
    const last = await lastValueFrom(runDag({ id: 'big', tasks }, { agents: { w: agent }, maxConcurrency: 1, healthCheckIntervalMs: 0 }));
    expect(last).toMatchObject({ type: 'dag.completed', outcome: 'failed' });
    expect((last as Extract<DagEvent, { type: 'dag.completed' }>).counts).toMatchObject({ completed: 1, failed: 1, cancelled: MANY - 2 });
  });

  it('should run the tasks of one spawn of them all', async () => {
    const events = await lastValueFrom(
      runDag(
        { id: 'spawns', tasks: [{ id: 'plan', agent: 'planner' }] },
        {
          agents: {
            planner: (task) => task.spawn(Array.from({ length: MANY }, (_, i): TaskSpec => ({ id: `c${i}`, agent: 'w' }))),
            w: () => undefined,
          },
          healthCheckIntervalMs: 0,
        },
      ).pipe(toArray()),
    );
    expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded', counts: { total: MANY + 1, completed: MANY + 1 } });
  });
});
