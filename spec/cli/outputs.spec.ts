import { closeSync, existsSync, linkSync, openSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { ensureBuilt, notices, printedRunId, ROOT, runCli, startCli } from './support/builtCli';
import { eventLogViolations } from './support/eventLogInvariants';
import { isRunning, readEventLog, readPids, tempDir, writeText } from './support/files';
import { rxdagInProcess } from './support/inProcessCli';
import { waitUntil } from './support/journaledRuns';

/**
 * The files `rxdag run` writes (`--events`, `--report`): checked for real before anything runs
 * (exit 2), never the DAG file nor each other, and a write that fails during or after the run
 * is one line and exit 74 (not 1: no task failed), never a stack trace or an orphaned child.
 * What a command prints and returns runs in this process; the built CLI runs where the process
 * is what is checked: process groups killed, and standard output that the executable writes.
 */
describe('rxdag run (output files)', () => {
  const tmp = tempDir();
  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(() => tmp.remove());

  /** `rxdag run ...argv` in this process, journaling into a store of the spec's (unless `argv` names one). */
  const run = (...argv: string[]) => rxdagInProcess('run', ...(argv.includes('--store') ? argv : [...argv, '--store', tmp.file('store')]));
  const failingDag = path.join(ROOT, 'spec/cli/fixtures/failing.yaml');

  /** A one-task DAG whose task creates `probe`: it must not exist when nothing ran. */
  const probeDag = (name: string) => {
    const probe = tmp.file(`${name}.probe`);
    const file = writeText(tmp.file(`${name}.yaml`), `id: ${name}\ntasks:\n  - id: touch\n    run: touch "${probe}"\n`);
    return { file, probe, text: readFileSync(file, 'utf8') };
  };

  describe('an events log that fails during the run', () => {
    const fullDag = (name: string) =>
      writeText(
        tmp.file(`${name}.yaml`),
        [
          `id: ${name}`,
          'tasks:',
          '  - id: hangs',
          '    run: echo $$ >> "$PID_FILE"; sleep 30 & echo $! >> "$PID_FILE"; wait',
          '  - id: after',
          '    deps: [hangs]',
          '    run: echo never',
          '',
        ].join('\n'),
      );
    /** Runs `fullDag(name)` with its events log on /dev/full; checks its process groups are gone. */
    const runOnFull = async (name: string, ...argv: string[]) => {
      const pidFile = tmp.file(`${name}.pids`);
      const marker = randomUUID();
      const startedAt = Date.now();
      const result = await runCli(['run', fullDag(name), '--events', '/dev/full', '--kill-grace', '500', ...argv], {
        PID_FILE: pidFile,
        RXDAG_SPEC_MARKER: marker,
      });
      // stopped, not waited for: the task sleeps 30 s
      expect(Date.now() - startedAt).toBeLessThan(10_000);
      // the shell and its background `sleep 30` are gone, not orphaned under PID 1
      const pids = readPids(pidFile);
      expect(pids).toHaveLength(2);
      expect(pids.filter(isRunning)).toEqual([]);
      expect(processesWith(marker)).toEqual([]);
      return result;
    };

    it('should leave a journaled run interrupted for a resume, stop its process groups, print one line and exit 74', async () => {
      const store = tmp.file('full-store');
      const result = await runOnFull('full', '--store', store);
      expect(result.code).toBe(74);
      const runId = printedRunId(result.stderr)!;
      expect(notices(result.stderr)).toBe(
        'rxdag: cannot write the events log /dev/full: ENOSPC (no space left on device); ' +
          `the run is left interrupted, stopping its running shell task (rxdag resume ${runId} --store ${store} continues it)\n`,
      );
      expect(result.stdout).not.toMatch(/task\.cancelled|dag\.completed/);
      const listed = await rxdagInProcess('runs', '--json', '--store', store);
      expect(JSON.parse(listed.stdout)).toMatchObject({ runId, status: 'interrupted' });
    }, 20_000);

    it('should say what a stop signal does while the failed log leaves the run interrupted, and how to resume after a second', async () => {
      const store = tmp.file('full-signals-store');
      const pidFile = tmp.file('full-signals.pids');
      const dag = writeText(
        tmp.file('full-signals.yaml'),
        ['id: full-signals', 'tasks:', '  - id: stubborn', `    run: trap '' TERM; echo $$ >> "$PID_FILE"; sleep 30`, ''].join('\n'),
      );
      const cli = startCli(['run', dag, '--events', '/dev/full', '--kill-grace', '8000', '--store', store], { PID_FILE: pidFile });
      try {
        await waitUntil(() => cli.stderrSoFar().includes('cannot write the events log'), 'the events log to fail');
        const runId = printedRunId(cli.stderrSoFar())!;
        const resume = `rxdag resume ${runId} --store ${store}`;
        // the task's shell has set its trap once it wrote its pid: only then does it ignore SIGTERM
        await waitUntil(() => existsSync(pidFile) && readPids(pidFile).length === 1, 'the task to ignore SIGTERM');
        cli.child.kill('SIGINT'); // the task ignores SIGTERM: the halt waits for it
        const first = `rxdag: stopping on SIGINT: the run is left interrupted, stopping its running shell task (${resume} continues it)`;
        await waitUntil(() => cli.stderrSoFar().includes(first), 'the first Ctrl-C to be said');
        cli.child.kill('SIGINT');
        const result = await cli.done;
        expect(result.code).toBe(74);
        expect(notices(result.stderr)).toBe(
          'rxdag: cannot write the events log /dev/full: ENOSPC (no space left on device); ' +
            `the run is left interrupted, stopping its running shell task (${resume} continues it)\n` +
            `${first}\n` +
            `rxdag: stopping at once on Ctrl-C, a second stop signal, killing its running shell task (the run stays interrupted: ${resume} continues it)\n`,
        );
        expect(readPids(pidFile).filter(isRunning)).toEqual([]);
      } finally {
        if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
        if (existsSync(pidFile)) for (const pid of readPids(pidFile).filter(isRunning)) process.kill(pid, 'SIGKILL');
      }
    }, 20_000);

    it('should cancel a run without a journal, kill its process groups, print one line and exit 74', async () => {
      const result = await runOnFull('full-unjournaled', '--no-journal');
      expect(result.code).toBe(74);
      expect(notices(result.stderr)).toBe(
        'rxdag: cannot write the events log /dev/full: ENOSPC (no space left on device); run cancelled\n',
      );
      expect(result.stdout).toMatch(/task\.cancelled hangs #1\n.*task\.cancelled after \(never started\)\n.*dag\.completed cancelled/);
    }, 20_000);
  });

  describe('a report path that cannot be written', () => {
    it('should refuse a folder that takes no files (/proc) with exit 2 before anything runs', async () => {
      const { file, probe } = probeDag('proc');
      const result = await run(file, '--report', '/proc/nope.html');
      expect(result).toEqual({
        code: 2,
        stdout: '',
        stderr: 'rxdag: --report: cannot write "/proc/nope.html": ENOENT (folder "/proc" does not take new files)\n',
      });
      expect(existsSync(probe)).toBe(false);
    }, 20_000);

    it('should refuse an events log there the same way, and report both at once', async () => {
      const { file, probe } = probeDag('proc-both');
      const result = await run(file, '--events', '/proc/nope.jsonl', '--report', tmp.file('no-dir/r.html'));
      expect(result.code).toBe(2);
      expect(result.stderr.trimEnd().split('\n')).toEqual([
        'rxdag: --events: cannot write "/proc/nope.jsonl": ENOENT (folder "/proc" does not take new files)',
        `rxdag: --report: cannot write "${tmp.file('no-dir/r.html')}": folder "${tmp.file('no-dir')}" does not exist`,
      ]);
      expect(existsSync(probe)).toBe(false);
    }, 20_000);

    it("should list a bad report path with the DAG file's own problems, and a bad store, all at once", async () => {
      const bad = writeText(tmp.file('proc-bad.yaml'), 'id: bad\ntasks:\n  - id: a\n    run: echo a\n    timeoutMs: -1\n');
      const store = tmp.file('proc-bad-store');
      const result = await run(bad, '--report', '/proc/x.html', '--store', store);
      expect(result.code).toBe(2);
      expect(result.stderr.trimEnd().split('\n')).toEqual([
        `rxdag: ${bad}:5:16: tasks[0].timeoutMs: must be > 0 (got -1)`,
        'rxdag: --report: cannot write "/proc/x.html": ENOENT (folder "/proc" does not take new files)',
      ]);
      // nothing was made of the store either
      expect(existsSync(store)).toBe(false);
      const unknownScheme = await run(bad, '--store', 'mysql://db/x');
      expect(unknownScheme.code).toBe(2);
      expect(unknownScheme.stderr.trimEnd().split('\n')).toEqual([
        `rxdag: ${bad}:5:16: tasks[0].timeoutMs: must be > 0 (got -1)`,
        expect.stringMatching(/^rxdag: .*mysql:\/\/db\/x/),
      ]);
    }, 20_000);

    it('should leave no file behind and truncate nothing when the check refuses the run', async () => {
      const { file, probe } = probeDag('keep');
      const events = writeText(tmp.file('keep-old.jsonl'), 'the log of an earlier run\n');
      const fresh = tmp.file('keep-fresh.jsonl');
      const kept = await run(file, '--events', events, '--report', '/proc/nope.html');
      const created = await run(file, '--events', fresh, '--report', '/proc/nope.html');
      expect([kept.code, created.code]).toEqual([2, 2]);
      expect(readFileSync(events, 'utf8')).toBe('the log of an earlier run\n');
      expect(existsSync(fresh)).toBe(false);
      expect(existsSync(probe)).toBe(false);
    }, 20_000);

    it('should print one line and exit 74 when the report cannot be written at the end of a successful run', async () => {
      const { file, probe } = probeDag('late');
      const log = tmp.file('late.jsonl');
      const result = await run(file, '--events', log, '--report', '/dev/full', '--quiet');
      expect(result.code).toBe(74);
      expect(notices(result.stderr)).toBe('rxdag: cannot write the report /dev/full: ENOSPC (no space left on device)\n');
      // every task succeeded, and the events log says so
      expect(existsSync(probe)).toBe(true);
      const logged = readEventLog(log);
      expect(eventLogViolations(logged)).toEqual([]);
      expect(logged.pop()).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    }, 20_000);

    it('should keep exit 1 when a task failed and the report cannot be written either', async () => {
      const result = await run(failingDag, '--report', '/dev/full', '--quiet');
      expect(result.code).toBe(1);
      expect(notices(result.stderr)).toBe('rxdag: cannot write the report /dev/full: ENOSPC (no space left on device)\n');
    }, 20_000);
  });

  describe('standard output that cannot be written', () => {
    it('should run to its end, say so in one line and exit 74 when stdout is a full disk', async () => {
      const { file, probe } = probeDag('stdout-full');
      const log = tmp.file('stdout-full.jsonl');
      const result = await withFullDisk((fd) => runCli(['run', file, '--events', log], {}, { stdoutFd: fd }));
      expect(result.code).toBe(74);
      expect(notices(result.stderr)).toBe(
        'rxdag: cannot write to standard output: ENOSPC (no space left on device); the rest of what is printed there is lost\n',
      );
      expect(existsSync(probe)).toBe(true);
      expect(readEventLog(log).pop()).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    }, 20_000);

    it("should keep the run's own exit code when a task failed", async () => {
      const result = await withFullDisk((fd) => runCli(['run', 'spec/cli/fixtures/failing.yaml'], {}, { stdoutFd: fd }));
      expect(result.code).toBe(1);
      expect(notices(result.stderr)).toMatch(/^rxdag: cannot write to standard output: ENOSPC/);
    }, 20_000);

    it('should exit 74 from the commands that only print, once what they printed is lost', async () => {
      const { file } = probeDag('print-full');
      const store = tmp.file('print-full-store');
      const ran = await run(file, '--store', store, '--quiet');
      expect(ran.code).toBe(0);
      const runId = (await rxdagInProcess('runs', '--store', store, '--json')).stdout.match(/"runId":\s*"([^"]+)"/)?.[1];
      expect(runId).toBeDefined();
      const commands = [
        ['validate', file],
        ['graph', file],
        ['runs', '--store', store],
        ['show', runId!, '--store', store, '--json'],
      ];
      // the executable's own stdout is what fails: each command in a process of its own, all at once
      const results = await Promise.all(commands.map((args) => withFullDisk((fd) => runCli(args, {}, { stdoutFd: fd }))));
      expect(commands.map((args, i) => ({ args, code: results[i]!.code, stderr: notices(results[i]!.stderr) }))).toEqual(
        commands.map((args) => ({
          args,
          code: 74,
          stderr: 'rxdag: cannot write to standard output: ENOSPC (no space left on device); the rest of what is printed there is lost\n',
        })),
      );
    }, 30_000);
  });

  describe('outputs that name the DAG file or each other', () => {
    it('should refuse --events or --report naming the DAG file, and leave the file as it was', async () => {
      const { file, probe, text } = probeDag('self');
      const events = await run(file, '--events', file);
      const report = await run(file, '--report', file.replace(/\/([^/]+)$/, '/./$1'));
      expect(events).toMatchObject({ code: 2, stdout: '' });
      expect(events.stderr).toBe(
        `rxdag: --events "${file}" is the DAG file itself: writing it would overwrite the DAG; give another path\n`,
      );
      expect(report).toMatchObject({ code: 2, stdout: '' });
      expect(report.stderr).toMatch(
        /^rxdag: --report ".*\/\.\/self\.yaml" is the DAG file ".*\/self\.yaml": writing it would overwrite the DAG; give another path\n$/,
      );
      expect(readFileSync(file, 'utf8')).toBe(text);
      expect(existsSync(probe)).toBe(false);
    }, 20_000);

    it('should see the DAG file through a symlink and a hard link', async () => {
      const { file, probe, text } = probeDag('linked');
      const symlink = tmp.file('linked-symlink.html');
      const hardLink = tmp.file('linked-hard.jsonl');
      symlinkSync(file, symlink);
      linkSync(file, hardLink);
      const result = await run(file, '--events', hardLink, '--report', symlink);
      expect(result.code).toBe(2);
      expect(result.stderr.trimEnd().split('\n')).toEqual([
        `rxdag: --events "${hardLink}" is the DAG file "${file}" (a hard link to it): writing it would overwrite the DAG; give another path`,
        `rxdag: --report "${symlink}" is the DAG file "${file}" (through a symlink): writing it would overwrite the DAG; give another path`,
      ]);
      expect(readFileSync(file, 'utf8')).toBe(text);
      expect(existsSync(probe)).toBe(false);
    }, 20_000);

    it('should refuse --events and --report naming the same file, also through a symlink to a file not there yet', async () => {
      const { file, probe } = probeDag('twice');
      const out = tmp.file('twice-out.txt');
      const dangling = tmp.file('twice-link.html');
      symlinkSync(out, dangling);
      const same = await run(file, '--events', out, '--report', out);
      const linked = await run(file, '--events', out, '--report', dangling);
      expect(same).toMatchObject({ code: 2, stdout: '' });
      expect(same.stderr).toBe(`rxdag: --events "${out}" and --report "${out}" are the same file: give each its own path\n`);
      expect(linked).toMatchObject({ code: 2, stdout: '' });
      expect(linked.stderr).toBe(
        `rxdag: --events "${out}" and --report "${dangling}" are the same file (through a symlink): give each its own path\n`,
      );
      expect(existsSync(out)).toBe(false);
      expect(existsSync(probe)).toBe(false);
    }, 20_000);
  });
});

/** `/dev/full` opened for writing (every write fails with ENOSPC), closed after `use`. */
async function withFullDisk<T>(use: (fd: number) => Promise<T>): Promise<T> {
  const fd = openSync('/dev/full', 'w');
  try {
    return await use(fd);
  } finally {
    closeSync(fd);
  }
}

/** Pids of the live processes whose environment holds `RXDAG_SPEC_MARKER=marker`. */
function processesWith(marker: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`RXDAG_SPEC_MARKER=${marker}`);
      } catch {
        return false;
      }
    })
    .map(Number)
    .filter(isRunning);
}
