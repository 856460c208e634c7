import { chmodSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir, writeText } from '../support/files';
import { rxdagInProcess } from '../support/inProcessCli';

/**
 * The mode of the files rxdag writes on request: the events log and the HTML report hold what
 * tasks wrote (stdout and stderr tails, failure lines), so a new one is made, as a journal is,
 * readable by the user's group as the umask allows and by no other user; a file that was there
 * keeps its mode.
 */
describe('output file modes', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());
  let umask: number;
  beforeEach(() => (umask = process.umask()));
  afterEach(() => process.umask(umask));

  const dag = () => writeText(path.join(tmp.dir, 'leaky.yaml'), 'id: leaky\ntasks:\n  - { id: a, run: "echo token-123; exit 3" }\n');

  it.each([
    ['022', '640'],
    ['002', '660'],
    ['077', '600'],
  ])(
    'should make the events log and the report of a run, and a report of a log, with no mode for others (umask %o → %o)',
    async (mask, mode) => {
      process.umask(mask);
      const [events, report, again] = ['e.jsonl', 'r.html', 'again.html'].map((name) => tmp.file(`${mask}-${name}`));
      expect(await rxdagInProcess('run', dag(), '--no-journal', '--quiet', '--events', events!, '--report', report!)).toMatchObject({
        code: 1,
      });
      expect(await rxdagInProcess('report', events!, '-o', again!)).toMatchObject({ code: 0 });
      for (const file of [events!, report!, again!]) expect((statSync(file).mode & 0o777).toString(8)).toBe(mode);
    },
  );

  it('should keep the mode of a file it writes over', async () => {
    process.umask(0o022);
    const [events, report] = ['kept.jsonl', 'kept.html'].map((name) => tmp.file(name));
    for (const file of [events!, report!]) {
      writeFileSync(file, 'old');
      chmodSync(file, 0o644);
    }
    expect(await rxdagInProcess('run', dag(), '--no-journal', '--quiet', '--events', events!, '--report', report!)).toMatchObject({
      code: 1,
    });
    for (const file of [events!, report!]) expect(statSync(file).mode & 0o777).toBe(0o644);
  });
});
