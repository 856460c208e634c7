import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import path from 'node:path';
import { CLI, ensureBuilt } from './support/builtCli';
import { isRunning, readPids, tempDir, writeText } from './support/files';
import { rxdagInProcess as rxdag } from './support/inProcessCli';

// set to a command that another process runs to its taking of the run, as this one goes to take the run's lock
let takenFirstBy: string | undefined;
jest.mock('node:fs', () => {
  const actual = jest.requireActual<typeof import('node:fs')>('node:fs');
  return {
    ...actual,
    writeFileSync: (...args: Parameters<typeof actual.writeFileSync>) => {
      const [file, , options] = args;
      if (takenFirstBy !== undefined && /\.lock\.\d+\./.test(String(file)) && typeof options === 'object' && options?.flag === 'wx') {
        const command = takenFirstBy;
        takenFirstBy = undefined;
        execFileSync('sh', ['-c', command], { stdio: 'ignore', timeout: 20_000 });
      }
      return actual.writeFileSync(...args);
    },
  };
});

/**
 * Two resumes of a run whose journal ends with a torn line: the one that takes the run sets the
 * line aside and says so; the other, refused, says nothing of it (it found the line, and then
 * the line was gone: another process moved it, not this one).
 */
describe('rxdag resume refused while another resume sets the torn last line aside', () => {
  const tmp = tempDir();
  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(() => tmp.remove());

  it('should not say it set the line aside', async () => {
    const dag = writeText(tmp.file('chain.yaml'), 'id: chain\ntasks:\n  - { id: a, sleep: 0 }\n  - { id: b, deps: [a], run: sleep 1 }\n');
    const store = tmp.file('store');
    const run = await rxdag('run', dag, '--store', store);
    const runId = /^rxdag: run (\S+) /m.exec(run.stderr)![1]!;
    const file = path.join(store, `${runId}.jsonl`);
    // cut after `task.completed a`, then half a line, as a crash mid-write leaves it
    fs.writeFileSync(file, `${fs.readFileSync(file, 'utf8').split('\n').slice(0, 5).join('\n')}\n{"type":"task.sta`);
    const pids = tmp.file('other.pid');
    const log = tmp.file('other.log');
    // the other resume, until it has moved the line (it holds the run then)
    takenFirstBy =
      `"${process.execPath}" "${CLI}" resume ${runId} --store "${store}" > "${log}" 2>&1 & echo $! > "${pids}"; ` +
      `i=0; while [ ! -e "${file}.torn" ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i+1)); done`;
    const refused = await rxdag('resume', runId, '--store', store);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`^rxdag: run "${runId}" is owned by a live process`));
    expect(refused.stderr).not.toContain('torn');
    const [other] = readPids(pids);
    for (let waited = 0; isRunning(other!) && waited < 15_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fs.readFileSync(log, 'utf8')).toContain(`rxdag: setting aside the torn last line of run ${runId}'s journal`);
  });
});
