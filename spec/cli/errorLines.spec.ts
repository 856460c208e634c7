import { writeFileSync } from 'node:fs';
import { describeRedis } from '../support/redis';
import { runCli } from './support/builtCli';
import { rxdagInProcess as rxdag } from './support/inProcessCli';
import { remoteCliSuite } from './remote/workerProcesses';
import { tempDir, writeText } from './support/files';

/**
 * `--error-lines N`: how many of a failed command's last lines its error quotes (5 by default),
 * for a test runner that prints its failure above a long stack. On `run` and `resume` for the
 * tasks run here; on `rxdag worker` for the tasks it runs (a run with `--redis` refuses it).
 */
jest.setTimeout(60_000);

/** A DAG of one task that writes 30 numbered lines to stderr and fails. */
const FAILING = JSON.stringify({
  id: 'lines',
  tasks: [{ id: 't', run: 'for i in $(seq 1 30); do echo "line $i" >&2; done; exit 1' }],
});

/** The stderr lines the error of task `t` quotes, in the JSON lines of a run's stdout. */
function quotedLines(stdout: string): string[] {
  const failed = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { type: string; error?: { message: string } })
    .find((event) => event.type === 'task.failed');
  return failed!.error!.message.split('\n').slice(1);
}

const numbered = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`);

describe('--error-lines of rxdag run', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('should quote as many of a failed command’s last lines as asked, 5 by default', async () => {
    const file = writeText(tmp.file('failing.json'), FAILING);
    const asked = await rxdag('run', file, '--no-journal', '--json', '--error-lines', '12');
    expect(asked.code).toBe(1);
    expect(quotedLines(asked.stdout)).toEqual(numbered(19, 30));
    expect(quotedLines((await rxdag('run', file, '--no-journal', '--json')).stdout)).toEqual(numbered(26, 30));
  });
});

describeRedis('--error-lines of rxdag worker', (env) => {
  let prefix = '';
  const { tmp, fleet } = remoteCliSuite(env, (fresh) => (prefix = fresh));
  const NO_KEY = { RXDAG_WORKER_KEY: '' };

  it('should have the worker quote as many lines as it was told, and a run with --redis refuse the option', async () => {
    const file = tmp.file('failing.json');
    writeFileSync(file, FAILING);
    await fleet.start(env.url, prefix, ['--error-lines', '8'], NO_KEY);
    const remote = ['--no-journal', '--json', '--redis', env.url, '--redis-prefix', prefix];
    const run = await runCli(['run', file, ...remote], NO_KEY);
    expect(run.code).toBe(1);
    expect(quotedLines(run.stdout)).toEqual(numbered(23, 30));
    expect(await runCli(['run', file, ...remote, '--error-lines', '8'], NO_KEY)).toMatchObject({
      code: 2,
      stderr:
        'rxdag: --error-lines and --redis cannot be used together: with --redis the tasks run on the workers, which write their errors (rxdag worker --error-lines N)\n',
    });
  });
});
