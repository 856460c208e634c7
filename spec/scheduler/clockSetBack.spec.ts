import { asyncScheduler, lastValueFrom, type SchedulerLike, toArray } from 'rxjs';
import { type DagEvent, runDag } from '../../src/index';

/**
 * A clock set back while a run goes on (an NTP step, a clock fixed by hand) gives no negative
 * durations: an attempt or a run that "ended before it started" took no time.
 */
describe('a clock set back during a run', () => {
  it('should give durations of 0, not negative ones', async () => {
    let clock = 1_000_000_000;
    const scheduler: SchedulerLike = {
      now: () => clock,
      schedule: (work, delay, state) => asyncScheduler.schedule(work as never, delay, state),
    };
    const agents = {
      fn: async () => {
        clock -= 600_000; // set back by ten minutes while the attempt runs
        return 'done';
      },
    };
    const events: DagEvent[] = await lastValueFrom(
      runDag({ id: 'd', tasks: [{ id: 'a', agent: 'fn' }] }, { agents, scheduler, healthCheckIntervalMs: 0 }).pipe(toArray()),
    );
    const durations = events.flatMap((event) =>
      event.type === 'task.completed' || event.type === 'dag.completed' ? [[event.type, event.durationMs]] : [],
    );
    expect(durations).toEqual([
      ['task.completed', 0],
      ['dag.completed', 0],
    ]);
  });
});
