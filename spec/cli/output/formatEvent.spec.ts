import { defineDag } from '../../../src/index';
import { EventFormatter, formatEvent, retryWaitsOf } from '../../../src/cli/output/formatEvent';
import { eventsOf } from '../support/eventBuilder';

describe('formatEvent', () => {
  it('should name the first ten attempts a resumed run had in flight and count the others', () => {
    const interrupted = Array.from({ length: 1000 }, (_, i) => `t${i}`);
    const [few, many] = eventsOf(
      { type: 'run.resumed', at: 2000, resumedAfterSeq: 7, interrupted: ['a', 'b'] },
      { type: 'run.resumed', at: 2000, resumedAfterSeq: 7, interrupted },
    ).map((event) => formatEvent(event, 1000));
    expect(few).toBe('[   1.000s] run.resumed after seq 7; in flight when it stopped: a, b');
    expect(many).toBe(
      '[   1.000s] run.resumed after seq 7; in flight when it stopped: t0, t1, t2, t3, t4, t5, t6, t7, t8, t9 and 990 more',
    );
  });

  it('should describe each event on one line, timed from the start of the run', () => {
    const lines = eventsOf(
      { type: 'dag.created', at: 1000, dagId: 'etl', taskCount: 1 },
      { type: 'task.ready', at: 1000, taskId: 'a', attempt: 1 },
      { type: 'task.started', at: 1001, taskId: 'a', attempt: 1, agent: 'shell' },
      { type: 'task.timed-out', at: 1500, taskId: 'a', attempt: 1, timeoutMs: 499 },
      { type: 'task.stuck', at: 1500, taskId: 'a', attempt: 1, runningForMs: 499 },
      { type: 'task.retrying', at: 1600, taskId: 'a', attempt: 2 },
      { type: 'task.completed', at: 1700, taskId: 'a', attempt: 2, durationMs: 90, warning: { name: 'W', message: 'slow' } },
      { type: 'task.skipped', at: 1700, taskId: 'b', attempt: 1, because: 'a' },
      { type: 'task.cancelled', at: 1700, taskId: 'c', attempt: 1 },
      { type: 'agent.available', at: 1700, agent: 'shell' },
      { type: 'health.checked', at: 1700, running: 1, ready: 2, pending: 3 },
      {
        type: 'dag.completed',
        at: 12_345,
        outcome: 'failed',
        counts: { total: 3, completed: 1, failed: 0, skipped: 1, cancelled: 1 },
        durationMs: 11_345,
      },
    ).map((event) => formatEvent(event, 1000));
    expect(lines).toEqual([
      '[   0.000s] dag.created etl: 1 task (run run-1)',
      '[   0.000s] task.ready a',
      '[   0.001s] task.started a #1 on shell',
      '[   0.500s] task.timed-out a #1 after 499 ms',
      '[   0.500s] task.stuck a #1: running for 499 ms',
      '[   0.600s] task.retrying a #2',
      '[   0.700s] task.completed a #2 in 90 ms with warning: slow',
      '[   0.700s] task.skipped b: upstream task a failed',
      '[   0.700s] task.cancelled c #1',
      '[   0.700s] agent.available shell',
      '[   0.700s] health.checked running 1, ready 2, pending 3',
      '[  11.345s] dag.completed failed: 1/3 completed, 0 failed, 1 skipped, 1 cancelled in 11.35 s',
    ]);
  });

  it('should name the tasks an agent spawned, the first five of them', () => {
    const [spawned] = eventsOf({
      type: 'tasks.spawned',
      at: 5,
      taskId: 'plan',
      attempt: 1,
      tasks: ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => ({ id, agent: 'sleep' })),
    });
    expect(formatEvent(spawned!, 0)).toBe('[   0.005s] tasks.spawned by plan #1: 6 tasks (a, b, c, d, e, …)');
  });

  it('should indent the continuation lines of a multi-line error under the first', () => {
    const [failed] = eventsOf({
      type: 'task.failed',
      at: 2,
      taskId: 't',
      attempt: 1,
      error: { name: 'ShellCommandError', message: 'exited with code 1; last stderr lines:\nboom' },
      severity: 'error',
      willRetry: true,
    });
    expect(formatEvent(failed!, 0)).toBe(
      '[   0.002s] task.failed t #1 (error, will retry): ShellCommandError: exited with code 1; last stderr lines:\n            boom',
    );
  });

  it("should say when a failed attempt is tried again: the wait its error asked for, else its task's backoff", () => {
    const dag = defineDag({ id: 'd', tasks: [{ id: 't', agent: 'x', retry: { attempts: 4, backoffMs: 500, backoffFactor: 3 } }] });
    const failure = {
      type: 'task.failed',
      at: 2,
      taskId: 't',
      error: { name: 'Error', message: 'no' },
      severity: 'error',
      willRetry: true,
    } as const;
    const [first, second, asked, spawned] = eventsOf(
      { ...failure, attempt: 1 },
      { ...failure, attempt: 2 },
      { ...failure, attempt: 3, retryAfterMs: 65_000 },
      { ...failure, attempt: 1, taskId: 'spawned' },
    );
    const lines = new EventFormatter(retryWaitsOf(dag));
    expect([first, second, asked, spawned].map((event) => lines.format(event!))).toEqual([
      '[   0.000s] task.failed t #1 (error, will retry in 500 ms): Error: no',
      '[   0.000s] task.failed t #2 (error, will retry in 1.50 s): Error: no',
      '[   0.000s] task.failed t #3 (error, will retry in 1 min 05 s): Error: no',
      // a task the DAG does not have (spawned during the run): no policy to tell
      '[   0.000s] task.failed spawned #1 (error, will retry): Error: no',
    ]);
  });

  it('should name the worker of a remote attempt that failed there', () => {
    const [failed] = eventsOf({
      type: 'task.failed',
      at: 2,
      taskId: 't',
      attempt: 1,
      error: { name: 'TypeError', message: 'bad row 7' },
      severity: 'error',
      willRetry: false,
      worker: 'gpu-3:4117',
    });
    expect(formatEvent(failed!, 0)).toBe('[   0.002s] task.failed t #1 on worker gpu-3:4117 (error): TypeError: bad row 7');
  });

  it('should say why a task was skipped from how the task it names ended, following the run', () => {
    const lines = new EventFormatter();
    const text = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'd', taskCount: 5 },
      { type: 'task.started', at: 0, taskId: 'a', attempt: 1, agent: 'fn' },
      { type: 'task.completed', at: 1, taskId: 'a', attempt: 1, durationMs: 1, output: null },
      { type: 'task.skipped', at: 1, taskId: 'alert', attempt: 1, because: 'a' },
      { type: 'task.skipped', at: 1, taskId: 'after-alert', attempt: 1, because: 'alert' },
      { type: 'task.started', at: 1, taskId: 'b', attempt: 1, agent: 'fn' },
      { type: 'task.failed', at: 2, taskId: 'b', attempt: 1, error: { name: 'Error', message: 'no' }, severity: 'error', willRetry: false },
      { type: 'task.skipped', at: 2, taskId: 'publish', attempt: 1, because: 'b' },
    )
      .map((event) => lines.format(event))
      .filter((line) => line.includes('skipped'));
    expect(text).toEqual([
      '[   0.001s] task.skipped alert: no dependency failed (when any-failed)',
      '[   0.001s] task.skipped after-alert: upstream task alert was skipped',
      '[   0.002s] task.skipped publish: upstream task b failed',
    ]);
  });

  it('should show the attempt of a cancelled task only if that attempt ran, following the run', () => {
    const lines = new EventFormatter();
    const shown = eventsOf(
      { type: 'dag.created', at: 1000, dagId: 'etl', taskCount: 3 },
      { type: 'task.ready', at: 1000, taskId: 'a', attempt: 1 },
      { type: 'task.ready', at: 1000, taskId: 'b', attempt: 1 },
      { type: 'task.started', at: 1001, taskId: 'a', attempt: 1, agent: 'shell' },
      { type: 'task.started', at: 1001, taskId: 'b', attempt: 1, agent: 'shell' },
      { type: 'task.failed', at: 1002, taskId: 'b', attempt: 1, error: { name: 'E', message: 'm' }, severity: 'error', willRetry: true },
      { type: 'task.cancelled', at: 1003, taskId: 'a', attempt: 1 },
      { type: 'task.cancelled', at: 1003, taskId: 'b', attempt: 2 },
      { type: 'task.cancelled', at: 1003, taskId: 'c', attempt: 1 },
    ).map((event) => lines.format(event));
    expect(shown.slice(-3)).toEqual([
      '[   0.003s] task.cancelled a #1',
      '[   0.003s] task.cancelled b (waiting to retry after #1)',
      '[   0.003s] task.cancelled c (never started)',
    ]);
  });
});
