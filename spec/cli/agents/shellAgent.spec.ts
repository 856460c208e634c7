import { execFileSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { from, lastValueFrom } from 'rxjs';
import { AttemptHandedBackError, type TaskContext, TaskTimeoutError } from '../../../src/index';
import { taskContext } from '../support/taskContext';
import { ProcessGroups } from '../../../src/cli/agents/processGroups';
import { createShellAgent, type ShellAgentOptions, type ShellInput, ShellCommandError } from '../../../src/cli/agents/shellAgent';
import { TaskLogs } from '../../../src/cli/agents/taskLogs';
import { isRunning, readPids, shutFolders, tempDir } from '../support/files';
import { asAnotherUser } from '../../journal/support/anotherUser';

describe('shell agent', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());
  afterEach(() => jest.useRealTimers());

  function context(input: Partial<ShellInput> & { command: string }, signal = new AbortController().signal, attempt = 1): TaskContext {
    return taskContext({ attempt, signal, input: { cwd: tmp.dir, env: {}, ...input } });
  }
  /** Runs one attempt the way the library does: whatever the agent returns, as an Observable. */
  function attempt(groups: ProcessGroups, task: TaskContext, options: Omit<ShellAgentOptions, 'groups'> = {}): Promise<unknown> {
    const agent = createShellAgent({ groups, ...options });
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

  it("should keep the CLI's secrets from the task's environment, unless the task gives them itself", async () => {
    const secrets = { RXDAG_WORKER_KEY: 'k'.repeat(32), RXDAG_REDIS_PASSWORD: 's3cret' };
    const saved = { ...process.env };
    Object.assign(process.env, secrets, { KEPT: 'yes' });
    try {
      const groups = new ProcessGroups(1000);
      const command = 'echo "[$RXDAG_WORKER_KEY] [$RXDAG_REDIS_PASSWORD] [$KEPT]"';
      await expect(attempt(groups, context({ command }))).resolves.toMatchObject({ stdout: '[] [] [yes]' });
      await expect(attempt(groups, context({ command, env: { RXDAG_REDIS_PASSWORD: 'its own' } }))).resolves.toMatchObject({
        stdout: '[] [its own] [yes]',
      });
      await groups.whenEmpty();
    } finally {
      for (const name of [...Object.keys(secrets), 'KEPT']) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });

  it('should keep the store from the task when its address holds a password, and pass it on when it does not', async () => {
    const saved = process.env.RXDAG_STORE;
    const groups = new ProcessGroups(1000);
    const command = 'echo "[$RXDAG_STORE]"';
    const seen = async (store: string) => {
      process.env.RXDAG_STORE = store;
      return ((await attempt(groups, context({ command }))) as { stdout: string }).stdout;
    };
    try {
      expect(await seen('postgres://ci:S3cret@db:5432/runs?schema=nightly')).toBe('[]');
      expect(await seen('postgres://ci@db/runs?sslmode=require&password=S3cret')).toBe('[]');
      expect(await seen('postgres://ci@db/runs?sslmode=verify-full&sslpassword=K3y')).toBe('[]');
      expect(await seen('postgres://ci@db:5432/runs')).toBe('[postgres://ci@db:5432/runs]');
      expect(await seen('/var/lib/rxdag')).toBe('[/var/lib/rxdag]');
      await groups.whenEmpty();
    } finally {
      if (saved === undefined) delete process.env.RXDAG_STORE;
      else process.env.RXDAG_STORE = saved;
    }
  });

  it('should fail with the exit code and the last stderr lines', async () => {
    const command = 'echo "on stdout"; for i in 1 2 3 4 5 6 7; do echo "line $i" >&2; done; exit 4';
    const failure = attempt(new ProcessGroups(1000), context({ command }));
    await expect(failure).rejects.toBeInstanceOf(ShellCommandError);
    await expect(failure).rejects.toMatchObject({
      exitCode: 4,
      message: `\`${command}\` exited with code 4; last stderr lines:\nline 3\nline 4\nline 5\nline 6\nline 7`,
    });
    await expect(attempt(new ProcessGroups(1000), context({ command: 'exit 9' }))).rejects.toThrow(
      '`exit 9` exited with code 9 (no output)',
    );
  });

  it('should say which limit a shell met that could not start a process for its command (dash, bash)', async () => {
    const hint =
      "\n(its shell could not start a process for it: the limit of processes, `ulimit -u` or a container's, was reached, or memory ran out: raise the limit, free memory, or run fewer tasks at once)";
    for (const said of ['/bin/sh: 1: Cannot fork', 'bash: fork: retry: Resource temporarily unavailable']) {
      const command = `echo '${said}' >&2; exit 2`;
      await expect(attempt(new ProcessGroups(1000), context({ command }))).rejects.toMatchObject({
        message: `\`${command}\` exited with code 2; last stderr lines:\n${said}${hint}`,
      });
    }
    // on stdout, it is the command's own text
    const quoted = "echo 'Cannot fork'; exit 2";
    await expect(attempt(new ProcessGroups(1000), context({ command: quoted }))).rejects.toMatchObject({
      message: `\`${quoted}\` exited with code 2; last stdout lines:\nCannot fork`,
    });
  });

  it("should hand a worker's task back to the queue when its shell could not start a process, its cause the command's failure", async () => {
    const command = "echo 'starting' >&2; echo '/bin/sh: 1: Cannot fork' >&2; exit 2";
    const handedBack = await attempt(new ProcessGroups(1000), context({ command }), { handBackAfterMs: 2000 }).catch(
      (error: unknown) => error,
    );
    expect(handedBack).toBeInstanceOf(AttemptHandedBackError);
    expect((handedBack as Error).message).toBe(
      'task "task" was handed back to run again on another worker: its shell could not start a process on this worker (Cannot fork)',
    );
    expect((handedBack as Error).cause).toBeInstanceOf(ShellCommandError);
    // any other failure on a worker is the attempt's own, one whose output quotes another shell's fork failure too
    // and one whose shell forked again (bash's `retry`), or went on after the line
    for (const command of [
      'exit 2',
      "echo 'remote: bash: fork: retry: Resource temporarily unavailable' >&2; exit 1",
      "echo 'bash: fork: retry: Resource temporarily unavailable' >&2; exit 1",
      "echo 'sh: 1: Cannot fork' >&2; echo 'tests: 3 failed' >&2; exit 1",
      // a shell the command started, under a process limit of its own
      "echo 'bash: fork: Resource temporarily unavailable' >&2; exit 1",
      "echo 'sh: 1: Cannot fork' >&2; exit 2",
    ])
      await expect(attempt(new ProcessGroups(1000), context({ command }), { handBackAfterMs: 2000 })).rejects.toBeInstanceOf(
        ShellCommandError,
      );
  });

  it('should quote the last stdout lines when the command wrote nothing but whitespace to stderr', async () => {
    const command = 'echo compiling; echo "  " >&2; printf "Error in orders\\n  at line 3\\n\\n"; exit 1';
    const failure = attempt(new ProcessGroups(1000), context({ command }), { stderrLinesInError: 2 });
    await expect(failure).rejects.toMatchObject({
      exitCode: 1,
      message: `\`${command}\` exited with code 1; last stdout lines:\nError in orders\n  at line 3`,
    });
  });

  it('should quote stdout when stderr holds only a colour reset (a trap on exit) or the cursor shown again', async () => {
    const command = `trap 'printf "\\033[0m\\033[?25h\\n" >&2' EXIT; echo 'Error: config.yml: missing key "db"'; exit 3`;
    await expect(attempt(new ProcessGroups(1000), context({ command }))).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringMatching(/ exited with code 3; last stdout lines:\nError: config\.yml: missing key "db"$/),
    });
  });

  it('should keep only the end of a long output', async () => {
    const output = await attempt(new ProcessGroups(1000), context({ command: 'seq 1 2000' }), { maxOutputChars: 20 });
    expect(output).toEqual({ exitCode: 0, stdout: '…\n1997\n1998\n1999\n2000', stderr: '' });
  });

  it('should settle a task that writes a lot right before it exits with all of it, up to the kept maximum', async () => {
    const command = "head -c 1000000 /dev/zero | tr '\\0' x; echo; echo end";
    const output = await attempt(new ProcessGroups(1000), context({ command }), { maxOutputChars: 2_000_000 });
    expect(output).toEqual({ exitCode: 0, stdout: `${'x'.repeat(1_000_000)}\nend`, stderr: '' });
  });

  it('should settle when its shell exits, waiting for no timer and leaving none', async () => {
    // timers that run only when told to: a task that waited for one after its exit would never
    // settle (and the spec would time out)
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'Date', 'hrtime', 'performance'] });
    const groups = new ProcessGroups(1000);
    const signal = new AbortController().signal;
    for (let i = 0; i < 3; i++) await attempt(groups, context({ command: 'echo done' }, signal));
    await groups.whenEmpty();
    expect(jest.getTimerCount()).toBe(0);
    expect(getEventListeners(signal, 'abort')).toEqual([]);
  }, 5000);

  describe('with a process that left its process group', () => {
    // a marker no other process has in its command line, to find the sleeper and stop it
    const sleeper = 'sleep 5.123';
    afterEach(() => stopProcesses(sleeper));
    /** Starts the sleeper in a session of its own and waits until it is there. */
    const daemon = (readyFile: string) =>
      `setsid sh -c 'touch ${readyFile}; exec ${sleeper}' & until [ -e ${readyFile} ]; do sleep 0.01; done; `;

    it('should end when its shell exits, with what the shell wrote', async () => {
      const groups = new ProcessGroups(1000);
      const signal = new AbortController().signal;
      const startedAt = Date.now();
      const output = await attempt(groups, context({ command: `${daemon('started')}echo tunnel started; echo ready >&2` }, signal));
      expect(Date.now() - startedAt).toBeLessThan(4000); // not the sleeper's 5 s
      expect(output).toEqual({ exitCode: 0, stdout: 'tunnel started', stderr: 'ready' });
      expect(getEventListeners(signal, 'abort')).toEqual([]);
      // it is not stopped: it left the group the task owns
      expect(processesWith(sleeper)).toHaveLength(1);
      await groups.whenEmpty();
    });

    it('should fail with the exit code of its shell and its last lines', async () => {
      const startedAt = Date.now();
      await expect(
        attempt(new ProcessGroups(1000), context({ command: `${daemon('refused')}echo "tunnel refused"; exit 3` })),
      ).rejects.toMatchObject({
        exitCode: 3,
        signal: null,
        message: expect.stringMatching(/ exited with code 3; last stdout lines:\ntunnel refused$/),
      });
      expect(Date.now() - startedAt).toBeLessThan(4000); // not the sleeper's 5 s
      expect(processesWith(sleeper)).toHaveLength(1);
    });
  });

  it('should fail clearly when cwd does not exist, or is a file', async () => {
    await expect(attempt(new ProcessGroups(1000), context({ command: 'true', cwd: tmp.file('nowhere') }))).rejects.toThrow(
      `task "task": cwd "${tmp.file('nowhere')}" is not an existing directory`,
    );
    const file = tmp.file('a-file');
    writeFileSync(file, '');
    await expect(attempt(new ProcessGroups(1000), context({ command: 'true', cwd: file }))).rejects.toThrow(
      `task "task": cwd "${file}" is a file, not a directory`,
    );
    // a folder under it: the file on the way is named
    await expect(attempt(new ProcessGroups(1000), context({ command: 'true', cwd: `${file}/sub/dir` }))).rejects.toThrow(
      `task "task": cwd "${file}/sub/dir" is under a file (${file}), not a directory`,
    );
  });

  it('should fail a command longer than the system takes with what to do, not a bare E2BIG, and with no other attempt', async () => {
    const failure = attempt(new ProcessGroups(1000), context({ command: `echo ${'x'.repeat(200_000)}`, cwd: tmp.dir }));
    await expect(failure).rejects.toThrow(
      /^task "task": cannot start `echo x+…?`: spawn E2BIG \(the command is longer than the system takes in one argument, 128 KiB: write it to a script file and run that\)$/,
    );
    // too long stays too long: a retry would fail the same
    await expect(failure).rejects.toMatchObject({ name: 'AgentError', retry: false, severity: 'error' });
  });

  it('should say it is the environment that is too big when a short command cannot start for it', async () => {
    // 25 values of 100 KB: each fits in a variable, together more than the system takes
    const env = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`BIG_${i}`, 'v'.repeat(100_000)]));
    await expect(attempt(new ProcessGroups(1000), context({ command: 'echo ok', cwd: tmp.dir, env }))).rejects.toThrow(
      /^task "task": cannot start `echo ok`: spawn E2BIG \(the command with its environment \(\d+ variables, \d+ KiB\) is more than the system takes at once: pass big values in files, or fewer of them\)$/,
    );
  });

  it('should name a cwd the user may not enter, not a bare `spawn /bin/sh EACCES`', async () => {
    const { shut, inside, remove } = shutFolders();
    try {
      for (const [cwd, problem] of [
        [shut, 'cannot be entered (permission denied)'],
        [inside, 'cannot be reached (permission denied on a folder above it)'],
      ] as const) {
        await expect(asAnotherUser(() => attempt(new ProcessGroups(1000), context({ command: 'pwd', cwd })))).rejects.toThrow(
          `task "task": cwd "${cwd}" ${problem}`,
        );
      }
    } finally {
      remove();
    }
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

  const onLinux = process.platform === 'linux' ? it : it.skip;

  onLinux(
    "should stop the groups a command made inside the task's session (coreutils timeout, set -m jobs) when its signal aborts",
    async () => {
      const groups = new ProcessGroups(300);
      const controller = new AbortController();
      const pidFile = tmp.file('own-groups.pids');
      // `timeout` and a job under `set -m` each move into a process group of their own
      const command = `timeout 60 sh -c 'echo $$ >> ${pidFile}; exec sleep 31' & set -m; sleep 32 & echo $! >> ${pidFile}; wait`;
      const running = attempt(groups, context({ command }, controller.signal));
      while (readFileSyncSafe(pidFile).split('\n').length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
      const pids = readPids(pidFile);
      expect(pids.filter(isRunning)).toHaveLength(2);
      controller.abort(new Error('cancelled by the spec'));
      await expect(running).rejects.toThrow('cancelled by the spec');
      await groups.whenEmpty();
      expect(pids.filter(isRunning)).toEqual([]);
    },
  );

  describe('when its time runs out', () => {
    /**
     * Starts `command`, waits until the agent has read the `written` bytes it writes first (its
     * task log has them: the log and the tail take each chunk together), and aborts its signal
     * with `reason`.
     */
    const stopped = async (
      taskId: string,
      command: string,
      reason: Error,
      written: number,
      options: Omit<ShellAgentOptions, 'groups'> = {},
    ) => {
      const controller = new AbortController();
      const started = tmp.file(`${taskId}.started`);
      const logs = new TaskLogs(tmp.file(`${taskId}-logs`));
      const task = { ...context({ command: `${command}; touch ${started}; sleep 30` }, controller.signal), id: taskId };
      const logged = logs.fileOf(task.runId, taskId, 1);
      const running = attempt(new ProcessGroups(300), task, { ...options, logs });
      while (!existsSync(started) || (written > 0 && readFileSyncSafe(logged).length < written)) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      controller.abort(reason);
      // what the failure records is read at once, as the scheduler reads it
      const atAbort = reason.message;
      await expect(running).rejects.toBe(reason);
      return atAbort;
    };

    it('should quote the last lines of stderr in the timeout error, as soon as the signal fires', async () => {
      const timeout = new TaskTimeoutError('slow', 50);
      const message = await stopped('slow', 'echo one; echo two >&2; echo three >&2', timeout, 'one\ntwo\nthree\n'.length, {
        stderrLinesInError: 1,
      });
      expect(message).toBe('task "slow" timed out after 50 ms\nbefore its time ran out, last stderr lines:\nthree');
      expect(timeout).toMatchObject({ name: 'TaskTimeoutError', message });
    });

    it('should quote stdout when stderr is empty, and say when the command wrote nothing', async () => {
      expect(await stopped('quiet-err', 'echo e2e start', new TaskTimeoutError('quiet-err', 800), 'e2e start\n'.length)).toBe(
        'task "quiet-err" timed out after 800 ms\nbefore its time ran out, last stdout lines:\ne2e start',
      );
      expect(await stopped('silent', 'true', new TaskTimeoutError('silent', 800), 0)).toBe(
        'task "silent" timed out after 800 ms\nbefore its time ran out, it had written nothing',
      );
    });

    it('should leave the error of a cancel as it is', async () => {
      const cancel = Object.assign(new Error('task "cancelled" was cancelled'), { name: 'TaskCancelledError' });
      expect(await stopped('cancelled', 'echo one >&2', cancel, 'one\n'.length)).toBe('task "cancelled" was cancelled');
    });
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

/** The pids of the processes whose command line contains `marker` (pgrep exits 1 when none does). */
function processesWith(marker: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch (error) {
    if ((error as { status?: number }).status === 1) return [];
    throw error;
  }
}

/** Stops every process whose command line contains `marker` (pkill exits 1 when none does). */
function stopProcesses(marker: string): void {
  try {
    execFileSync('pkill', ['-f', marker]);
  } catch (error) {
    if ((error as { status?: number }).status !== 1) throw error;
  }
}

function readFileSyncSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
