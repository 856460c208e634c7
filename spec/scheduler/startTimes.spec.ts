import { asapScheduler, type SchedulerLike } from 'rxjs';
import { type DagEvent, defineDag, runDag } from '../../src';

/**
 * A `task.started` says when its agent was called: a flush whose earlier events took its
 * listeners long (a wide DAG's first burst of `task.ready`, written to a slow log) must not date
 * the first start back to the flush's beginning.
 */
describe('the time of task.started', () => {
  it('should be the time its agent is called, however long the listeners of the events before it took', async () => {
    let now = 1_000;
    const clock: SchedulerLike = { now: () => now, schedule: asapScheduler.schedule.bind(asapScheduler) };
    const dag = defineDag({ id: 'wide', tasks: ['a', 'b', 'c', 'd'].map((id) => ({ id, agent: 'work' })) });
    const calledAt = new Map<string, number>();
    const seen: DagEvent[] = [];
    await new Promise<void>((done, fail) =>
      runDag(dag, {
        scheduler: clock,
        healthCheckIntervalMs: 0,
        maxConcurrency: 4,
        agents: {
          work: (ctx) => {
            calledAt.set(ctx.id, now);
            return Promise.resolve();
          },
        },
      }).subscribe({
        next: (event) => {
          seen.push(event);
          if (event.type === 'task.ready') now += 100; // a listener that takes 100 ms per event
        },
        error: fail,
        complete: done,
      }),
    );
    const starts = seen.filter((event) => event.type === 'task.started');
    expect(starts.map((event) => [event.taskId, event.at])).toEqual(starts.map((event) => [event.taskId, calledAt.get(event.taskId)]));
    // the readies stay at the flush's time, the first start comes after all four of them
    expect(seen.filter((event) => event.type === 'task.ready').map((event) => event.at)).toEqual([1_000, 1_000, 1_000, 1_000]);
    expect(starts[0]!.at).toBe(1_400);
  });
});
