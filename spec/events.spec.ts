import { type DagEvent, EVENT_TYPES, events, isEvent, isTerminalEvent, type TerminalEvent } from '../src';

const head = { runId: 'r', seq: 1, at: 0 };

describe('events', () => {
  it('should build each event with its type and the given fields', () => {
    expect(
      events.taskFailed({ ...head, taskId: 'a', attempt: 2, error: { name: 'Error', message: 'x' }, severity: 'error', willRetry: true }),
    ).toEqual({
      type: 'task.failed',
      runId: 'r',
      seq: 1,
      at: 0,
      taskId: 'a',
      attempt: 2,
      error: { name: 'Error', message: 'x' },
      severity: 'error',
      willRetry: true,
    });
    expect(events.dagCompleted.type).toBe('dag.completed');
  });

  it('should have a factory for every event type of the contract, and a matching guard', () => {
    const factoryTypes = Object.values(events).map((f) => f.type);
    expect(factoryTypes).toEqual([...EVENT_TYPES]);
    const ready = events.taskReady({ ...head, taskId: 'a', attempt: 1 });
    expect(events.taskReady.match(ready)).toBe(true);
    expect(events.taskStarted.match(ready)).toBe(false);
    expect(isEvent('task.started', 'task.ready')(ready)).toBe(true);
    expect(isEvent('task.started')(ready)).toBe(false);
  });

  it("should make an event of the factory's type, first of its fields, also from another event spread into it", () => {
    const started = events.taskStarted({ ...head, taskId: 'a', attempt: 1, agent: 'fn' });
    const ready = events.taskReady({ ...started, seq: 4 });
    expect([ready.type, Object.keys(ready)[0], events.taskReady.match(ready)]).toEqual(['task.ready', 'type', true]);
  });

  it('should take at least one event type: a guard of none would claim every event in its type and match none', () => {
    const none: readonly never[] = [];
    // @ts-expect-error: no type given (the type check of `npm test` fails if this compiles)
    const guard = isEvent(...none);
    expect(guard(events.taskReady({ ...head, taskId: 'a', attempt: 1 }))).toBe(false);
  });

  it.each<[DagEvent, boolean]>([
    [events.taskCompleted({ ...head, taskId: 'a', attempt: 1, durationMs: 1 }), true],
    [
      events.taskFailed({ ...head, taskId: 'a', attempt: 1, error: { name: 'E', message: 'm' }, severity: 'error', willRetry: false }),
      true,
    ],
    [
      events.taskFailed({ ...head, taskId: 'a', attempt: 1, error: { name: 'E', message: 'm' }, severity: 'error', willRetry: true }),
      false,
    ],
    [events.taskSkipped({ ...head, taskId: 'a', attempt: 1, because: 'b' }), true],
    [events.taskCancelled({ ...head, taskId: 'a', attempt: 1 }), true],
    [events.taskTimedOut({ ...head, taskId: 'a', attempt: 1, timeoutMs: 5 }), false],
    [events.taskStuck({ ...head, taskId: 'a', attempt: 1, runningForMs: 5 }), false],
    [events.healthChecked({ ...head, running: 0, ready: 0, pending: 0 }), false],
  ])('should tell whether %o ends its task', (event, terminal) => {
    expect(isTerminalEvent(event)).toBe(terminal);
  });

  it('should narrow to the events that end a task, and leave a retried failure to the other branch', () => {
    const failed = events.taskFailed({
      ...head,
      taskId: 'a',
      attempt: 1,
      error: { name: 'E', message: 'm' },
      severity: 'error',
      willRetry: true,
    });
    const all: DagEvent[] = [events.taskCompleted({ ...head, taskId: 'a', attempt: 2, durationMs: 1 }), failed];
    const ended: TerminalEvent[] = all.filter(isTerminalEvent);
    expect(ended.map((event) => event.taskId)).toEqual(['a']);
    const retried = all.find((event) => !isTerminalEvent(event));
    // a `task.failed` is on both sides: only one with `willRetry: false` ends its task
    expect(retried?.type === 'task.failed' && retried.willRetry).toBe(true);
  });

  it('should survive a JSON round trip unchanged', () => {
    const event = events.dagCompleted({
      ...head,
      outcome: 'failed',
      counts: { total: 2, completed: 1, failed: 1, skipped: 0, cancelled: 0 },
      failures: [{ taskId: 'a', attempt: 2, error: { name: 'Error', message: 'boom' } }],
      durationMs: 12,
    });
    expect(JSON.parse(JSON.stringify(event))).toEqual(event);
  });
});
