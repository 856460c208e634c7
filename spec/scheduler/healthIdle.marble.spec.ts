import { NEVER, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { createScheduler, type DagEvent, defineDag, runDag } from '../../src';

/**
 * Health checks in virtual time, when nothing but them is left to run (an agent whose
 * Observable never completes, a promise that settles only after the flush): they go on until the
 * stalled attempt has been reported stuck, then stop, so that `flush()` and `TestScheduler.run`
 * return instead of ticking for ever. The next run or attempt starts them again.
 */
describe('health checks in virtual time with nothing else left to run', () => {
  /** A test scheduler whose `flush()` stops at `frames`: an endless tick fails the spec instead of hanging it. */
  const boundedScheduler = (frames: number) => {
    const scheduler = new TestScheduler(() => undefined);
    scheduler.maxFrames = frames;
    return scheduler;
  };
  const summary = (events: readonly DagEvent[]) =>
    events.filter((event) => event.type !== 'health.checked').map((event) => `${event.at} ${event.type}`);
  const checks = (events: readonly DagEvent[]) => events.filter((event) => event.type === 'health.checked').map((event) => event.at);

  it('should report the stalled attempt stuck, then stop ticking', () => {
    const scheduler = boundedScheduler(3_600_000);
    const events: DagEvent[] = [];
    const dag = defineDag({ id: 'stalled', tasks: [{ id: 'a', agent: 'never' }] });
    runDag(dag, { scheduler, agents: { never: () => NEVER } }).subscribe((event) => events.push(event));
    scheduler.flush();
    expect(summary(events)).toEqual(['0 dag.created', '0 task.ready', '0 task.started', '60000 task.stuck']);
    // idle from the first check on: ticks until that check plus the time to be reported stuck and one period
    expect(checks(events)).toEqual(Array.from({ length: 14 }, (_, i) => (i + 1) * 5000));
  });

  it('should stop when an agent’s marbles never complete (a `|` left out)', () => {
    // flush() as TestScheduler.run() drives it, but bounded: an endless tick would fail the spec, not hang it
    const scheduler = boundedScheduler(3_600_000);
    const events: DagEvent[] = [];
    const dag = defineDag({ id: 'typo', tasks: [{ id: 'a', agent: 'w' }] });
    const w = () => scheduler.createColdObservable('--x');
    runDag(dag, { scheduler, stuckAfterMs: 20_000, agents: { w } }).subscribe((event) => events.push(event));
    scheduler.flush();
    expect(summary(events)).toEqual(['0 dag.created', '0 task.ready', '0 task.started', '20000 task.stuck']);
    expect(checks(events).at(-1)).toBe(30_000); // idle from the check at 5 s: 20 s to be stuck and one period
  });

  it('should keep ticking while anything else is scheduled, start again with the next run, and stop again when idle', () => {
    const scheduler = boundedScheduler(3_600_000);
    const dagRuns = createScheduler({ scheduler, agents: { never: () => NEVER, slow: () => timer(12_000, scheduler) } });
    const stalled: DagEvent[] = [];
    dagRuns.submit(defineDag({ id: 'stalled', tasks: [{ id: 'a', agent: 'never' }] })).subscribe((event) => stalled.push(event));
    scheduler.flush();
    expect(checks(stalled).at(-1)).toBe(70_000);
    const later: DagEvent[] = [];
    scheduler.schedule(() => {
      dagRuns.submit(defineDag({ id: 'slow', tasks: [{ id: 'b', agent: 'slow' }] })).subscribe((event) => later.push(event));
    }, 1_000_000 - scheduler.now());
    scheduler.flush();
    expect(summary(later)).toEqual([
      '1000000 dag.created',
      '1000000 task.ready',
      '1000000 task.started',
      '1012000 task.completed',
      '1012000 dag.completed',
    ]);
    // the scheduler's checks, started again with the run: every 5 s while its timer is pending, then
    // idle again from 1,015,000 (the stalled run is still there) until that run could be reported stuck
    expect(checks(stalled).filter((at) => at > 1_000_000)).toEqual(Array.from({ length: 16 }, (_, i) => 1_005_000 + i * 5000));
  });

  it('should stop the checks of two runs of their own on one test scheduler, whose ticks do not count as work', () => {
    const scheduler = boundedScheduler(3_600_000);
    const events: DagEvent[][] = [[], []];
    for (const [i, seen] of events.entries()) {
      const dag = defineDag({ id: `stalled-${i}`, tasks: [{ id: 'a', agent: 'never' }] });
      runDag(dag, { scheduler, agents: { never: () => NEVER } }).subscribe((event) => seen.push(event));
    }
    scheduler.flush();
    for (const seen of events) expect(summary(seen)).toEqual(['0 dag.created', '0 task.ready', '0 task.started', '60000 task.stuck']);
    // the first to stop stops at 70 s; the other's flushes kept its checks from being idle until then
    expect(events.map((seen) => checks(seen).at(-1)!).sort((a, b) => a - b)).toEqual([70_000, 140_000]);
    expect(scheduler.now()).toBeLessThan(3_600_000); // stopped by itself, not by maxFrames
  });

  it('should count a run that starts while the checks wind down as work: its attempt is reported stuck too', () => {
    const scheduler = boundedScheduler(3_600_000);
    const dagRuns = createScheduler({ scheduler, agents: { never: () => NEVER } });
    const later: DagEvent[] = [];
    dagRuns.submit(defineDag({ id: 'first', tasks: [{ id: 'a', agent: 'never' }] })).subscribe((event) => {
      // started by the first stuck report, within the first run's last idle minute
      if (event.type === 'task.stuck')
        dagRuns.submit(defineDag({ id: 'second', tasks: [{ id: 'b', agent: 'never' }] })).subscribe((e) => later.push(e));
    });
    scheduler.flush();
    expect(summary(later)).toEqual(['60000 dag.created', '60000 task.ready', '60000 task.started', '120000 task.stuck']);
  });
});
