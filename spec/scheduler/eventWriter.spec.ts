import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { type DagEvent, defineDag, events } from '../../src';
import { extendDag } from '../../src/dag/extendDag';
import { createEventBus } from '../../src/signals';
import { EventWriter } from '../../src/scheduler/eventWriter';
import { FlushClock } from '../../src/scheduler/flushClock';
import { initialRunState } from '../../src/state/runState';

// a -> b; c independent
const dag = defineDag({
  id: 'writer',
  tasks: [
    { id: 'a', agent: 'x' },
    { id: 'b', agent: 'x', deps: ['a'] },
    { id: 'c', agent: 'x' },
  ],
});

/** A clock that says what the test sets, and counts its readings. */
function manualClock(): { scheduler: SchedulerLike; set(ms: number): void; readings(): number } {
  let now = 0;
  let readings = 0;
  return {
    scheduler: { now: () => (readings++, now), schedule: asyncScheduler.schedule.bind(asyncScheduler) },
    set: (ms) => (now = ms),
    readings: () => readings,
  };
}

function writerOf(clock = manualClock()) {
  const written: DagEvent[] = [];
  const bus = createEventBus();
  const onBus: DagEvent[] = [];
  bus.events$.subscribe((event) => onBus.push(event));
  const flushClock = new FlushClock(clock.scheduler);
  const writer = new EventWriter(
    'r1',
    initialRunState(dag, 'r1'),
    flushClock,
    { next: (e) => written.push(e), complete() {}, error() {} },
    bus,
  );
  return { writer, written, onBus, flushClock, clock };
}

/** Same fields and the same key order (what an events log line shows). */
function expectSameEvent(actual: DagEvent, expected: DagEvent): void {
  expect(actual).toEqual(expected);
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
}

describe('EventWriter', () => {
  it('should build every event exactly as the public factories do, stamped with runId, seq and at', () => {
    const { writer, written, clock, flushClock } = writerOf();
    clock.set(5);
    const head = (seq: number) => ({ runId: 'r1', seq, at: 5 });
    const error = { name: 'Error', message: 'boom' };
    const spawnSpecs = [{ id: 'd', agent: 'x' }];

    writer.created('writer', 3, 'skip-dependents');
    writer.ready(0);
    writer.ready(2);
    writer.started(0, 1, 'x');
    writer.started(2, 1, 'x');
    writer.timedOut(2, 1, 100);
    writer.failed(2, 1, error, 'error', true);
    writer.retrying(2, 2);
    writer.stuck(0, 1, 2); // started at 2: running for 3 ms at 5
    writer.spawned(0, 1, spawnSpecs, extendDag(dag, 0, spawnSpecs, { completed: () => false, ended: () => false }));
    writer.completed(0, 1, 2, { n: 1 }, undefined);
    writer.agentAvailable('x');
    writer.healthChecked(writer.draft.statusCounts);
    writer.cancelled(2, 2);
    writer.skipped(1, 1, 'a');
    writer.skipped(3, 1, 'a');
    flushClock.invalidate();
    clock.set(9);
    writer.dagCompleted('cancelled', { total: 4, completed: 1, failed: 0, skipped: 2, cancelled: 1 });

    const expected: DagEvent[] = [
      events.dagCreated({ ...head(1), dagId: 'writer', taskCount: 3, failurePolicy: 'skip-dependents' }),
      events.taskReady({ ...head(2), taskId: 'a', attempt: 1 }),
      events.taskReady({ ...head(3), taskId: 'c', attempt: 1 }),
      events.taskStarted({ ...head(4), taskId: 'a', attempt: 1, agent: 'x' }),
      events.taskStarted({ ...head(5), taskId: 'c', attempt: 1, agent: 'x' }),
      events.taskTimedOut({ ...head(6), taskId: 'c', attempt: 1, timeoutMs: 100 }),
      events.taskFailed({ ...head(7), taskId: 'c', attempt: 1, error, severity: 'error', willRetry: true }),
      events.taskRetrying({ ...head(8), taskId: 'c', attempt: 2 }),
      events.taskStuck({ ...head(9), taskId: 'a', attempt: 1, runningForMs: 3 }),
      events.tasksSpawned({ ...head(10), taskId: 'a', attempt: 1, tasks: spawnSpecs }),
      events.taskCompleted({ ...head(11), taskId: 'a', attempt: 1, durationMs: 3, output: { n: 1 } }),
      events.agentAvailable({ ...head(12), agent: 'x' }),
      events.healthChecked({ ...head(13), running: 0, ready: 1, pending: 2 }),
      events.taskCancelled({ ...head(14), taskId: 'c', attempt: 2 }),
      events.taskSkipped({ ...head(15), taskId: 'b', attempt: 1, because: 'a' }),
      events.taskSkipped({ ...head(16), taskId: 'd', attempt: 1, because: 'a' }),
      events.dagCompleted({
        runId: 'r1',
        seq: 17,
        at: 9,
        outcome: 'cancelled',
        counts: { total: 4, completed: 1, failed: 0, skipped: 2, cancelled: 1 },
        durationMs: 4,
        failures: [],
      }),
    ];
    expect(written).toHaveLength(expected.length);
    written.forEach((event, k) => expectSameEvent(event, expected[k]!));
  });

  it('should apply each event to the run state before anyone sees it, and refuse an illegal one', () => {
    const { writer, written } = writerOf();
    writer.created('writer', 3, 'skip-dependents');
    writer.ready(0);
    expect(writer.draft.statusCounts).toMatchObject({ pending: 2, ready: 1 });
    expect(() => writer.completed(0, 1, 0, undefined, undefined)).toThrow(/task\.completed for task "a" in status ready/);
    expect(written.map((e) => e.type)).toEqual(['dag.created', 'task.ready']);
    expect(writer.snapshot().seq).toBe(2);
  });

  it('should read the clock once per flush until it is invalidated', () => {
    const { writer, written, clock, flushClock } = writerOf();
    writer.created('writer', 3, 'skip-dependents');
    clock.set(40);
    writer.ready(0);
    expect(written.map((e) => e.at)).toEqual([0, 0]);
    expect(clock.readings()).toBe(1);
    flushClock.invalidate();
    writer.ready(2);
    expect(written.map((e) => e.at)).toEqual([0, 0, 40]);
  });

  it('should publish on the bus only while someone listens there', () => {
    const { writer, written, onBus } = writerOf();
    writer.created('writer', 3, 'skip-dependents');
    expect(onBus).toEqual(written);
  });

  it('should keep a snapshot until new events, and give outputs from the draft or the snapshot', () => {
    const { writer } = writerOf();
    writer.created('writer', 3, 'skip-dependents');
    writer.ready(0);
    writer.started(0, 1, 'x');
    writer.completed(0, 1, 0, 'out', undefined);
    expect(writer.outputOf(0)).toBe('out');
    const first = writer.snapshot();
    expect(writer.snapshot()).toBe(first);
    expect(writer.outputOf(0)).toBe('out');
  });
});
