import { readFileSync } from 'node:fs';
import type { DagEvent } from '../../../src/index';
import { largePageNote, writeReportFile } from '../../../src/cli/commands/reportFile';
import { tempDir, writeText } from '../support/files';
import { rxdagInProcess as rxdag } from '../support/inProcessCli';

/**
 * The report of a run is written by every command that makes one (`run`, `resume`, `show`,
 * `report`), also for a run without tasks; a report that cannot be made is told apart from a
 * file that cannot be written.
 */
describe('the report file', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('should say on stderr that a page of 25 MB or more needs a browser with several GB, and nothing of a smaller one', () => {
    expect(largePageNote('out.html', 24_999_999)).toBeUndefined();
    expect(largePageNote('out.html', 131_030_684)).toBe(
      'rxdag: the report out.html is 131 MB: a browser needs several GB of memory to open it (a run of up to 5,000 tasks has each drawn, with its errors)',
    );
    const noted: string[] = [];
    expect(writeReportFile(tmp.file('small.html'), { events: [] }, (line) => noted.push(line))).toBeUndefined();
    expect(noted).toEqual([]);
  });

  describe('of a DAG without tasks', () => {
    const store = tmp.file('store');
    let events = '';
    let runId = '';
    beforeAll(async () => {
      const dag = writeText(tmp.file('empty.yaml'), 'id: empty\ntasks: []\n');
      events = tmp.file('empty.jsonl');
      const run = await rxdag('run', dag, '--store', store, '--events', events, '--report', tmp.file('run.html'));
      expect(run).toMatchObject({ code: 0 });
      expect(run.stderr).not.toContain('cannot write');
      runId = /^rxdag: run (\S+) /m.exec(run.stderr)![1]!;
    }, 30_000);

    const isReport = (file: string) => {
      const html = readFileSync(file, 'utf8');
      expect(html).toMatch(/^<!DOCTYPE html>/);
      expect(html).toContain('<span class="outcome badge completed">succeeded</span>');
      expect(html).toContain('<svg data-chart="graph"');
    };

    it('should be written by rxdag run --report, exit 0', () => {
      isReport(tmp.file('run.html'));
    });

    it('should be written by rxdag report from the events log, exit 0', async () => {
      expect(await rxdag('report', events, '-o', tmp.file('report.html'))).toEqual({
        code: 0,
        stdout: '',
        stderr: `wrote ${tmp.file('report.html')} (2 events)\n`,
      });
      isReport(tmp.file('report.html'));
    });

    it('should be written by rxdag show --report from the journal, exit 0', async () => {
      const shown = await rxdag('show', runId, '--store', store, '--report', tmp.file('show.html'));
      expect(shown).toMatchObject({ code: 0, stderr: `wrote ${tmp.file('show.html')} (2 events)\n` });
      isReport(tmp.file('show.html'));
    });
  });

  it('should write the report and say nothing when it works', () => {
    expect(writeReportFile(tmp.file('ok.html'), { events: [] })).toBeUndefined();
    expect(readFileSync(tmp.file('ok.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);
  });

  it('should call a failed write a failed write', () => {
    expect(writeReportFile('/dev/full', { events: [] })).toBe('rxdag: cannot write the report /dev/full: ENOSPC (no space left on device)');
  });

  it('should call a report that cannot be made an internal error, not a failed write, and touch no file', () => {
    const file = writeText(tmp.file('kept.html'), 'the old report');
    const line = writeReportFile(file, { events: [undefined] as unknown as DagEvent[] });
    expect(line).toMatch(new RegExp(`^rxdag: internal error while making the report ${file} \\(the file was not written\\): TypeError: `));
    expect(line).not.toContain('cannot write');
    expect(readFileSync(file, 'utf8')).toBe('the old report');
  });
  it("should tell a wait for a full run from the run's concurrency, in run --report and show --report", async () => {
    const dag = writeText(tmp.file('full.yaml'), 'id: full\ntasks:\n  - { id: a, sleep: 60 }\n  - { id: b, sleep: 60 }\n');
    const store = tmp.file('full-store');
    const run = await rxdag('run', dag, '-c', '1', '--store', store, '--report', tmp.file('full.html'));
    expect(run).toMatchObject({ code: 0 });
    const runId = /^rxdag: run (\S+) /m.exec(run.stderr)![1]!;
    const show = await rxdag('show', runId, '--store', store, '--report', tmp.file('full-show.html'));
    expect(show).toMatchObject({ code: 0 });
    for (const file of ['full.html', 'full-show.html']) {
      expect(readFileSync(tmp.file(file), 'utf8')).toMatch(
        /waited \d+ ms for a free slot \(the run(&#39;|&#x27;|')s concurrency: 1, 1 running\)/,
      );
    }
  }, 30_000);
});
