import { existsSync, linkSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { checkWritable, outputProblems } from '../../../src/cli/commands/writeTarget';
import { InvalidInputError } from '../../../src/cli/problems';
import { storeLocation } from '../../../src/cli/store/storeLocation';
import { tempDir, writeText } from '../support/files';

/**
 * The outputs of a command are refused before anything runs when they would land nowhere (an
 * empty path) or in the store's folder, where they would replace a run's journal; an existing
 * file elsewhere is written again on purpose and is not refused.
 */
describe('output paths', () => {
  const tmp = tempDir();
  const storeDir = tmp.file('store');
  const store = storeLocation(storeDir, {});
  const journal = path.join(storeDir, 'old-20261202-0712-a1b2.jsonl');
  const journalText = '{"runId":"old-20261202-0712-a1b2"}\n';
  beforeAll(() => {
    mkdirSync(storeDir);
    writeText(journal, journalText);
  });
  afterAll(() => tmp.remove());

  const messages = (outputs: Parameters<typeof outputProblems>[0]) => outputProblems(outputs).map((problem) => problem.message);
  const inStore = (flag: string, file: string, what = `in the store ${storeDir}/`) =>
    `${flag} "${file}" is ${what}, where runs are journaled: writing it could overwrite a run's journal; give a path outside it`;

  it("should refuse an events log or a report in the store's folder, naming the path", () => {
    expect(messages({ events: journal, report: path.join(storeDir, 'r.html'), store })).toEqual([
      inStore('--events', journal),
      inStore('--report', path.join(storeDir, 'r.html')),
    ]);
    expect(readFileSync(journal, 'utf8')).toBe(journalText);
  });

  it('should refuse --events - (it is no name for standard output here), with the other problems', () => {
    const cwd = process.cwd();
    process.chdir(tmp.dir);
    try {
      expect(messages({ events: '-', report: path.join(storeDir, 'r.html'), store })).toEqual([
        '--events - would write a file named "-": for the events on standard output use --json',
        inStore('--report', path.join(storeDir, 'r.html')),
      ]);
      expect(existsSync(tmp.file('-'))).toBe(false);
    } finally {
      process.chdir(cwd);
    }
  });

  it('should refuse a report to - (a file of that name, not standard output), for run, show and report alike', () => {
    const cwd = process.cwd();
    process.chdir(tmp.dir);
    try {
      const dash =
        'would write a file named "-": standard output has the command\'s own lines: write the report to a file (rxdag report EVENTS.jsonl -o - writes one to standard output)';
      expect(messages({ report: '-', store })).toEqual([`--report - ${dash}`]);
      expect(() => checkWritable('--output', '-', store)).toThrow(new InvalidInputError([{ message: `--output - ${dash}` }]));
      expect(existsSync(tmp.file('-'))).toBe(false);
    } finally {
      process.chdir(cwd);
    }
  });

  it("should refuse a path that leads into the store's folder through a symlink, or a hard link to one of its files", () => {
    symlinkSync(storeDir, tmp.file('link'));
    linkSync(journal, tmp.file('hard.jsonl'));
    expect(messages({ events: tmp.file('link/x.jsonl'), store })).toEqual([
      inStore('--events', tmp.file('link/x.jsonl'), `in the store ${storeDir}/ (through a symlink)`),
    ]);
    expect(messages({ report: tmp.file('hard.jsonl'), store })).toEqual([
      inStore('--report', tmp.file('hard.jsonl'), `a hard link to "old-20261202-0712-a1b2.jsonl" of the store ${storeDir}/`),
    ]);
  });

  it("should refuse an output that is a run's journal of another store, for run, show and report alike, and leave it as it was", () => {
    const other = tmp.file('other-store');
    mkdirSync(other, { recursive: true });
    const header = '{"runId":"kept-1","dagId":"kept","options":{},"createdAt":5,"spec":{"id":"kept","tasks":[{"id":"a","agent":"x"}]}}\n';
    const kept = writeText(path.join(other, 'kept-1.jsonl'), `${header}{"type":"dag.created","runId":"kept-1","seq":1,"at":5}\n`);
    const refused = (flag: string) =>
      `${flag} "${kept}" is the journal of run "kept-1": writing it would overwrite the run's record; give another path`;
    expect(messages({ events: kept, report: tmp.file('fine.html'), store })).toEqual([refused('--events')]);
    expect(messages({ report: kept, store: storeLocation('postgres://db/rxdag', {}) })).toEqual([refused('--report')]);
    expect(() => checkWritable('--output', kept, store)).toThrow(new InvalidInputError([{ message: refused('--output') }]));
    expect(readFileSync(kept, 'utf8')).toContain(header);
  });

  it("should refuse a run's journal whose header's head is longer than what a listing reads (thousands of limits)", () => {
    const limits = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`limit_number_${i}`, { concurrency: 1 }]));
    const header = { runId: 'big-1', dagId: 'big', options: { limits }, createdAt: 1, spec: { id: 'big', tasks: [] } };
    const big = writeText(tmp.file('other-store/big-1.jsonl'), `${JSON.stringify(header)}\n`);
    expect(JSON.stringify(header).indexOf('"createdAt"')).toBeGreaterThan(64 * 1024);
    expect(messages({ events: big, store })).toEqual([
      `--events "${big}" is the journal of run "big-1": writing it would overwrite the run's record; give another path`,
    ]);
  });

  it('should accept a path outside the store, an existing file included, and a path in a folder store with a database store', () => {
    const existing = writeText(tmp.file('report.html'), 'old report');
    expect(messages({ events: tmp.file('run.jsonl'), report: existing, store })).toEqual([]);
    // (a file of the folder that is no journal: a journal is refused wherever it is)
    const notes = writeText(path.join(storeDir, 'notes.txt'), 'kept by hand');
    expect(messages({ events: notes, store: storeLocation('postgres://db/rxdag', {}) })).toEqual([]);
  });

  it('should refuse an empty path as empty, not as a folder that takes no files', () => {
    expect(messages({ events: '', report: '', store })).toEqual(['--events needs a file path', '--report needs a file path']);
    expect(() => checkWritable('--output', '')).toThrow(new InvalidInputError([{ message: '--output needs a file path' }]));
  });

  it('should give every problem at once: one output the DAG file, the other in a folder that takes no files', () => {
    const dag = writeText(tmp.file('uni.yaml'), 'id: uni\ntasks: []\n');
    expect(messages({ dagFile: dag, events: dag, report: '/proc/nope.html', store })).toEqual([
      `--events "${dag}" is the DAG file itself: writing it would overwrite the DAG; give another path`,
      '--report: cannot write "/proc/nope.html": ENOENT (folder "/proc" does not take new files)',
    ]);
  });

  it("should give every problem at once: one output in the store's folder (not opened there), the other not writable", () => {
    const report = tmp.file('missing/r.html');
    expect(messages({ events: path.join(storeDir, 'new.jsonl'), report, store })).toEqual([
      inStore('--events', path.join(storeDir, 'new.jsonl')),
      `--report: cannot write "${report}": folder "${tmp.file('missing')}" does not exist`,
    ]);
    expect(existsSync(path.join(storeDir, 'new.jsonl'))).toBe(false);
  });

  it('should open two outputs that are one file once: the clash, and why the file cannot be written', () => {
    const file = tmp.file('gone/out.txt');
    expect(messages({ events: file, report: file, store })).toEqual([
      `--events "${file}" and --report "${file}" are the same file: give each its own path`,
      `--events: cannot write "${file}": ENOENT (folder "${tmp.file('gone')}" does not exist)`,
    ]);
  });

  it('should refuse a report of rxdag show or rxdag report in the store', () => {
    expect(() => checkWritable('--report', journal, store)).toThrow(new InvalidInputError([{ message: inStore('--report', journal) }]));
  });
});
