import { defineDag, type DagEvent, initialRunState, reduceAll, runDag } from '../../src';
import { inVirtualTime } from '../helpers';

// a and b fail for good (b after a retry), c succeeds, d depends on a (skipped)
const dag = defineDag({
  id: 'failing',
  tasks: [
    { id: 'a', agent: 'work' },
    { id: 'b', agent: 'work', retry: { attempts: 2, backoffMs: 3 } },
    { id: 'c', agent: 'work' },
    { id: 'd', agent: 'work', deps: ['a'] },
  ],
});

function run(): DagEvent[] {
  const events: DagEvent[] = [];
  inVirtualTime(({ cold }, scheduler) =>
    runDag(dag, {
      healthCheckIntervalMs: 0,
      runId: 'r',
      scheduler,
      agents: {
        work: ({ id, attempt }) =>
          id === 'c' ? cold('--(x|)') : cold(id === 'a' ? '-----#' : '-#', undefined, new Error(`${id} broke on attempt ${attempt}`)),
      },
    }).subscribe((event) => events.push(event)),
  );
  return events;
}

describe('dag.completed failures', () => {
  it('should list every task that failed for good, in the order they failed, with its last attempt and error', () => {
    const last = run().at(-1)!;
    expect(last).toMatchObject({ type: 'dag.completed', outcome: 'failed', counts: { failed: 2, skipped: 1, completed: 1 } });
    expect(last.type === 'dag.completed' && last.failures).toEqual([
      { taskId: 'a', attempt: 1, error: { name: 'Error', message: 'a broke on attempt 1' } },
      { taskId: 'b', attempt: 2, error: { name: 'Error', message: 'b broke on attempt 2' } },
    ]);
  });

  it('should not list an attempt that failed and was retried', () => {
    const events = run();
    const retried = events.filter((e) => e.type === 'task.failed' && e.willRetry);
    expect(retried).toHaveLength(1);
    const last = events.at(-1)!;
    expect(last.type === 'dag.completed' && last.failures.map((f) => `${f.taskId}#${f.attempt}`)).toEqual(['a#1', 'b#2']);
  });

  it('should list an empty array when nothing failed', () => {
    const events: DagEvent[] = [];
    inVirtualTime(({ cold }, scheduler) =>
      runDag(defineDag({ id: 'ok', tasks: [{ id: 'x', agent: 'work' }] }), { healthCheckIntervalMs: 0, scheduler, agents: { work: () => cold('-(x|)') } }).subscribe((e) =>
        events.push(e),
      ),
    );
    expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded', failures: [] });
  });

  it('should fold the same failures into the run state as dag.completed carries', () => {
    const events = run();
    const state = reduceAll(initialRunState(dag, 'r'), events);
    const last = events.at(-1)!;
    expect(state.failures).toEqual(last.type === 'dag.completed' ? last.failures : undefined);
  });
});
