import { jsonReporter, lineReporter } from '../../../src/cli/output/reporter';
import { eventsOf } from '../support/eventBuilder';

describe('line and JSON reporters', () => {
  const events = eventsOf(
    { type: 'dag.created', at: 10, dagId: 'd', taskCount: 1 },
    { type: 'task.started', at: 11, taskId: 'a', attempt: 1, agent: 'sleep' },
    { type: 'task.failed', at: 12, taskId: 'a', attempt: 1, error: { name: 'E', message: 'first' }, severity: 'error', willRetry: true },
    { type: 'task.failed', at: 13, taskId: 'a', attempt: 2, error: { name: 'E', message: 'second' }, severity: 'error', willRetry: false },
    {
      type: 'dag.completed',
      at: 14,
      outcome: 'failed',
      counts: { total: 1, completed: 0, failed: 1, skipped: 0, cancelled: 0 },
      durationMs: 4,
    },
  );
  const collect = (make: (out: { write(text: string): void }) => { onEvent(e: (typeof events)[number]): void }) => {
    let text = '';
    const reporter = make({ write: (chunk) => (text += chunk) });
    events.forEach((event) => reporter.onEvent(event));
    return text;
  };

  it('should print one JSON event per line, exactly as emitted', () => {
    expect(
      collect(jsonReporter)
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual(events);
  });

  it('should print a line per event', () => {
    expect(
      collect((out) => lineReporter(out, { quiet: false }))
        .trimEnd()
        .split('\n'),
    ).toHaveLength(events.length);
  });

  it('should print only final failures and the last line when quiet', () => {
    expect(
      collect((out) => lineReporter(out, { quiet: true }))
        .trimEnd()
        .split('\n'),
    ).toEqual([
      '[   0.003s] task.failed a #2 (error): E: second',
      '[   0.004s] dag.completed failed: 0/1 completed, 1 failed, 0 skipped, 0 cancelled in 0.00 s',
    ]);
  });

  it('should print a health check only after a quiet spell, as a heartbeat', () => {
    let text = '';
    const reporter = lineReporter({ write: (chunk) => (text += chunk) }, { quiet: false });
    const check = (at: number) => ({ type: 'health.checked' as const, runId: 'run-1', seq: 0, at, running: 1, ready: 0, pending: 0 });
    const started = (at: number, taskId: string) => ({
      type: 'task.started' as const,
      runId: 'run-1',
      seq: 0,
      at,
      taskId,
      attempt: 1,
      agent: 'sleep',
    });
    const completed = (at: number, taskId: string) => ({
      type: 'task.completed' as const,
      runId: 'run-1',
      seq: 0,
      at,
      taskId,
      attempt: 1,
      durationMs: 0,
      output: null,
    });
    const idle = { ...check(30010), running: 0 };
    for (const event of [
      events[0]!,
      started(1000, 'a'),
      check(5010),
      check(10010),
      started(12000, 'b'),
      completed(13000, 'a'),
      check(15010),
      check(20010),
      completed(21000, 'b'),
      check(25010),
      idle,
    ]) {
      reporter.onEvent(event);
    }
    reporter.finish();
    expect(text.trimEnd().split('\n')).toEqual([
      '[   0.000s] dag.created d: 1 task (run run-1)',
      '[   0.990s] task.started a #1 on sleep',
      // the check at 5 s follows a task's line: not shown; the one at 10 s follows nothing, and names what runs
      '[  10.000s] health.checked running 1, ready 0, pending 0: a for 9.0 s',
      '[  11.990s] task.started b #1 on sleep',
      '[  12.990s] task.completed a #1 in 0 ms',
      '[  20.000s] health.checked running 1, ready 0, pending 0: b for 8.0 s',
      '[  20.990s] task.completed b #1 in 0 ms',
      '[  30.000s] health.checked running 0, ready 0, pending 0',
    ]);
  });

  it("should not print a resumed run's journaled events again, and time its new ones from the run's start", () => {
    let text = '';
    const reporter = lineReporter({ write: (chunk) => (text += chunk) }, { quiet: false, history: events.slice(0, 2) });
    reporter.onEvent({ type: 'run.resumed', runId: 'run-1', seq: 3, at: 1010, resumedAfterSeq: 2, interrupted: ['a'] });
    expect(text).toBe('[   1.000s] run.resumed after seq 2; in flight when it stopped: a\n');
  });
});
