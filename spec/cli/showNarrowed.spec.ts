import { tempDir, writeText } from './support/files';
import { rxdagInProcess as rxdag } from './support/inProcessCli';

/**
 * `rxdag show RUN_ID --failed` and `--task ID…`: a run of thousands of tasks is read for what is
 * asked, its failures or a few tasks, not printed whole.
 */
describe('rxdag show, narrowed', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());
  const store = tmp.file('store');

  /** A run with one task failing (its dependent skipped) and two completing. */
  async function failedRun(): Promise<string> {
    const dag = writeText(
      tmp.file('mixed.yaml'),
      [
        'id: mixed',
        'tasks:',
        '  - id: build',
        '    run: "true"',
        '  - id: lint',
        '    run: "true"',
        '  - id: test',
        '    run: echo broken >&2; exit 3',
        '    retry: { attempts: 2, backoffMs: 1 }',
        '  - id: deploy',
        '    run: "true"',
        '    deps: [test]',
      ].join('\n'),
    );
    const ran = await rxdag('run', dag, '--store', store, '--quiet');
    expect(ran.code).toBe(1);
    const listed = await rxdag('runs', '--store', store, '--json');
    return (JSON.parse(listed.stdout.trim().split('\n')[0]!) as { runId: string }).runId;
  }

  it('should print only the failures with --failed, and only the tasks named with --task, as text and as JSON', async () => {
    const runId = await failedRun();
    const whole = await rxdag('show', runId, '--store', store);
    expect(whole.stdout).toContain('build');

    const failed = await rxdag('show', runId, '--store', store, '--failed');
    expect(failed.code).toBe(0);
    expect(failed.stdout).toContain('tasks    4: 2 completed, 1 failed, 1 skipped');
    expect(failed.stdout).toContain('broken');
    expect(failed.stdout).not.toMatch(/^build\b|TASK +STATE/m);
    // how its earlier attempt failed is under the failure, in the text and in --json
    expect(failed.stdout).toContain('      attempt #1 failed: ShellCommandError: `echo broken >&2; exit 3` exited with code 3');
    const failedJson = JSON.parse((await rxdag('show', runId, '--store', store, '--failed', '--json')).stdout) as {
      tasks: { id: string; failedAttempts?: unknown[] }[];
    };
    expect(failedJson.tasks.map((task) => [task.id, task.failedAttempts?.length])).toEqual([['test', 1]]);

    // the option before the run id, as options may come
    const some = await rxdag('show', '--task', 'lint', '--task', 'deploy', runId, '--store', store, '--json');
    const details = JSON.parse(some.stdout) as { tasks: { id: string }[]; failures: unknown[]; counts: { total: number } };
    expect(details.tasks.map((task) => task.id)).toEqual(['lint', 'deploy']);
    expect(details.failures).toEqual([]);
    expect(details.counts.total).toBe(4);

    const onlyTest = await rxdag('show', runId, '--store', store, '--task', 'test');
    expect(onlyTest.stdout).toContain('broken');
    expect(onlyTest.stdout).toMatch(/^test +failed/m);
    expect(onlyTest.stdout).not.toMatch(/^lint /m);
  });

  it('should refuse a task the run does not have, naming the closest, exit 2', async () => {
    const runId = await failedRun();
    expect(await rxdag('show', runId, '--store', store, '--task', 'tset')).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: --task "tset": run ${runId} has no such task (did you mean "test"?)\n`,
    });
  });
});
