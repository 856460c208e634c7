import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { rxdagInProcess } from '../support/inProcessCli';
import { ensureBuilt, runCli } from '../support/builtCli';
import { tempDir } from '../support/files';

/**
 * `rxdag report` of a log whose events are not its run's, once each, `seq` 1, 2, 3…: what is
 * missing is said on stderr (the page is still written), events written twice count once, and a
 * log it cannot read as events (gzipped, too big for the process's memory) is refused in one line.
 */
describe('rxdag report of a log whose sequence has holes or repeats', () => {
  const tmp = tempDir();
  let lines: string[] = [];
  let runId = '';
  beforeAll(async () => {
    const dag = tmp.file('chain.json');
    writeFileSync(
      dag,
      JSON.stringify({
        id: 'chain',
        tasks: [
          { id: 'a', sleep: 0 },
          { id: 'b', sleep: 0, deps: ['a'] },
        ],
      }),
    );
    const log = tmp.file('whole.jsonl');
    expect((await rxdagInProcess('run', dag, '--no-journal', '--events', log, '--quiet')).code).toBe(0);
    lines = readFileSync(log, 'utf8').trim().split('\n');
    runId = (JSON.parse(lines[0]!) as { runId: string }).runId;
  });
  afterAll(() => tmp.remove());

  async function reportOf(name: string, text: string) {
    const file = tmp.file(`${name}.jsonl`);
    writeFileSync(file, text);
    return { file, ...(await rxdagInProcess('report', file, '-o', tmp.file(`${name}.html`))) };
  }

  it('should say which events a log lacks in its middle, and still write the page', async () => {
    // seq 4 and 5 lost: a process killed before it wrote them, its resume's log appended
    const { file, code, stdout, stderr } = await reportOf('gap', `${[...lines.slice(0, 3), ...lines.slice(5)].join('\n')}\n`);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(stderr.split('\n').slice(-2)).toEqual([`wrote ${tmp.file('gap.html')} (${lines.length - 2} events)`, '']);
    expect(stderr.replace(/wrote .*\n$/, '')).toBe(
      `rxdag: ${file} lacks 2 events of its run (seq 4–5): a process stopped before it wrote them (kill -9)?; tasks they started ` +
        `or ended are shown as the log has them. If the run was journaled, its journal has every event: rxdag show ${runId} --report OUT.html writes the report from it\n`,
    );
  });

  it('should say a log does not begin where its run did', async () => {
    const { file, code, stderr } = await reportOf('tail', `${lines.slice(3).join('\n')}\n`);
    expect(code).toBe(0);
    expect(stderr).toMatch(
      new RegExp(`^rxdag: ${file} lacks 3 events of its run \\(seq 1–3\\): the log does not begin where the run did;`),
    );
  });

  it('should count once each event written twice (the same log twice), keeping the later line, and say so', async () => {
    const once = await reportOf('once', `${lines.join('\n')}\n`);
    const twice = await reportOf('twice', `${lines.join('\n')}\n${lines.join('\n')}\n`);
    expect(twice.code).toBe(0);
    expect(twice.stdout).toBe('');
    expect(twice.stderr.replace(/wrote .*\n$/, '')).toBe(
      `rxdag: ${twice.file} holds ${lines.length} events more than once (seq 1–${lines.length}): the last line of each is kept ` +
        '(logs of a run joined: the resumed process wrote them again)\n',
    );
    const page = (name: string) => readFileSync(tmp.file(`${name}.html`), 'utf8').replaceAll(`${name}.jsonl`, 'LOG');
    expect(page('twice')).toBe(page('once'));
    expect(once.stderr).toBe(`wrote ${tmp.file('once.html')} (${lines.length} events)\n`);
  });

  it('should name an event type it does not know, and list two runs without an ellipsis', async () => {
    const later = JSON.stringify({ ...(JSON.parse(lines[1]!) as object), type: 'task.paused' });
    const unknown = await reportOf('later', `${lines[0]}\n${later}\n`);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`rxdag: ${unknown.file}:2:1: not an rxdag event: expected an event type (`);
    expect(unknown.stderr).toContain('(got "task.paused": written by a later rxdag?)\n');
    const other = JSON.stringify({ ...(JSON.parse(lines[1]!) as object), runId: 'other-run' });
    const two = await reportOf('two', `${lines[0]}\n${other}\n`);
    expect(two.stderr).toBe(`rxdag: ${two.file}: holds events of 2 runs (${runId}, other-run); a report shows one run\n`);
  });

  it('should refuse a gzipped log, saying how to read it', async () => {
    const file = tmp.file('log.jsonl.gz');
    writeFileSync(file, gzipSync(`${lines.join('\n')}\n`));
    const result = await rxdagInProcess('report', file, '-o', tmp.file('gz.html'));
    expect([result.code, result.stderr]).toEqual([
      2,
      `rxdag: ${file}: a gzip file, not an events log: decompress it first (gzip -dc ${file} > events.jsonl), or give rxdag report <(zcat ${file})\n`,
    ]);
  });

  it('should refuse a log too big for the memory Node gives the process, saying how to give it more', async () => {
    ensureBuilt();
    const file = tmp.file('big.jsonl');
    // ~40 MB of events: more than a heap of 32 MB could hold as events
    const filler = `${lines.join('\n')}\n`;
    writeFileSync(file, filler.repeat(Math.ceil(40e6 / filler.length)));
    const result = await runCli(['report', file, '-o', tmp.file('big.html')], { NODE_OPTIONS: '--max-old-space-size=32' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(
        `^rxdag: ${file}: the events log is 3\\d MiB: its report takes about 1\\d\\d MiB of memory, more than Node gives this process ` +
          '\\(\\d+ MiB\\); give it more with NODE_OPTIONS=--max-old-space-size=\\d+\\n$',
      ),
    );
  }, 60_000);

  it('should count the DAG file a report reads with the log, and say so when the two need more than the heap', async () => {
    ensureBuilt();
    const file = tmp.file('mid.jsonl');
    const filler = `${lines.join('\n')}\n`;
    writeFileSync(file, filler.repeat(Math.ceil(10e6 / filler.length))); // ~10 MB: ~50 MiB of heap alone
    const dag = tmp.file('big-dag.json');
    const tasks = Array.from({ length: 200_000 }, (_, i) => ({ id: `task-${i}`, sleep: 0, deps: i === 0 ? [] : [`task-${i - 1}`] }));
    writeFileSync(dag, JSON.stringify({ id: 'big', tasks })); // ~11 MB: ~250 MiB more
    const result = await runCli(['report', file, '--dag', dag, '-o', tmp.file('mid.html')], { NODE_OPTIONS: '--max-old-space-size=128' });
    expect([result.code, result.stderr]).toEqual([
      2,
      expect.stringMatching(
        new RegExp(
          `^rxdag: ${file}: the events log is 10 MiB and the DAG file 1\\d MiB: its report takes about 2\\d\\d MiB of memory, ` +
            'more than Node gives this process \\(1\\d\\d MiB\\); give it more with NODE_OPTIONS=--max-old-space-size=\\d+\\n$',
        ),
      ),
    ]);
  }, 60_000);

  it('should report a small log under a small heap', async () => {
    ensureBuilt();
    const file = tmp.file('small.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const result = await runCli(['report', file, '-o', tmp.file('small.html')], { NODE_OPTIONS: '--max-old-space-size=16' });
    expect([result.code, result.stderr]).toEqual([0, `wrote ${tmp.file('small.html')} (${lines.length} events)\n`]);
  });

  it('should refuse, not die of, a log of many small events just too big for the heap it has', async () => {
    ensureBuilt();
    // 200,000 tasks (600,000 events of ~112 bytes: 64 MiB), against a heap of 268 MiB: a report would need ~275
    const file = tmp.file('many.jsonl');
    const parts: string[] = [];
    const run = 'many-1';
    parts.push(JSON.stringify({ type: 'dag.created', runId: run, seq: 1, at: 0, dagId: 'many', taskCount: 200_000 }));
    let seq = 2;
    for (let i = 0; i < 200_000; i++) {
      const task = { runId: run, at: i, taskId: `t${i}`, attempt: 1 };
      parts.push(JSON.stringify({ type: 'task.ready', ...task, seq: seq++ }));
      parts.push(JSON.stringify({ type: 'task.started', ...task, seq: seq++, agent: 'sleep' }));
      parts.push(JSON.stringify({ type: 'task.completed', ...task, seq: seq++, at: i + 1, durationMs: 1 }));
    }
    writeFileSync(file, `${parts.join('\n')}\n`);
    const result = await runCli(['report', file, '-o', tmp.file('many.html')], { NODE_OPTIONS: '--max-old-space-size=220' });
    expect([result.code, result.stderr]).toEqual([2, expect.stringMatching(/give it more with NODE_OPTIONS=--max-old-space-size=\d+\n$/)]);
  }, 60_000);
});
