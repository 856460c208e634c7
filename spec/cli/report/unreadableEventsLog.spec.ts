import { mkdirSync, writeFileSync } from 'node:fs';
import { rxdagInProcess } from '../support/inProcessCli';
import { tempDir } from '../support/files';

describe('rxdag report of an events log that is not one', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('should refuse a binary file in one line, echoing none of its bytes', async () => {
    const file = tmp.file('binary.jsonl');
    const bytes = Buffer.alloc(4000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37) % 256;
    writeFileSync(file, bytes);
    const result = await rxdagInProcess('report', file, '-o', tmp.file('out.html'));
    expect([result.code, result.stdout, result.stderr]).toEqual([
      2,
      '',
      `rxdag: ${file}: not an events log (it looks binary): expected the JSON lines of rxdag run --events FILE\n`,
    ]);
  });

  it("should say a folder is a folder, not Node's EISDIR", async () => {
    const folder = tmp.file('folder.jsonl');
    mkdirSync(folder);
    const result = await rxdagInProcess('report', folder, '-o', tmp.file('out.html'));
    expect([result.code, result.stderr]).toEqual([
      2,
      `rxdag: ${folder}: cannot read events log: it is a directory, expected the events log of a run (rxdag run --events FILE)\n`,
    ]);
  });

  it('should still name each bad line of a text file', async () => {
    const file = tmp.file('text.jsonl');
    writeFileSync(file, 'hello\n{"type":"dag.created"}\n');
    const result = await rxdagInProcess('report', file, '-o', tmp.file('out.html'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^rxdag: ${file}:1:1: not JSON: .*\\nrxdag: ${file}:2:1: not an rxdag event: `));
  });

  it('should refuse an `at` that is no time (past what a Date holds, or before 1970), naming its line', async () => {
    const file = tmp.file('times.jsonl');
    const event = (seq: number, at: number) => JSON.stringify({ type: 'dag.created', runId: 'r', seq, at, dagId: 'd', taskCount: 0 });
    writeFileSync(file, `${event(1, 1e308)}\n${event(2, -5)}\n${event(3, 1_700_000_000_000)}\n`);
    const result = await rxdagInProcess('report', file, '-o', tmp.file('out.html'));
    expect([result.code, result.stderr]).toEqual([
      2,
      [1, 2]
        .map(
          (line) => `rxdag: ${file}:${line}:1: not an rxdag event: expected \`at\` as a time: milliseconds since 1970, from 0 to 8.64e15\n`,
        )
        .join(''),
    ]);
  });
});
