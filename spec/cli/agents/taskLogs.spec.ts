import { readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { from, lastValueFrom } from 'rxjs';
import { ProcessGroups } from '../../../src/cli/agents/processGroups';
import { createShellAgent, type ShellInput } from '../../../src/cli/agents/shellAgent';
import { logFileName, TaskLogs } from '../../../src/cli/agents/taskLogs';
import { tempDir } from '../support/files';
import { taskContext } from '../support/taskContext';

/**
 * The task logs of `--logs`: the file name of a task's id, and the shell agent writing every chunk
 * of an attempt into its log (bytes, order, appending) while its output keeps its tail, naming
 * the log of a failed attempt, and stopping every log at a write that fails.
 */
describe('task logs (--logs)', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  /** One attempt of a shell task whose attempts log into `logs`, run the way the library runs it. */
  async function attempt(logs: TaskLogs, command: string, { id = 'task', attempt = 1, runId = 'run-1' } = {}): Promise<unknown> {
    const groups = new ProcessGroups(1000);
    const input: ShellInput = { command, cwd: tmp.dir, env: {} };
    const agent = createShellAgent({ groups, logs });
    try {
      return await lastValueFrom(from(Promise.resolve(agent(taskContext({ id, attempt, input, runId })))));
    } finally {
      await groups.whenEmpty();
    }
  }

  describe('logFileName', () => {
    it('should keep an id made of letters, digits and _.,+=@- as it is', () => {
      expect(logFileName('test-core', 1)).toBe('test-core.1.log');
      expect(logFileName('Build_v1.2+x=y@z,w', 12)).toBe('Build_v1.2+x=y@z,w.12.log');
    });

    it('should escape every other character as its UTF-8 bytes, reversibly', () => {
      const ids = ['pkg/a b', 'test:unit', 'été 🚀', '50%', '.hidden', '~home', 'a*?"<>|\\'];
      const names = ids.map((id) => logFileName(id, 1));
      expect(names.slice(0, 5)).toEqual([
        'pkg%2Fa%20b.1.log',
        'test%3Aunit.1.log',
        '%C3%A9t%C3%A9%20%F0%9F%9A%80.1.log',
        '50%25.1.log',
        '%2Ehidden.1.log',
      ]);
      for (const [i, name] of names.entries()) {
        expect(name).toMatch(/^[A-Za-z0-9_.,+=@%-]+\.1\.log$/);
        expect(decodeURIComponent(name.slice(0, -'.1.log'.length))).toBe(ids[i]);
      }
    });

    it('should cut a very long id and end it with a hash of the whole id, so that two never share a file', () => {
      const [a, b] = [`${'x'.repeat(300)}a`, `${'x'.repeat(300)}b`].map((id) => logFileName(id, 1));
      expect(a).not.toBe(b);
      expect(a).toMatch(/^x{183}~[0-9a-f]{16}\.1\.log$/);
    });
  });

  it('should write both streams into one file as their chunks arrive, while the output keeps its tail', async () => {
    const logs = new TaskLogs(path.join(tmp.dir, 'order', 'made', 'here'));
    const output = await attempt(logs, 'echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three');
    expect(output).toEqual({ exitCode: 0, stdout: 'one\nthree', stderr: 'two' });
    expect(readFileSync(path.join(logs.dir, 'run-1', 'task.1.log'), 'utf8')).toBe('one\ntwo\nthree\n');
    // a task that succeeded is not named
    expect(logs.noteOf('task', 1)).toBeUndefined();
    // the folders it made are its user's only, as the store is; the folders on the way are not
    expect(statSync(logs.dir).mode & 0o777).toBe(0o700 & ~process.umask());
    expect(statSync(path.join(logs.dir, 'run-1')).mode & 0o777).toBe(0o700 & ~process.umask());
    expect(statSync(path.dirname(logs.dir)).mode & 0o777).toBe(0o777 & ~process.umask());
    expect(statSync(path.join(logs.dir, 'run-1', 'task.1.log')).mode & 0o777).toBe(0o600);
  });

  it('should keep the bytes as the command wrote them, not only valid UTF-8', async () => {
    const logs = new TaskLogs(path.join(tmp.dir, 'bytes'));
    await attempt(logs, "printf 'a\\377\\303b'");
    expect(readFileSync(path.join(logs.dir, 'run-1', 'task.1.log'))).toEqual(Buffer.from([0x61, 0xff, 0xc3, 0x62]));
  });

  it('should append to the log of an attempt run again (after a resume)', async () => {
    const logs = new TaskLogs(path.join(tmp.dir, 'again'));
    await attempt(logs, 'echo first');
    await attempt(new TaskLogs(logs.dir), 'echo second');
    expect(readFileSync(path.join(logs.dir, 'run-1', 'task.1.log'), 'utf8')).toBe('first\nsecond\n');
  });

  it("should keep the logs of runs sharing the folder apart, each in its run's folder", async () => {
    const dir = tmp.file('shared');
    const [first, second] = [new TaskLogs(dir), new TaskLogs(dir)];
    const run = (logs: TaskLogs, runId: string, command: string) => attempt(logs, command, { runId }).catch(() => undefined);
    await Promise.all([
      run(first, 'nightly/1', 'echo one; sleep 0.2; echo one again; exit 1'),
      run(second, 'nightly-2', 'echo two; exit 1'),
    ]);
    expect(readdirSync(dir).sort()).toEqual(['.gitignore', 'nightly%2F1', 'nightly-2']);
    expect(readFileSync(path.join(dir, 'nightly%2F1', 'task.1.log'), 'utf8')).toBe('one\none again\n');
    expect(readFileSync(path.join(dir, 'nightly-2', 'task.1.log'), 'utf8')).toBe('two\n');
    expect(first.noteOf('task', 1)).toBe(`full output: ${path.join(dir, 'nightly%2F1', 'task.1.log')}`);
  });

  it('should name the log of a failed attempt, and only of attempts it logged', async () => {
    const logs = new TaskLogs(path.join(tmp.dir, 'failed'));
    await expect(attempt(logs, 'echo boom >&2; exit 3', { id: 'test', attempt: 2 })).rejects.toThrow('exited with code 3');
    expect(logs.noteOf('test', 2)).toBe(`full output: ${path.join(logs.dir, 'run-1', 'test.2.log')}`);
    expect(logs.noteOf('test', 1)).toBeUndefined();
  });

  it('should stop every log at a write that fails, say so once, and leave the task its outcome', async () => {
    const dir = tmp.file('full');
    const logs = new TaskLogs(dir);
    await attempt(logs, 'echo before', { id: 'early' });
    symlinkSync('/dev/full', path.join(dir, 'run-1', 'task.1.log'));
    const failures: string[] = [];
    logs.whenFailed((file, error) => failures.push(`${file}: ${(error as NodeJS.ErrnoException).code}`));
    await expect(attempt(logs, 'echo lost; exit 1')).rejects.toThrow('exited with code 1; last stdout lines:\nlost');
    expect(await attempt(logs, 'echo after', { id: 'late' })).toEqual({ exitCode: 0, stdout: 'after', stderr: '' });
    expect(failures).toEqual([`${path.join(dir, 'run-1', 'task.1.log')}: ENOSPC`]);
    expect(logs.noteOf('task', 1)).toBe(`output until its log could not be written: ${path.join(dir, 'run-1', 'task.1.log')}`);
    // the attempts after the failure write nothing; the one before kept its log
    expect(readdirSync(path.join(dir, 'run-1')).sort()).toEqual(['early.1.log', 'task.1.log']);
    expect(readFileSync(path.join(dir, 'run-1', 'early.1.log'), 'utf8')).toBe('before\n');
  });
});
