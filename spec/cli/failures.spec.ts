import { ensureBuilt, runCli } from './support/builtCli';
import { eventLogViolations, outcomes } from './support/eventLogInvariants';
import { isRunning, readEventLog, readPids, tempDir } from './support/files';

/** `rxdag run` when tasks fail: exit 1, skipped dependents, --fail-fast, timeouts. */
describe('rxdag run (failing DAGs)', () => {
  const tmp = tempDir();
  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(() => tmp.remove());

  it('should exit 1, skip the dependents of a failed task and finish the independent branch', async () => {
    const log = tmp.file('failing.jsonl');
    const result = await runCli(['run', 'spec/cli/fixtures/failing.yaml', '--events', log]);
    expect(result.code).toBe(1);
    const events = readEventLog(log);
    expect(eventLogViolations(events)).toEqual([]);
    expect(outcomes(events)).toEqual({
      prepare: 'task.completed',
      broken: 'task.failed',
      'after-broken': 'task.skipped',
      independent: 'task.completed',
      'after-independent': 'task.completed',
    });
    const failed = events.find((e) => e.type === 'task.failed');
    // the error names the exit code and quotes the last stderr lines
    expect(failed).toMatchObject({
      willRetry: false,
      error: {
        name: 'ShellCommandError',
        message: '`echo "compiling" …` exited with code 3; last stderr lines:\nwarning: deprecated flag\nerror: missing semicolon',
      },
    });
    expect(events[events.length - 1]).toMatchObject({ outcome: 'failed' });
  }, 20_000);

  it('should cancel the rest of the run with --fail-fast and still exit 1', async () => {
    const log = tmp.file('fail-fast.jsonl');
    const result = await runCli(['run', 'spec/cli/fixtures/failing.yaml', '--fail-fast', '--events', log, '--quiet']);
    expect(result.code).toBe(1);
    const events = readEventLog(log);
    expect(eventLogViolations(events)).toEqual([]);
    expect(outcomes(events)).toMatchObject({
      broken: 'task.failed',
      'after-broken': 'task.cancelled',
      independent: 'task.cancelled',
      'after-independent': 'task.cancelled',
    });
    expect(events[events.length - 1]).toMatchObject({ outcome: 'failed', counts: { failed: 1, cancelled: 3 } });
    expect(result.stdout).toMatch(/task\.failed broken #1 \(error\): ShellCommandError/);
  }, 20_000);

  it('should fail a task past its timeoutMs and kill its whole process group', async () => {
    const log = tmp.file('timeout.jsonl');
    const pidFile = tmp.file('timeout.pids');
    const result = await runCli(['run', 'spec/cli/fixtures/timeout.yaml', '--events', log, '--kill-grace', '500'], { PID_FILE: pidFile });
    expect(result.code).toBe(1);
    const events = readEventLog(log);
    expect(eventLogViolations(events)).toEqual([]);
    expect(events.map((e) => e.type)).toEqual([
      'dag.created',
      'task.ready',
      'task.started',
      'task.timed-out',
      'task.failed',
      'task.skipped',
      'dag.completed',
    ]);
    expect(events[3]).toMatchObject({ taskId: 'hangs', timeoutMs: 400 });
    // the shell and its background `sleep 30` are both gone when the CLI exits
    const pids = readPids(pidFile);
    expect(pids).toHaveLength(2);
    expect(pids.filter(isRunning)).toEqual([]);
  }, 20_000);
});
