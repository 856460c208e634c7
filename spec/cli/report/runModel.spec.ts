import { attemptsStarted, buildRunModel } from '../../../src/cli/report/runModel';
import { eventsOf } from '../support/eventBuilder';
import { succeededAt } from './waitRuns';

describe('buildRunModel', () => {
  const error = { name: 'ShellCommandError', message: 'exited with code 1' };
  const events = eventsOf(
    { type: 'dag.created', at: 1000, dagId: 'etl', taskCount: 4 },
    { type: 'task.ready', at: 1000, taskId: 'a', attempt: 1 },
    { type: 'task.started', at: 1010, taskId: 'a', attempt: 1, agent: 'shell' },
    { type: 'task.timed-out', at: 1100, taskId: 'a', attempt: 1, timeoutMs: 90 },
    {
      type: 'task.failed',
      at: 1100,
      taskId: 'a',
      attempt: 1,
      error: { name: 'TaskTimeoutError', message: 'timed out' },
      severity: 'error',
      willRetry: true,
    },
    { type: 'task.retrying', at: 1150, taskId: 'a', attempt: 2 },
    { type: 'task.started', at: 1150, taskId: 'a', attempt: 2, agent: 'shell' },
    { type: 'task.failed', at: 1200, taskId: 'a', attempt: 2, error, severity: 'error', willRetry: true },
    { type: 'task.started', at: 1300, taskId: 'a', attempt: 3, agent: 'shell' },
    { type: 'task.completed', at: 1400, taskId: 'a', attempt: 3, durationMs: 100, warning: { name: 'W', message: 'slow' } },
    { type: 'task.ready', at: 1400, taskId: 'b', attempt: 1 },
    { type: 'task.started', at: 1400, taskId: 'b', attempt: 1, agent: 'sleep' },
    { type: 'task.failed', at: 1450, taskId: 'b', attempt: 1, error, severity: 'error', willRetry: false },
    { type: 'task.skipped', at: 1450, taskId: 'c', attempt: 1, because: 'b' },
    { type: 'task.ready', at: 1450, taskId: 'd', attempt: 1 },
    { type: 'task.started', at: 1460, taskId: 'd', attempt: 1, agent: 'sleep' },
    { type: 'task.cancelled', at: 1500, taskId: 'd', attempt: 1 },
    {
      type: 'dag.completed',
      at: 1500,
      outcome: 'cancelled',
      counts: { total: 4, completed: 1, failed: 1, skipped: 1, cancelled: 1 },
      durationMs: 500,
      failures: [{ taskId: 'b', attempt: 1, error }],
    },
  );

  it('should rebuild every attempt with its times from the start of the run and its outcome', () => {
    const model = buildRunModel(events);
    expect(model).toMatchObject({ dagId: 'etl', runId: 'run-1', outcome: 'cancelled', durationMs: 500, eventCount: 18 });
    const summary = model.tasks.map((task) => [
      task.id,
      task.outcome,
      task.readyMs,
      task.endMs,
      task.attempts.map((a) => `${a.attempt}:${a.startMs}-${a.endMs}:${a.outcome}${a.retry === 'none' ? '' : `+${a.retry}`}`),
    ]);
    expect(summary).toEqual([
      ['a', 'completed', 0, 400, ['1:10-100:timed-out+retried', '2:150-200:failed+retried', '3:300-400:warning']],
      ['b', 'failed', 400, 450, ['1:400-450:failed']],
      ['c', 'skipped', undefined, 450, []],
      ['d', 'cancelled', 450, 500, ['1:460-500:cancelled']],
    ]);
    expect(model.tasks.map((task) => task.detail)).toEqual([
      undefined,
      'ShellCommandError: exited with code 1',
      'skipped: upstream task "b" failed',
      undefined,
    ]);
    expect(model.tasks[0]!.attempts.map((a) => a.detail)).toEqual([
      'TaskTimeoutError: timed out',
      'ShellCommandError: exited with code 1',
      'slow',
    ]);
  });

  it("should take the DAG's id from run.resumed when the log starts there (a resumed process's --json)", () => {
    const resumedOnly = eventsOf(
      { type: 'run.resumed', at: 2000, resumedAfterSeq: 3, interrupted: [], dagId: 'etl', taskCount: 1 },
      { type: 'task.ready', at: 2000, taskId: 'a', attempt: 1 },
    );
    expect(buildRunModel(resumedOnly).dagId).toBe('etl');
  });

  it('should draw a time that goes back (a clock set back, a resume on a machine behind) as no time, never a negative span', () => {
    const model = buildRunModel(
      eventsOf(
        { type: 'dag.created', at: 5000, dagId: 'd', taskCount: 3 },
        { type: 'task.ready', at: 5000, taskId: 'a', attempt: 1 },
        { type: 'task.started', at: 5010, taskId: 'a', attempt: 1, agent: 'shell' },
        { type: 'task.completed', at: 900, taskId: 'a', attempt: 1, durationMs: 5 },
        { type: 'task.ready', at: 900, taskId: 'b', attempt: 1 },
        { type: 'task.started', at: 950, taskId: 'b', attempt: 1, agent: 'shell' },
        { type: 'task.completed', at: 5050, taskId: 'b', attempt: 1, durationMs: 5 },
        // set back between two attempts: the second starts where the first ended, not before it
        { type: 'task.ready', at: 5050, taskId: 'c', attempt: 1 },
        { type: 'task.started', at: 5100, taskId: 'c', attempt: 1, agent: 'shell' },
        { type: 'task.failed', at: 5200, taskId: 'c', attempt: 1, error: { name: 'E', message: 'x' }, severity: 'error', willRetry: true },
        { type: 'task.started', at: 3000, taskId: 'c', attempt: 2, agent: 'shell' },
        { type: 'task.completed', at: 3100, taskId: 'c', attempt: 2, durationMs: 100 },
        // its duration as the run's process measured it, not the clock's 5,250 ms
        succeededAt(5250, 3, 50),
      ),
    );
    expect(model.tasks.map((task) => [task.id, task.readyMs, task.attempts.map((a) => [a.startMs, a.endMs]), task.endMs])).toEqual([
      ['a', 0, [[10, 10]], 10],
      ['b', 0, [[0, 50]], 50],
      [
        'c',
        50,
        [
          [100, 200],
          [200, 200],
        ],
        200,
      ],
    ]);
  });

  it('should call a log cut short (no dag.completed) interrupted, its open attempts cut at its last event', () => {
    const model = buildRunModel(events.slice(0, 3), { knownTaskIds: ['a', 'z'] });
    // the counts so far: of the 4 tasks dag.created declares, none ended
    expect(model).toMatchObject({
      outcome: 'interrupted',
      counts: { total: 4, completed: 0, failed: 0, skipped: 0, cancelled: 0 },
      durationMs: 10,
    });
    expect(model.tasks.map((t) => [t.id, t.outcome, t.attempts.map((a) => `${a.startMs}-${a.endMs}:${a.outcome}`)])).toEqual([
      ['a', 'interrupted', ['10-10:interrupted']],
      ['z', 'unfinished', []],
    ]);
    expect(model.tasks[0]!.attempts[0]!.detail).toBe('interrupted: the process running it stopped before the attempt ended');
  });

  it('should count the tasks a log cut short does not name, from dag.created and each spawn, unless the DAG names them', () => {
    const cut = events.slice(0, 3); // `dag.created` says 4 tasks; only `a` became ready
    expect(buildRunModel(cut).unnamedTasks).toBe(3);
    expect(buildRunModel(cut, { knownTaskIds: ['a', 'b', 'c', 'd'] }).unnamedTasks).toBe(0);
    const spawned = eventsOf(
      { type: 'dag.created', at: 1000, dagId: 'etl', taskCount: 1 },
      { type: 'task.ready', at: 1000, taskId: 'plan', attempt: 1 },
      { type: 'tasks.spawned', at: 1001, taskId: 'plan', attempt: 1, tasks: [{ id: 'x' }, { id: 'y' }] },
    );
    expect(buildRunModel(spawned).unnamedTasks).toBe(2);
    expect(buildRunModel(events).unnamedTasks).toBe(0);
  });

  it('should call the log of a run still going unfinished, its open attempts running until the report was written', () => {
    const model = buildRunModel(events.slice(0, 3), { knownTaskIds: ['a', 'z'], stillRunningAt: 2020 });
    expect(model).toMatchObject({ outcome: 'unfinished', counts: { total: 4, completed: 0 }, durationMs: 1020 });
    expect(model.tasks.map((t) => [t.id, t.outcome, t.attempts.map((a) => `${a.startMs}-${a.endMs}:${a.outcome}`)])).toEqual([
      ['a', 'unfinished', ['10-1020:unfinished']],
      ['z', 'unfinished', []],
    ]);
  });

  it('should end the open attempts of a run still going no earlier than its last event, whatever the clock that wrote the report says', () => {
    const model = buildRunModel(events.slice(0, 3), { stillRunningAt: 1005 });
    expect(model).toMatchObject({ outcome: 'unfinished', durationMs: 10 });
    expect(model.tasks[0]!.attempts.map((a) => `${a.startMs}-${a.endMs}:${a.outcome}`)).toEqual(['10-10:unfinished']);
  });

  it('should draw a task cancelled while it waited to retry as failed, its retry cancelled, with its last error', () => {
    const model = buildRunModel(
      eventsOf(
        { type: 'dag.created', at: 0, dagId: 'd', taskCount: 1 },
        { type: 'task.ready', at: 0, taskId: 'e', attempt: 1 },
        { type: 'task.started', at: 0, taskId: 'e', attempt: 1, agent: 'shell' },
        { type: 'task.failed', at: 28, taskId: 'e', attempt: 1, error, severity: 'error', willRetry: true },
        { type: 'task.cancelled', at: 900, taskId: 'e', attempt: 1 },
        {
          type: 'dag.completed',
          at: 900,
          outcome: 'cancelled',
          counts: { total: 1, completed: 0, failed: 0, skipped: 0, cancelled: 1 },
          durationMs: 900,
        },
      ),
    );
    const [task] = model.tasks;
    expect(task!.attempts).toEqual([expect.objectContaining({ startMs: 0, endMs: 28, outcome: 'failed', retry: 'cancelled' })]);
    expect(task).toMatchObject({
      outcome: 'cancelled',
      endMs: 900,
      detail: 'cancelled while waiting to retry; attempt #1 failed: ShellCommandError: exited with code 1',
    });
  });

  it('should end an attempt cut by a crash where the journal ended, interrupted, and draw its run after the resume apart', () => {
    const model = buildRunModel(
      eventsOf(
        { type: 'dag.created', at: 0, dagId: 'd', taskCount: 1 },
        { type: 'task.ready', at: 0, taskId: 'a', attempt: 1 },
        { type: 'task.started', at: 10, taskId: 'a', attempt: 1, agent: 'shell' },
        { type: 'run.resumed', at: 500, resumedAfterSeq: 3, interrupted: ['a'] },
        { type: 'task.started', at: 510, taskId: 'a', attempt: 1, agent: 'shell' },
        { type: 'task.completed', at: 600, taskId: 'a', attempt: 1, durationMs: 90 },
        succeededAt(600, 1),
      ),
    );
    expect(model.tasks[0]!.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        startMs: 10,
        endMs: 10,
        outcome: 'interrupted',
        detail: expect.stringMatching(/^interrupted/),
      }),
      expect.objectContaining({ attempt: 1, startMs: 510, endMs: 600, outcome: 'completed' }),
    ]);
    expect(model.tasks[0]!.outcome).toBe('completed');
    // started again under the same number, it is the same attempt (as rxdag show counts it)
    expect(attemptsStarted(model.tasks[0]!)).toBe(1);
  });
});
