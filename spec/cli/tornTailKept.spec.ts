import * as fs from 'node:fs';
import path from 'node:path';
import { tempDir, writeText } from './support/files';
import { rxdagInProcess as rxdag } from './support/inProcessCli';

// a disk too full for the torn tail's file: the journal cannot set it aside
let fullDisk = false;
// a disk that fills once the journal took this many writes more (the resumed run's): its next write is cut short
let writesBeforeFull: number | undefined;
const journalFds = new Set<number>();
const enospc = () => Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
jest.mock('node:fs', () => {
  const actual = jest.requireActual<typeof import('node:fs')>('node:fs');
  return {
    ...actual,
    openSync: (...args: Parameters<typeof actual.openSync>) => {
      if (fullDisk && String(args[0]).endsWith('.torn')) throw enospc();
      const fd = actual.openSync(...args);
      if (writesBeforeFull !== undefined && String(args[0]).endsWith('.jsonl') && args[1] === 'a') journalFds.add(fd);
      return fd;
    },
    writeSync: (fd: number, buffer: Uint8Array, offset: number, length: number) => {
      if (!journalFds.has(fd) || writesBeforeFull === undefined) return actual.writeSync(fd, buffer, offset, length);
      if (writesBeforeFull > 0) {
        writesBeforeFull--;
        return actual.writeSync(fd, buffer, offset, length);
      }
      if (length > 1) return actual.writeSync(fd, buffer, offset, Math.floor(length / 2)); // the disk takes half
      throw enospc();
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
  afterEach(() => {
    fullDisk = false;
    writesBeforeFull = undefined;
    journalFds.clear();
  });

  /** A run of `chain.yaml` whose journal was cut after `task.completed a`, then half a line: its id, file and text. */
  async function tornRun(name: string): Promise<{ runId: string; store: string; file: string; torn: string }> {
    const dag = writeText(
      tmp.file(`${name}.yaml`),
      `id: ${name}\ntasks:\n  - { id: a, sleep: 0 }\n  - { id: b, deps: [a], sleep: 0 }\n  - { id: c, deps: [b], sleep: 0 }\n`,
    );
    const store = tmp.file(`${name}-store`);
    const run = await rxdag('run', dag, '--store', store);
    const runId = /^rxdag: run (\S+) /m.exec(run.stderr)![1]!;
    const file = path.join(store, `${runId}.jsonl`);
    const torn = `${fs.readFileSync(file, 'utf8').split('\n').slice(0, 5).join('\n')}\n{"type":"task.sta`;
    fs.writeFileSync(file, torn);
    return { runId, store, file, torn };
  }

  it('should not say the torn line stays when it was set aside and the journal was torn again later (the disk full again)', async () => {
    const { runId, store, file, torn } = await tornRun('again');
    writesBeforeFull = 1; // the resume's first group (its run.resumed) is written, the next one torn
    const resumed = await rxdag('resume', runId, '--store', store);
    expect(resumed.code).toBe(74);
    expect(resumed.stderr).not.toContain('not set aside after all');
    // the first torn line is in the .torn file, the journal goes on from where it was cut
    expect(fs.readFileSync(`${file}.torn`, 'utf8')).toContain('{"type":"task.sta');
    expect(fs.readFileSync(file, 'utf8').startsWith(torn.slice(0, torn.lastIndexOf('\n') + 1))).toBe(true);
  });

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
