import { mkdirSync, readdirSync } from 'node:fs';
import { ensureBuilt, runCli } from '../support/builtCli';
import { tempDir, writeText } from '../support/files';

/**
 * A daemon a task starts as its last command (`setsid daemon > log 2>&1 &`, as the docs advise)
 * outlives the task: the shell forks `setsid`, which leaves the task's group a moment later, often
 * after the shell ended and the CLI went to stop what stayed of the group.
 */
describe('rxdag run (daemons its tasks start)', () => {
  const tmp = tempDir();
  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(() => tmp.remove());

  it('should leave running every daemon a task started as its last command', async () => {
    const marks = tmp.file('marks');
    mkdirSync(marks);
    const count = 30;
    const tasks = Array.from(
      { length: count },
      (_, i) => `  - id: t${i}\n    run: setsid sh -c 'sleep 0.5; touch ${marks}/d${i}' > /dev/null 2>&1 &\n`,
    );
    const dag = writeText(tmp.file('daemons.yaml'), `id: daemons\ntasks:\n${tasks.join('')}`);
    const result = await runCli(['run', dag, '--quiet', '--store', tmp.file('store')]);
    expect(result.code).toBe(0);
    // each daemon ends by itself half a second after it started, leaving its mark
    for (let waited = 0; readdirSync(marks).length < count && waited < 5000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(readdirSync(marks)).toHaveLength(count);
  });
});
