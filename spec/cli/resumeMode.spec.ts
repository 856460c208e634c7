import { writeFileSync } from 'node:fs';
import type { DagEvent } from '../../src/index';
import { ensureBuilt, printedRunId, runCli, startCli } from './support/builtCli';
import { tempDir } from './support/files';

/**
 * `rxdag resume` keeps the mode the run began with (`--mode polling`, its `--poll-interval`)
 * unless told otherwise; `--poll-interval` alone changes the period of a polling run and is
 * refused for a run that began in event mode.
 */
describe('rxdag resume and the scheduling mode', () => {
  const tmp = tempDir();
  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(() => tmp.remove());

  /**
   * A chain of tasks run with `args`, killed with SIGKILL once its first task completed: the
   * first sleeps 0 ms, the others `laterMs` (in event mode, a chain of `sleep: 0` could end
   * before the kill lands).
   */
  async function killedChain(name: string, args: readonly string[], laterMs = 0): Promise<{ runId: string; store: string }> {
    const file = tmp.file(`${name}.yaml`);
    const tasks = ['a', 'b', 'c', 'd', 'e'].map((id, i) =>
      i === 0 ? `  - { id: ${id}, sleep: 0 }` : `  - { id: ${id}, sleep: ${laterMs}, deps: [${'abcde'[i - 1]}] }`,
    );
    writeFileSync(file, `id: ${name}\ntasks:\n${tasks.join('\n')}\n`);
    const store = tmp.file(`${name}-store`);
    const run = startCli(['run', file, '--store', store, '--json', ...args]);
    await run.waitForStdout(/"type":"task\.completed"/);
    run.child.kill('SIGKILL');
    const killed = await run.done;
    return { runId: printedRunId(killed.stderr)!, store };
  }

  const gapsOf = (stdout: string): number[] => {
    const starts = stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as DagEvent)
      .filter((event) => event.type === 'task.started')
      .map((event) => event.at);
    return starts.slice(1).map((at, i) => at - starts[i]!);
  };

  it('should go on polling at the period the run began with, and take --poll-interval alone', async () => {
    // three runs of their own, side by side: each mostly waits for its polls
    const killedAndResumed = async (name: string, resumeArgs: readonly string[]) => {
      const { runId, store } = await killedChain(name, ['--mode', 'polling', '--poll-interval', '300']);
      return runCli(['resume', runId, '--store', store, ...resumeArgs]);
    };
    const [resumed, polled, repolled] = await Promise.all([
      killedAndResumed('polled', ['--json']),
      // --mode polling alone keeps the run's period too
      killedAndResumed('restated', ['--mode', 'polling', '--json']),
      killedAndResumed('repolled', ['--poll-interval', '20', '--quiet']),
    ]);
    // each task starts at a poll after its dependency completed: polls 300 ms apart, not 20 (a
    // poll the machine's load made late shortens the gap to the next, which keeps to the period)
    for (const run of [resumed, polled]) {
      expect(run.code).toBe(0);
      const gaps = gapsOf(run.stdout);
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(100);
      expect(gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length).toBeGreaterThanOrEqual(250);
    }
    expect(repolled).toMatchObject({ code: 0 });
  }, 60_000);

  it('should refuse --poll-interval alone for a run that began in event mode', async () => {
    const { runId, store } = await killedChain('evented', [], 60_000);
    const resumed = await runCli(['resume', runId, '--store', store, '--poll-interval', '20']);
    expect(resumed).toMatchObject({
      code: 2,
      stderr: `rxdag: --poll-interval only applies with --mode polling (run ${runId} began in event mode)\n`,
    });
  }, 60_000);
});
