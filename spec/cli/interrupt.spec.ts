import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ensureBuilt, notices, printedRunId, runCli, startCli } from './support/builtCli';
import { eventLogViolations } from './support/eventLogInvariants';
import { isRunning, readEventLog, readPids, tempDir } from './support/files';

/**
 * Ctrl-C (SIGINT) cancels the run, and so does SIGTERM when it is not journaled: running children
 * are killed (SIGTERM to their process group, SIGKILL after the grace period), the events log ends
 * with `dag.completed` `cancelled`. SIGTERM (and SIGHUP) leaves a journaled run interrupted
 * instead, for `rxdag resume`: its children are killed the same way, nothing of their end is
 * recorded. SIGQUIT kills them at once. The CLI exits 128 + the signal number.
 */
/** The grace of the tests that do not measure it: `stubborn` ignores SIGTERM, so each of them waits it out. */
const UNMEASURED_GRACE_MS = 300;

describe('rxdag run (interrupted)', () => {
  const tmp = tempDir();

  /** The runs `rxdag runs --json` lists. */
  async function listedRuns(...args: string[]): Promise<{ runId: string; status: string }[]> {
    const { stdout } = await runCli(['runs', '--json', ...args]);
    return stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { runId: string; status: string });
  }
  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(() => tmp.remove());

  /** Starts the long-running fixture and waits until its three workers wrote their pids. */
  async function startLongRun(name: string, killGraceMs = 700, extraArgs: readonly string[] = []) {
    const log = tmp.file(`${name}.jsonl`);
    const pidFile = tmp.file(`${name}.pids`);
    const cli = startCli(
      ['run', 'spec/cli/fixtures/long-running.yaml', '--events', log, '--kill-grace', String(killGraceMs), ...extraArgs],
      { PID_FILE: pidFile },
    );
    await cli.waitForStdout(/task\.started stubborn/);
    const deadline = Date.now() + 10_000;
    while (safeReadPids(pidFile).length < 6 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return { cli, log, pidFile };
  }

  it('should cancel the run on SIGINT, kill every child, log dag.completed cancelled and exit 130', async () => {
    const { cli, log, pidFile } = await startLongRun('sigint');
    const pids = readPids(pidFile);
    expect(pids.filter(isRunning)).toHaveLength(6);
    const interruptedAt = Date.now();
    cli.child.kill('SIGINT');
    const result = await cli.done;
    expect(result.code).toBe(130);
    expect(pids.filter(isRunning)).toEqual([]);
    // `stubborn` ignores SIGTERM: the CLI waited for the grace period, then used SIGKILL
    expect(Date.now() - interruptedAt).toBeGreaterThanOrEqual(600);
    const events = readEventLog(log);
    expect(eventLogViolations(events)).toEqual([]);
    expect(events.slice(-5).map((e) => e.type)).toEqual([
      'task.cancelled',
      'task.cancelled',
      'task.cancelled',
      'task.cancelled',
      'dag.completed',
    ]);
    expect(events[events.length - 1]).toMatchObject({ outcome: 'cancelled', counts: { total: 4, cancelled: 4 } });
    // the first Ctrl-C says what the CLI waits for and how not to wait
    expect(notices(result.stderr)).toBe('rxdag: stopping: waiting for 3 running shell tasks to exit (Ctrl-C again to kill them now)\n');
    // a task that never started shows no attempt number; the running ones show theirs
    expect(result.stdout).toMatch(/task\.cancelled never-starts \(never started\)\n/);
    expect(result.stdout).not.toMatch(/never-starts #/);
    expect(result.stdout).toMatch(/task\.cancelled stubborn #1\n/);
  }, 30_000);

  it('should cancel a run without a journal the same way on SIGTERM, exit 143 and still write the report', async () => {
    const report = tmp.file('sigterm.html');
    const { cli, log, pidFile } = await startLongRun('sigterm', UNMEASURED_GRACE_MS, ['--report', report, '--no-journal']);
    cli.child.kill('SIGTERM');
    const result = await cli.done;
    expect(result.code).toBe(143);
    expect(notices(result.stderr)).toBe(
      'rxdag: stopping on SIGTERM: waiting for 3 running shell tasks to exit (Ctrl-C or a second SIGTERM to kill them now)\n' +
        `wrote ${report} (${readFileSync(log, 'utf8').trim().split('\n').length} events)\n`,
    );
    expect(readPids(pidFile).filter(isRunning)).toEqual([]);
    expect(readEventLog(log).pop()).toMatchObject({ type: 'dag.completed', outcome: 'cancelled' });
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('<span class="outcome badge cancelled">cancelled</span>');
    expect(html.match(/<rect class="bar cancelled/g)).toHaveLength(3);
  }, 30_000);

  it('should leave a journaled run interrupted on SIGTERM (a service manager, a reboot): its tasks stopped, nothing cancelled, exit 143', async () => {
    const report = tmp.file('sigterm-journaled.html');
    const { cli, log, pidFile } = await startLongRun('sigterm-journaled', UNMEASURED_GRACE_MS, ['--report', report]);
    cli.child.kill('SIGTERM');
    const result = await cli.done;
    expect(result.code).toBe(143);
    const runId = printedRunId(result.stderr)!;
    expect(notices(result.stderr)).toBe(
      `rxdag: stopping on SIGTERM: the run is left interrupted, stopping its 3 running shell tasks (rxdag resume ${runId} continues it)\n` +
        `wrote ${report} (${readFileSync(log, 'utf8').trim().split('\n').length} events)\n`,
    );
    // stubborn ignores SIGTERM: it was killed after the grace period, as on a cancel
    expect(readPids(pidFile).filter(isRunning)).toEqual([]);
    // the log and the report end where the journal does: tasks started, none ended
    const events = readEventLog(log);
    expect(events.filter((e) => e.type === 'task.started')).toHaveLength(3);
    expect(events.some((e) => e.type === 'task.cancelled' || e.type === 'task.failed' || e.type === 'dag.completed')).toBe(false);
    expect(readFileSync(report, 'utf8')).toMatch(/^<!DOCTYPE html>/);
    expect(await listedRuns()).toContainEqual(expect.objectContaining({ runId, status: 'interrupted' }));
  }, 30_000);

  it('should keep the run until its tasks are gone: a resume meanwhile is refused, not run beside their stopping copies', async () => {
    const store = tmp.file('sigterm-held-store');
    // stubborn ignores SIGTERM: the grace (long, so that a resume started on a loaded machine
    // still comes within it) would be waited out before the run is given up
    const { cli, pidFile } = await startLongRun('sigterm-held', 60_000, ['--store', store]);
    cli.child.kill('SIGTERM');
    await waitFor(() => /left interrupted/.test(cli.stderrSoFar()));
    const runId = printedRunId(cli.stderrSoFar())!;
    const meanwhile = await runCli(['resume', runId, '--store', store, '--quiet']);
    // a second SIGTERM: the tasks are killed now, not after the grace
    cli.child.kill('SIGTERM');
    const stopped = await cli.done;
    expect(stopped.code).toBe(143);
    expect(meanwhile.code).toBe(2);
    expect(meanwhile.stderr).toContain(`run "${runId}" is owned by a live process`);
    expect(readPids(pidFile).filter(isRunning)).toEqual([]);
    expect(await listedRuns('--store', store)).toContainEqual(expect.objectContaining({ runId, status: 'interrupted' }));
  }, 30_000);

  it('should exit 143 when a Ctrl-C after SIGTERM kills the tasks at once: the run stays interrupted, as the first signal left it', async () => {
    const store = tmp.file('sigterm-then-int-store');
    const { cli, pidFile } = await startLongRun('sigterm-then-int', 60_000, ['--store', store]);
    cli.child.kill('SIGTERM');
    await waitFor(() => /left interrupted/.test(cli.stderrSoFar()));
    cli.child.kill('SIGINT');
    const stopped = await cli.done;
    expect(stopped.code).toBe(143);
    await waitFor(() => readPids(pidFile).filter(isRunning).length === 0);
    const runId = printedRunId(stopped.stderr)!;
    expect(await listedRuns('--store', store)).toContainEqual(expect.objectContaining({ runId, status: 'interrupted' }));
  }, 30_000);

  it('should take SIGHUP (a closed terminal, a dropped SSH session) as SIGTERM: the journaled run left interrupted, its tasks stopped, ended by SIGHUP (129)', async () => {
    // a store of its own: the SIGTERM run left one interrupted, of which a run in its store says a word
    const store = tmp.file('sighup-store');
    const { cli, log, pidFile } = await startLongRun('sighup', UNMEASURED_GRACE_MS, ['--store', store]);
    cli.child.kill('SIGHUP');
    const result = await cli.done;
    // it stops its run, then ends by the signal itself (a shell shows 129): exiting normally on a
    // terminal that is gone crashes Node 20
    expect([result.code, result.signal]).toEqual([null, 'SIGHUP']);
    const runId = printedRunId(result.stderr)!;
    expect(notices(result.stderr)).toBe(
      `rxdag: stopping on SIGHUP: the run is left interrupted, stopping its 3 running shell tasks (rxdag resume ${runId} --store ${store} continues it)\n`,
    );
    expect(readPids(pidFile).filter(isRunning)).toEqual([]);
    expect(readEventLog(log).some((e) => e.type === 'task.cancelled' || e.type === 'dag.completed')).toBe(false);
    expect(await listedRuns('--store', store)).toContainEqual(expect.objectContaining({ runId, status: 'interrupted' }));
  }, 30_000);

  it('should kill the children at once and exit 131 on SIGQUIT (Ctrl-\\), as on a second Ctrl-C', async () => {
    // a grace no loaded machine outlasts: the signal decides, not the clock
    const { cli, pidFile } = await startLongRun('sigquit', 60_000, ['--no-journal']);
    const quitAt = Date.now();
    cli.child.kill('SIGQUIT');
    const result = await cli.done;
    expect(result.code).toBe(131);
    expect(notices(result.stderr)).toBe('rxdag: stopping at once on SIGQUIT, killing its 3 running shell tasks\n');
    // the grace period (60 s) was not waited for
    expect(Date.now() - quitAt).toBeLessThan(15_000);
    await waitFor(() => readPids(pidFile).filter(isRunning).length === 0);
    expect(readPids(pidFile).filter(isRunning)).toEqual([]);
  }, 30_000);

  it('should resume a run SIGTERM left interrupted, without running again what had completed', async () => {
    const marks = tmp.file('resumed.marks');
    const file = tmp.file('resumed.json');
    const once = tmp.file('resumed.once');
    writeFileSync(
      file,
      JSON.stringify({
        id: 'resumed',
        tasks: [
          { id: 'a', run: `echo a >> '${marks}'` },
          { id: 'b', deps: ['a'], run: `echo b >> '${marks}'; if [ ! -e '${once}' ]; then touch '${once}'; exec sleep 30; fi` },
        ],
      }),
    );
    const cli = startCli(['run', file]);
    await cli.waitForStdout(/task\.started b/);
    await waitFor(() => existsSync(once), 10_000); // b's first attempt is in its sleep
    cli.child.kill('SIGTERM');
    const stopped = await cli.done;
    expect(stopped.code).toBe(143);
    const resumed = await runCli(['resume', printedRunId(stopped.stderr)!, '--quiet']);
    expect(resumed).toMatchObject({ code: 0 });
    expect(readFileSync(marks, 'utf8')).toBe('a\nb\nb\n');
  }, 30_000);

  it('should kill the children at once and exit 130 on a second Ctrl-C, writing the report of what it saw', async () => {
    const report = tmp.file('twice.html');
    // a grace no loaded machine outlasts: the second signal comes within it
    const { cli, log, pidFile } = await startLongRun('twice', 60_000, ['--report', report]);
    let stderr = '';
    cli.child.stderr!.on('data', (chunk: string) => (stderr += chunk));
    cli.child.kill('SIGINT');
    // said while the CLI waits, not when it is done
    await waitFor(() => stderr.includes('(Ctrl-C again to kill them now)'), 10_000);
    expect(notices(stderr)).toBe('rxdag: stopping: waiting for 3 running shell tasks to exit (Ctrl-C again to kill them now)\n');
    const secondAt = Date.now();
    cli.child.kill('SIGINT');
    const result = await cli.done;
    expect(result.code).toBe(130);
    // those still alive (some may have ended on the first signal)
    expect(notices(stderr).split('\n')[1]).toMatch(
      /^rxdag: stopping at once on Ctrl-C, a second stop signal, killing its (running shell task|[23] running shell tasks)$/,
    );
    // the grace period (60 s) was not waited for
    expect(Date.now() - secondAt).toBeLessThan(15_000);
    await waitFor(() => readPids(pidFile).filter(isRunning).length === 0);
    expect(readPids(pidFile).filter(isRunning)).toEqual([]);
    expect(readEventLog(log).pop()).toMatchObject({ type: 'dag.completed', outcome: 'cancelled' });
    expect(readFileSync(report, 'utf8')).toMatch(/^<!DOCTYPE html>/);
  }, 30_000);
});

describe('rxdag run (a stop signal after the run ended)', () => {
  const tmp = tempDir();
  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(() => tmp.remove());

  /**
   * Starts `rxdag run` of a task that times out at 300 ms and leaves a process deaf to SIGTERM
   * (its pid in the returned file), with `args`; resolves once the run ended, failed.
   */
  async function runEndingWithDeafProcess(
    name: string,
    args: readonly string[],
  ): Promise<{ cli: ReturnType<typeof startCli>; pidFile: string }> {
    const pidFile = tmp.file(`${name}.pids`);
    const dag = tmp.file(`${name}.yaml`);
    writeFileSync(
      dag,
      JSON.stringify({ id: name, tasks: [{ id: 'deaf', run: `trap '' TERM; sleep 987 & echo $! >> '${pidFile}'; wait`, timeoutMs: 300 }] }),
    );
    const cli = startCli(['run', dag, '--kill-grace', '20000', ...args]);
    await cli.waitForStdout(/dag\.completed failed/);
    return { cli, pidFile };
  }

  /** Expects every process whose pid `pidFile` holds to be gone (soon). */
  async function expectGone(pidFile: string): Promise<void> {
    await waitFor(() => readPids(pidFile).filter(isRunning).length === 0);
    expect(readPids(pidFile).filter(isRunning)).toEqual([]);
  }

  it("should say it waits for the processes of a task it timed out, and kill them on a second Ctrl-C, exiting with the run's own code", async () => {
    const { cli, pidFile } = await runEndingWithDeafProcess('deaf', ['--no-journal']);
    cli.child.kill('SIGINT');
    await waitFor(() => notices(cli.stderrSoFar()).includes('to kill them now'), 10_000);
    expect(notices(cli.stderrSoFar())).toBe(
      'rxdag: stopping: the run had ended; waiting for the processes of 1 shell task it stopped to exit (Ctrl-C again to kill them now)\n',
    );
    const secondAt = Date.now();
    cli.child.kill('SIGINT');
    expect((await cli.done).code).toBe(1); // the run failed (its task timed out): not 130, which says it was stopped
    expect(Date.now() - secondAt).toBeLessThan(10_000); // not the 20 s grace
    await expectGone(pidFile);
  }, 30_000);

  it('should not call a journaled run that ended interrupted when SIGQUIT kills what is left of its stopped tasks', async () => {
    const { cli, pidFile } = await runEndingWithDeafProcess('quit', []);
    cli.child.kill('SIGQUIT');
    expect((await cli.done).code).toBe(1); // the run's own code
    const stopping = notices(cli.stderrSoFar())
      .split('\n')
      .filter((line) => line.startsWith('rxdag: stopping'));
    expect(stopping).toEqual(['rxdag: stopping at once on SIGQUIT, killing its running shell task']);
    await expectGone(pidFile);
  }, 30_000);
});

function safeReadPids(file: string): number[] {
  try {
    return readPids(file);
  } catch {
    return [];
  }
}

/** SIGKILL is asynchronous: the kernel may take a moment to tear a process down. Throws when `condition` is still false after `withinMs`. */
async function waitFor(condition: () => boolean, withinMs = 2000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() >= deadline) throw new Error(`waited ${withinMs} ms for: ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
