import { lastValueFrom, map, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { defineDag, runDag } from '../../src';
import { ticks } from '../../src/scheduler/ticks';

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('ticks', () => {
  it('should tick as interval does: 0, 1, 2, … one period apart, until unsubscribed', () => {
    const scheduler = newScheduler();
    scheduler.run(({ expectObservable }) => {
      expectObservable(ticks(3, scheduler), '^ 10ms !').toBe('3ms a 2ms b 2ms c', { a: 0, b: 1, c: 2 });
    });
  });

  it('should let go after thousands of ticks in virtual time without recursing through them', () => {
    const scheduler = new TestScheduler(() => undefined);
    const seen: number[] = [];
    const subscription = ticks(1, scheduler).subscribe((n) => seen.push(n));
    scheduler.schedule(() => subscription.unsubscribe(), 20_000);
    scheduler.maxFrames = Infinity;
    expect(() => scheduler.flush()).not.toThrow();
    expect(seen).toHaveLength(19_999);
    expect(subscription.closed).toBe(true);
  });
});

describe('a run of hours in virtual time, health checks on', () => {
  it('should end, its health checks stopped with it', async () => {
    const scheduler = new TestScheduler(() => undefined);
    scheduler.maxFrames = Infinity;
    const threeHours = 3 * 3600_000;
    const dag = defineDag({ id: 'long', tasks: [{ id: 'a', agent: 'wait' }] });
    const run = lastValueFrom(
      runDag(dag, { scheduler, healthCheckIntervalMs: 1000, agents: { wait: () => timer(threeHours, scheduler).pipe(map(() => 'done')) } }),
    );
    expect(() => scheduler.flush()).not.toThrow();
    await expect(run).resolves.toMatchObject({ type: 'dag.completed', outcome: 'succeeded', at: threeHours });
  });
});
