import { lastValueFrom, toArray } from 'rxjs';
import { defineDag, runDag, WorkerResult } from '../../src';

describe('WorkerResult', () => {
  it('should put the worker on task.completed and keep the output as the output', async () => {
    const dag = defineDag({ id: 'remote', tasks: [{ id: 'a', agent: 'far' }, { id: 'b', agent: 'near', deps: ['a'] }] });
    const events = await lastValueFrom(
      runDag(dag, {
        healthCheckIntervalMs: 0,
        agents: { far: async () => new WorkerResult({ answer: 42 }, 'gpu-3:4187'), near: ({ upstream }) => upstream.a },
      }).pipe(toArray()),
    );
    const completed = events.filter((e) => e.type === 'task.completed');
    expect(completed[0]).toMatchObject({ taskId: 'a', output: { answer: 42 }, worker: 'gpu-3:4187' });
    expect(completed[1]).toMatchObject({ taskId: 'b', output: { answer: 42 } });
    expect(completed[1]).not.toHaveProperty('worker');
  });
});
