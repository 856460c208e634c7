import { type DagEvent, defineDag, events, initialRunState, InvalidTransitionError, reduceAll, selectTasks, trackRun } from '../../src';

// a -> b; c independent
const dag = defineDag({
  id: 'tracked',
  tasks: [
    { id: 'a', agent: 'x' },
    { id: 'b', agent: 'x', deps: ['a'] },
    { id: 'c', agent: 'x' },
  ],
});

const head = (seq: number) => ({ runId: 'r', seq, at: seq });
const run: DagEvent[] = [
  events.dagCreated({ ...head(1), dagId: 'tracked', taskCount: 3 }),
  events.taskReady({ ...head(2), taskId: 'a', attempt: 1 }),
  events.taskReady({ ...head(3), taskId: 'c', attempt: 1 }),
  events.taskStarted({ ...head(4), taskId: 'a', attempt: 1, agent: 'x' }),
  events.tasksSpawned({ ...head(5), taskId: 'a', attempt: 1, tasks: [{ id: 'd', agent: 'x' }] }),
  events.taskCompleted({ ...head(6), taskId: 'a', attempt: 1, durationMs: 2, output: 1 }),
  events.taskStarted({ ...head(7), taskId: 'c', attempt: 1, agent: 'x' }),
  events.taskFailed({ ...head(8), taskId: 'c', attempt: 1, error: { name: 'E', message: 'm' }, severity: 'error', willRetry: false }),
];

describe('trackRun', () => {
  it('should give the counts reduce gives, after every event', () => {
    const tracker = trackRun(dag, 'r');
    run.forEach((event, k) => {
      tracker.apply(event);
      expect(tracker.counts).toEqual(reduceAll(initialRunState(dag, 'r'), run.slice(0, k + 1)).counts);
    });
  });

  it('should count spawned tasks in its size', () => {
    const tracker = trackRun(dag, 'r');
    expect(tracker.size).toBe(3);
    run.slice(0, 5).forEach((event) => tracker.apply(event));
    expect(tracker.size).toBe(4);
  });

  it('should give snapshots equal to reduce, and go on after one', () => {
    const tracker = trackRun(dag, 'r');
    run.slice(0, 4).forEach((event) => tracker.apply(event));
    const early = tracker.state();
    expect(selectTasks(early)).toEqual(selectTasks(reduceAll(initialRunState(dag, 'r'), run.slice(0, 4))));
    run.slice(4).forEach((event) => tracker.apply(event));
    const final = tracker.state();
    expect(selectTasks(final)).toEqual(selectTasks(reduceAll(initialRunState(dag, 'r'), run)));
    expect(selectTasks(early).find((task) => task.id === 'a')?.status).toBe('running');
  });

  it.each([
    ['a task not running', ['a', 'c']],
    ['an unknown task', ['a', 'zz']],
    ['a task twice', ['a', 'a']],
  ])('should refuse a run.resumed naming %s as interrupted and keep its counts, none of the others moved', (_what, interrupted) => {
    const tracker = trackRun(dag, 'r');
    run.slice(0, 4).forEach((event) => tracker.apply(event)); // a running, c ready
    const before = tracker.counts;
    const resumed = events.runResumed({ ...head(5), resumedAfterSeq: 4, interrupted, dagId: 'tracked', taskCount: 3, maxConcurrency: 1 });
    expect(() => tracker.apply(resumed)).toThrow(InvalidTransitionError);
    expect(tracker.counts).toEqual(before);
  });

  it('should refuse an event out of order, as reduce does, and keep its counts', () => {
    const tracker = trackRun(dag, 'r');
    tracker.apply(run[0]!);
    expect(() => tracker.apply(run[2]!)).toThrow(InvalidTransitionError);
    expect(tracker.counts.ready).toBe(0);
    tracker.apply(run[1]!);
    expect(tracker.counts.ready).toBe(1);
  });
});
