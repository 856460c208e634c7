import { initialRunState, reduce, selectTaskOutput } from '../../src';
import { etlDag, runEtl } from '../../examples/etl';

describe('examples/etl', () => {
  it('should run to success with one retry and inject upstream outputs', async () => {
    const events = await runEtl();
    expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded', counts: { total: 6, completed: 6 } });
    expect(events.filter((e) => e.type === 'task.retrying').map((e) => 'taskId' in e && e.taskId)).toEqual(['validate']);
    const final = events.reduce(reduce, initialRunState(etlDag, events[0]!.runId));
    expect(selectTaskOutput(final, 'report')).toEqual({
      loaded: 2,
      totals: [
        { customer: 'Ada', total: 38 },
        { customer: 'Grace', total: 12 },
      ],
    });
  });
});
