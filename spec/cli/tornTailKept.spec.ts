import * as fs from 'node:fs';
import path from 'node:path';
import { tempDir, writeText } from './support/files';
import { rxdagInProcess as rxdag } from './support/inProcessCli';

// a disk too full for the torn tail's file: the journal cannot set it aside
let fullDisk = false;
jest.mock('node:fs', () => {
  const actual = jest.requireActual<typeof import('node:fs')>('node:fs');
  return {
    ...actual,
    openSync: (...args: Parameters<typeof actual.openSync>) => {
      if (fullDisk && String(args[0]).endsWith('.torn'))
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      return actual.openSync(...args);
    },
  };
});

/**
 * A resume says, as its run starts, that it sets the journal's torn last line aside; when the
 * journal then cannot (a full disk) and the run stops before it began, it says the line stayed.
 */
describe('rxdag resume of a journal whose torn last line cannot be set aside', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());
  afterEach(() => (fullDisk = false));

  it('should say the torn line stays in the journal, and leave the journal as it was', async () => {
    const dag = writeText(tmp.file('chain.yaml'), 'id: chain\ntasks:\n  - { id: a, sleep: 0 }\n  - { id: b, deps: [a], sleep: 0 }\n');
    const store = tmp.file('store');
    const run = await rxdag('run', dag, '--store', store);
    const runId = /^rxdag: run (\S+) /m.exec(run.stderr)![1]!;
    const file = path.join(store, `${runId}.jsonl`);
    // cut after `task.completed a`, then half a line, as a crash mid-write leaves it
    const torn = `${fs.readFileSync(file, 'utf8').split('\n').slice(0, 5).join('\n')}\n{"type":"task.sta`;
    fs.writeFileSync(file, torn);
    fullDisk = true;
    const resumed = await rxdag('resume', runId, '--store', store);
    expect(resumed.code).toBe(74);
    expect(resumed.stderr).toContain(
      `rxdag: the torn last line of run ${runId}'s journal was not set aside after all: it stays in the journal\n`,
    );
    expect(fs.readFileSync(file, 'utf8')).toBe(torn);
    expect(fs.existsSync(`${file}.torn`)).toBe(false);
  });
});
