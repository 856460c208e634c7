import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { machineInfo } from '../../benchmarks/machine';
import { keepBlocks } from '../../benchmarks/report/blocks';
import { renderMarkdown } from '../../benchmarks/report/markdown';
import type { BenchReport } from '../../benchmarks/report/types';

/**
 * `npm run bench` rewrites RESULTS.md: the marked blocks it does not write itself (`bench:cli`'s,
 * the hand-written `observe`, `remote`, `limits`) must come back, each where it was.
 */

const block = (name: string, body: string) => `<!-- ${name}:begin -->\n## ${body}\n\n${body} text\n<!-- ${name}:end -->`;

/** The blocks other scripts (or a person) write after the method, in their order. */
const handWritten = [block('cli', 'CLI'), block('observe', 'Observe'), block('remote', 'Remote'), block('limits', 'Limits')];

const rendered = [
  '# rxdag benchmark results',
  'new header',
  '## Targets',
  'new targets',
  '## 1. Event-driven vs polling',
  'new tables',
  block('journal', 'Journal, new'),
  '## How this was measured',
  '- new method',
].join('\n\n');

describe('keepBlocks', () => {
  it('should keep the blocks after the method, in their order, and take the journal block the run wrote', () => {
    const previous = [
      '# rxdag benchmark results',
      'old header',
      '## Targets',
      'old targets',
      block('journal', 'Journal, old'),
      '## How this was measured',
      '- old method',
      ...handWritten,
    ].join('\n\n');
    expect(keepBlocks(`${rendered}\n`, `${previous}\n`)).toBe(`${[rendered, ...handWritten].join('\n\n')}\n`);
  });

  it('should put a block back after the heading or block it followed, else after an earlier one still there', () => {
    const previous = [
      '# rxdag benchmark results',
      '## Targets',
      'old targets',
      block('after-targets', 'A'),
      '## Cases that failed', // not in the new text: the block after it goes after the one before
      'a failure',
      block('after-failures', 'B'),
      block('journal', 'Journal, old'),
      block('after-journal', 'C'),
      '## How this was measured',
    ].join('\n\n');
    expect(keepBlocks(`${rendered}\n`, `${previous}\n`)).toBe(
      `${[
        '# rxdag benchmark results',
        'new header',
        '## Targets',
        'new targets',
        block('after-targets', 'A'),
        block('after-failures', 'B'),
        '## 1. Event-driven vs polling',
        'new tables',
        block('journal', 'Journal, new'),
        block('after-journal', 'C'),
        '## How this was measured',
        '- new method',
      ].join('\n\n')}\n`,
    );
  });

  it('should leave the text alone without a previous file or blocks, and append a block nothing places', () => {
    expect(keepBlocks(`${rendered}\n`, undefined)).toBe(`${rendered}\n`);
    expect(keepBlocks(`${rendered}\n`, '# another file\n\nno blocks\n')).toBe(`${rendered}\n`);
    expect(keepBlocks(`${rendered}\n`, `${block('orphan', 'O')}\n`)).toBe(`${rendered}\n\n${block('orphan', 'O')}\n`);
    expect(keepBlocks(`${rendered}\n`, 'a sentence quoting `<!-- x:begin -->` and `<!-- x:end -->`\n')).toBe(`${rendered}\n`);
  });

  it('should give back the committed RESULTS.md when the run writes everything before its cli block', () => {
    const committed = readFileSync(path.resolve(__dirname, '../../benchmarks/RESULTS.md'), 'utf8');
    const names = [...committed.matchAll(/<!-- ([\w.-]+):begin -->/g)].map((m) => m[1]);
    expect(names).toEqual(expect.arrayContaining(['journal', 'cli', 'observe', 'remote', 'limits']));
    const run = `${committed.slice(0, committed.indexOf('<!-- cli:begin -->')).trimEnd()}\n`;
    expect(keepBlocks(run, committed)).toBe(committed);
  });
});

describe('renderMarkdown', () => {
  const report: BenchReport = {
    profile: 'full',
    command: 'npm run bench',
    script: 'tsx benchmarks/run.ts',
    startedAt: '2026-12-04T00:00:00.000Z',
    finishedAt: '2026-12-04T00:04:00.000Z',
    machine: machineInfo(),
    loadAverageAtEnd: [0, 0, 0],
    source: { commit: 'abc1234', srcDirty: false },
    rxdagLib: 'src',
    isolated: true,
    throughput: [],
    latency: [],
    totals: [],
    idleCpu: [],
    benny: undefined,
    failures: [],
    targets: [],
    history: [],
  };

  it('should keep the blocks of the file it replaces that it does not write, where they were', () => {
    const previous = [
      '# rxdag benchmark results',
      '## Targets',
      block('journal', 'Journal, old'),
      '## How this was measured',
      '- old method',
      ...handWritten,
    ].join('\n\n');
    const markdown = renderMarkdown(report, `${previous}\n`);
    const kept = ['cli', 'observe', 'remote', 'limits'].map((name) => markdown.indexOf(`<!-- ${name}:begin -->`));
    expect(kept.every((at) => at > markdown.indexOf('## How this was measured'))).toBe(true);
    expect([...kept].sort((a, b) => a - b)).toEqual(kept);
    expect(markdown.trimEnd().endsWith(block('limits', 'Limits'))).toBe(true);
    // the journal block is the run's own (from results/journal.json), not the old one, and once
    expect(markdown).not.toContain('Journal, old');
    expect(markdown.match(/<!-- journal:begin -->/g)).toHaveLength(1);
    expect(renderMarkdown(report)).toBe(renderMarkdown(report, undefined));
  });
});
