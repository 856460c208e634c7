import { readFileSync } from 'node:fs';
import { from, lastValueFrom } from 'rxjs';
import type { TaskContext } from '../../../src/index';
import { taskContext } from '../support/taskContext';
import { ProcessGroups } from '../../../src/cli/agents/processGroups';
import { createShellAgent, type ShellInput, ShellCommandError } from '../../../src/cli/agents/shellAgent';
import { isRunning, readPids, tempDir } from '../support/files';

describe('shell agent', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  function context(input: Partial<ShellInput> & { command: string }, signal = new AbortController().signal, attempt = 1): TaskContext {
    return taskContext({ attempt, signal, input: { cwd: tmp.dir, env: {}, ...input } });
  }
  /** Runs one attempt the way the library does: whatever the agent returns, as an Observable. */
  function attempt(groups: ProcessGroups, task: TaskContext, maxOutputChars?: number): Promise<unknown> {
    const agent = createShellAgent({ groups, ...(maxOutputChars === undefined ? {} : { maxOutputChars }) });
    return lastValueFrom(from(Promise.resolve(agent(task))));
  }

  it('should succeed with the exit code and trimmed output, in cwd, with env and the RXDAG_ variables', async () => {
    const groups = new ProcessGroups(1000);
    const output = await attempt(
      groups,
      context(
        {
          command: 'pwd; echo "$GREETING $RXDAG_TASK_ID $RXDAG_ATTEMPT $RXDAG_RUN_ID $RXDAG_DAG_ID"; echo oops >&2',
          env: { GREETING: 'hello' },
        },
        undefined,
        2,
      ),
    );
    expect(output).toEqual({ exitCode: 0, stdout: `${tmp.dir}\nhello task 2 run-1 dag`, stderr: 'oops' });
    await groups.whenEmpty();
  });

  it('should fail with the exit code and the last stderr lines', async () => {
    const command = 'for i in 1 2 3 4 5 6 7; do echo "line $i" >&2; done; exit 4';
    const failure = attempt(new ProcessGroups(1000), context({ command }));
    await expect(failure).rejects.toBeInstanceOf(ShellCommandError);
    await expect(failure).rejects.toMatchObject({
      exitCode: 4,
      message: `\`${command}\` exited with code 4; last stderr lines:\nline 3\nline 4\nline 5\nline 6\nline 7`,
    });
    await expect(attempt(new ProcessGroups(1000), context({ command: 'exit 9' }))).rejects.toThrow(
      '`exit 9` exited with code 9 (no stderr output)',
    );
  });

  it('should keep only the end of a long output', async () => {
    const output = await attempt(new ProcessGroups(1000), context({ command: 'seq 1 2000' }), 20);
    expect(output).toEqual({ exitCode: 0, stdout: '…\n1997\n1998\n1999\n2000', stderr: '' });
  });

  it('should fail clearly when cwd does not exist', async () => {
    await expect(attempt(new ProcessGroups(1000), context({ command: 'true', cwd: tmp.file('nowhere') }))).rejects.toThrow(
      `task "task": cwd "${tmp.file('nowhere')}" is not an existing directory`,
    );
  });

  it('should kill the whole process group when its signal aborts, grandchildren included', async () => {
    const groups = new ProcessGroups(300);
    const controller = new AbortController();
    const pidFile = tmp.file('abort.pids');
    const running = attempt(
      groups,
      context({ command: `sleep 30 & echo $! >> ${pidFile}; echo $$ >> ${pidFile}; wait` }, controller.signal),
    );
    while (readFileSyncSafe(pidFile).split('\n').length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(groups.size).toBe(1);
    controller.abort(new Error('cancelled by the spec'));
    await expect(running).rejects.toThrow('cancelled by the spec');
    await groups.whenEmpty();
    expect(readPids(pidFile).filter(isRunning)).toEqual([]);
  });

  it('should end background processes the command left when it exits', async () => {
    const groups = new ProcessGroups(300);
    const pidFile = tmp.file('left.pids');
    await attempt(groups, context({ command: `sleep 30 > /dev/null 2>&1 & echo $! > ${pidFile}` }));
    await groups.whenEmpty();
    expect(readPids(pidFile).filter(isRunning)).toEqual([]);
  });

  it('should not start when its signal already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('too late'));
    const pidFile = tmp.file('never');
    await expect(attempt(new ProcessGroups(300), context({ command: `echo started > ${pidFile}` }, controller.signal))).rejects.toThrow(
      'too late',
    );
    expect(readFileSyncSafe(pidFile)).toBe('');
  });

  it('should refuse an input that is not a shell input', () => {
    const agent = createShellAgent({ groups: new ProcessGroups(0) });
    expect(() => agent({ ...context({ command: 'true' }), input: 42 })).toThrow(
      'task "task": the shell agent expects input {command: string, cwd: string, env?: object}, got 42',
    );
  });
});

function readFileSyncSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
