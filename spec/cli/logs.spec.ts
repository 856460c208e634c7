import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DagEvent, TaskCompletedEvent } from '../../src/index';
import { readEventLog, tempDir, writeText } from './support/files';
import { rxdagInProcess as rxdag } from './support/inProcessCli';

/**
 * `rxdag run --logs DIR` and `rxdag resume --logs DIR`, run in this process with real shell
 * tasks: every attempt's whole stdout and stderr in `DIR/<run>/<task>.<attempt>.log`, the output
 * and the error unchanged, failures naming their log, the checks made before anything runs, a log
 * that cannot be written, a resumed attempt appending to its log, and runs sharing `DIR` apart.
 */
describe('rxdag run --logs', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  /** A folder of its own for one test, with its store. */
  const place = (name: string) => {
    const dir = tmp.file(name);
    mkdirSync(dir);
    return { dir, store: path.join(dir, 'store'), logs: path.join(dir, 'logs') };
  };
  /** The folder of the one run that logged into `logs`. */
  const runLogs = (logs: string): string => {
    const runs = readdirSync(logs).filter((name) => name !== '.gitignore');
    expect(runs).toHaveLength(1);
    return path.join(logs, runs[0]!);
  };
  /** Cuts the journal of the one run in `store` after its first `task.started`, as a crash while that attempt ran leaves it; its run id. */
  const crashedWhileFirstRan = (store: string): string => {
    const [journal] = readdirSync(store).filter((name) => name.endsWith('.jsonl'));
    const lines = readFileSync(path.join(store, journal!), 'utf8').split('\n');
    const started = lines.findIndex((line) => line.includes('"type":"task.started"'));
    writeFileSync(path.join(store, journal!), `${lines.slice(0, started + 1).join('\n')}\n`);
    return journal!.slice(0, -'.jsonl'.length);
  };
  const dagFile = (dir: string, lines: readonly string[]) => writeText(path.join(dir, 'dag.yaml'), `${lines.join('\n')}\n`);
  const completedOutput = (events: readonly DagEvent[], taskId: string) =>
    events.find((event): event is TaskCompletedEvent => event.type === 'task.completed' && event.taskId === taskId)?.output as {
      stdout: string;
      stderr: string;
    };

  it('should keep all of 1 MB on stdout and 1 MB on stderr in the log, the output keeping its 4,000-character tails', async () => {
    const { dir, store, logs } = place('big');
    const file = dagFile(dir, [
      'id: big',
      'tasks:',
      '  - id: chatty',
      '    run: yes out | head -c 1048576; yes err | head -c 1048576 >&2',
      '  - id: rest',
      '    deps: [chatty]',
      '    sleep: 1',
    ]);
    const events = path.join(dir, 'events.jsonl');
    const result = await rxdag('run', file, '--store', store, '--logs', logs, '--events', events, '--quiet');
    expect(result.stderr).not.toMatch(/task log/);
    expect(result.code).toBe(0);
    const log = readFileSync(path.join(runLogs(logs), 'chatty.1.log'), 'latin1');
    expect(log.length).toBe(2 * 1048576);
    expect(log.match(/out\n/g)).toHaveLength(262144);
    expect(log.match(/err\n/g)).toHaveLength(262144);
    // the sleep task wrote nothing
    expect(readdirSync(runLogs(logs))).toEqual(['chatty.1.log']);
    const output = completedOutput(readEventLog(events), 'chatty');
    for (const [tail, line] of [
      [output.stdout, 'out'],
      [output.stderr, 'err'],
    ] as const) {
      expect(tail.length).toBeLessThanOrEqual(4002);
      expect(tail).toMatch(new RegExp(`^…\n(${line}\n){900,}${line}$`));
    }
  }, 20_000);

  it('should give each attempt of a retried task its own log, and name a failed one under its error', async () => {
    const { dir, store, logs } = place('retried');
    const file = dagFile(dir, [
      'id: ci',
      'tasks:',
      '  - id: test-core',
      '    retry: { attempts: 2 }',
      '    run: |',
      '      echo "attempt $RXDAG_ATTEMPT: 41 passed"',
      '      echo "attempt $RXDAG_ATTEMPT: 1 failed" >&2',
      '      exit 1',
    ]);
    const result = await rxdag('run', file, '--store', store, '--logs', logs);
    expect(result.code).toBe(1);
    const runFolder = runLogs(logs);
    expect(readdirSync(runFolder).sort()).toEqual(['test-core.1.log', 'test-core.2.log']);
    for (const attempt of [1, 2]) {
      expect(readFileSync(path.join(runFolder, `test-core.${attempt}.log`), 'utf8')).toBe(
        `attempt ${attempt}: 41 passed\nattempt ${attempt}: 1 failed\n`,
      );
    }
    const lines = result.stdout.split('\n');
    // each task.failed line names its attempt's log, its continuation lines under the time column
    const note = (attempt: number) => `            full output: ${path.join(runFolder, `test-core.${attempt}.log`)}`;
    const failed1 = lines.findIndex((line) => / task\.failed test-core #1 \(error, will retry in [^)]*\)/.test(line));
    expect(lines.slice(failed1 + 1, failed1 + 3)).toEqual(['            attempt 1: 1 failed', note(1)]);
    const failed2 = lines.findIndex((line) => / task\.failed test-core #2 \(error\)/.test(line));
    expect(lines.slice(failed2 + 1, failed2 + 3)).toEqual(['            attempt 2: 1 failed', note(2)]);
    // the list at the end too
    expect(result.stdout).toContain(
      [
        'rxdag: 1 task failed:',
        '  test-core (attempt 2): ShellCommandError: `echo "attempt $RXDAG_ATTEMPT: 41 passed" …` exited with code 1; last stderr lines:',
        '      attempt 2: 1 failed',
        `      full output: ${path.join(runFolder, 'test-core.2.log')}`,
        '',
      ].join('\n'),
    );
  });

  it('should keep the events of --json as the library emits them, naming the log in the list of failures on stderr', async () => {
    const { dir, store, logs } = place('json');
    const file = dagFile(dir, ['id: json', 'tasks:', '  - id: lint', '    run: echo "2 problems" >&2; exit 2']);
    const result = await rxdag('run', file, '--store', store, '--logs', logs, '--json');
    expect(result.code).toBe(1);
    const failed = result.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as DagEvent)
      .find((event) => event.type === 'task.failed');
    expect(failed?.type === 'task.failed' && failed.error.message).toBe(
      '`echo "2 problems" >&2; exit 2` exited with code 2; last stderr lines:\n2 problems',
    );
    expect(result.stderr).toContain(`      2 problems\n      full output: ${path.join(runLogs(logs), 'lint.1.log')}\n`);
  });

  it('should quote what an attempt that timed out had written, and name its log', async () => {
    const { dir, store, logs } = place('timed-out');
    const file = dagFile(dir, ['id: slow', 'tasks:', '  - id: e2e', '    timeoutMs: 300', '    run: echo started; sleep 10']);
    const result = await rxdag('run', file, '--store', store, '--logs', logs, '--kill-grace', '100', '--quiet');
    expect(result.code).toBe(1);
    const note = `      before its time ran out, last stdout lines:\n      started\n      full output: ${path.join(runLogs(logs), 'e2e.1.log')}`;
    expect(result.stdout).toContain(`  e2e (attempt 1): TaskTimeoutError: task "e2e" timed out after 300 ms\n${note}\n`);
    expect(readFileSync(path.join(runLogs(logs), 'e2e.1.log'), 'utf8')).toBe('started\n');
  });

  it('should name the log of a task whose id holds a / and a space by its escaped id, in a folder made with its parents', async () => {
    const { dir, store } = place('escaped');
    const logs = path.join(dir, 'ci', 'logs');
    const file = dagFile(dir, ['id: mono', 'tasks:', '  - id: "pkg/core tests"', '    run: echo "$RXDAG_TASK_ID"']);
    expect(await rxdag('run', file, '--store', store, '--logs', logs, '--quiet')).toMatchObject({ code: 0 });
    expect(readdirSync(runLogs(logs))).toEqual(['pkg%2Fcore%20tests.1.log']);
    expect(readFileSync(path.join(runLogs(logs), 'pkg%2Fcore%20tests.1.log'), 'utf8')).toBe('pkg/core tests\n');
  });

  it('should refuse --logs naming a file, with exit 2 and nothing run', async () => {
    const { dir, store } = place('file');
    const marker = path.join(dir, 'ran');
    const file = dagFile(dir, ['id: refused', 'tasks:', `  - id: a`, `    run: touch ${JSON.stringify(marker)}`]);
    const notAFolder = writeText(path.join(dir, 'logs.txt'), 'kept\n');
    expect(await rxdag('run', file, '--store', store, '--logs', notAFolder)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: --logs ${JSON.stringify(notAFolder)} is a file: give a folder (it is made if missing)\n`,
    });
    expect(await rxdag('run', file, '--store', store, '--logs', path.join(notAFolder, 'sub'))).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: --logs: cannot write into ${JSON.stringify(path.join(notAFolder, 'sub'))}: ENOTDIR (not a directory)\n`,
    });
    expect(await rxdag('run', file, '--store', store, '--logs', '')).toMatchObject({
      code: 2,
      stderr: 'rxdag: --logs needs a folder path\n',
    });
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(store)).toBe(false);
    expect(readFileSync(notAFolder, 'utf8')).toBe('kept\n');
  });

  it('should leave no folder behind when the run is refused for another reason', async () => {
    const { dir, store } = place('refused');
    const file = dagFile(dir, ['id: refused', 'tasks:', '  - id: a', '    slep: 1']);
    const result = await rxdag('run', file, '--store', store, '--logs', path.join(dir, 'ci', 'logs'));
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(readdirSync(dir)).toEqual(['dag.yaml']);
  });

  it('should refuse --logs with --redis (the output is on the workers), with exit 2 and nothing run', async () => {
    const { dir, store, logs } = place('remote');
    const file = dagFile(dir, ['id: remote', 'tasks:', '  - id: a', '    sleep: 1']);
    const message =
      'rxdag: --logs and --redis cannot be used together: with --redis the tasks run on the workers, which send back only the end of their output\n';
    for (const command of [
      ['run', file],
      ['resume', 'remote-1'],
    ]) {
      expect(await rxdag(...command, '--store', store, '--logs', logs, '--redis', 'redis://127.0.0.1:1')).toEqual({
        code: 2,
        stdout: '',
        stderr: message,
      });
    }
    expect(existsSync(logs)).toBe(false);
    expect(existsSync(store)).toBe(false);
  });

  it('should go on when a log cannot be written, say so in one line and exit 74, the task keeping its outcome', async () => {
    const { dir, store, logs } = place('full');
    const file = dagFile(dir, [
      'id: full',
      'tasks:',
      '  - id: a',
      '    run: echo hello',
      '  - id: b',
      '    deps: [a]',
      '    run: echo world',
    ]);
    expect(await rxdag('run', file, '--store', store, '--logs', logs, '--quiet')).toMatchObject({ code: 0 });
    // resumed while a ran: b's log is then on a full disk
    const runId = crashedWhileFirstRan(store);
    const runFolder = runLogs(logs);
    rmSync(path.join(runFolder, 'b.1.log'));
    symlinkSync('/dev/full', path.join(runFolder, 'b.1.log'));
    const events = path.join(dir, 'events.jsonl');
    const result = await rxdag('resume', runId, '--store', store, '--logs', logs, '--events', events, '--quiet');
    expect(result.stderr.split('\n').slice(-2)).toEqual([
      `rxdag: cannot write the task log ${path.join(runFolder, 'b.1.log')}: ENOSPC (no space left on device); the run goes on, task output is no longer logged`,
      '',
    ]);
    expect(result.code).toBe(74);
    expect(completedOutput(readEventLog(events), 'b')).toEqual({ exitCode: 0, stdout: 'world', stderr: '' });
    expect(readFileSync(path.join(runFolder, 'a.1.log'), 'utf8')).toBe('hello\nhello\n');
  });

  it('should append the output of an attempt run again by rxdag resume to the log it began', async () => {
    const { dir, store, logs } = place('resumed');
    const count = path.join(dir, 'count');
    const file = dagFile(dir, [
      'id: resumed',
      'tasks:',
      '  - id: build',
      `    env: { COUNT: ${JSON.stringify(count)} }`,
      '    run: n=$(($(cat "$COUNT" 2>/dev/null || echo 0) + 1)); echo $n > "$COUNT"; echo "pass $n"',
    ]);
    expect(await rxdag('run', file, '--store', store, '--logs', logs, '--quiet')).toMatchObject({ code: 0 });
    // the journal as a crash leaves it while the attempt runs: it ends at the attempt's start
    const runId = crashedWhileFirstRan(store);

    const resumed = await rxdag('resume', runId, '--store', store, '--logs', logs, '--quiet');
    expect(resumed.stderr).toMatch(/running again: build/);
    expect(resumed.code).toBe(0);
    expect(readdirSync(logs).sort()).toEqual(['.gitignore', runId]);
    expect(readdirSync(path.join(logs, runId))).toEqual(['build.1.log']);
    expect(readFileSync(path.join(logs, runId, 'build.1.log'), 'utf8')).toBe('pass 1\npass 2\n');
  });

  it('should keep the logs of two runs of one DAG sharing the folder apart, each failure naming its own', async () => {
    const { dir, store, logs } = place('shared');
    const file = dagFile(dir, ['id: shared', 'tasks:', '  - id: a', '    run: echo "run $RXDAG_RUN_ID"; exit 1']);
    const runs = [await rxdag('run', file, '--store', store, '--logs', logs), await rxdag('run', file, '--store', store, '--logs', logs)];
    const runIds = runs.map((result) => /^rxdag: run (\S+) /m.exec(result.stderr)![1]!);
    expect(readdirSync(logs).sort()).toEqual(['.gitignore', ...runIds].sort());
    for (const [i, runId] of runIds.entries()) {
      expect(readFileSync(path.join(logs, runId, 'a.1.log'), 'utf8')).toBe(`run ${runId}\n`);
      expect(runs[i]!.stdout).toContain(`full output: ${path.join(logs, runId, 'a.1.log')}`);
    }
  });
});
