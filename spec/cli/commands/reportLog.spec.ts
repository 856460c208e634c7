import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BOUNDED_REPORT_TASKS } from '../../../src/cli/report/shownTasks';
import { largeRun } from '../report/largeRuns';
import { tempDir, writeText } from '../support/files';
import { rxdagInProcess as rxdag } from '../support/inProcessCli';

/**
 * `rxdag report` of an events log as it may be found: cut short by a crash (its torn last line
 * left out, and said), of another kind (a few bad lines listed, then how many more; a line of
 * JSON that is not an event, what is wrong with it), a run's journal (refused, pointing to the
 * `rxdag show` that writes its report), or given a `--dag` file of another DAG (refused: the
 * report would show tasks that never were); of a large run, its report points to the log.
 */
describe('rxdag report of an events log', () => {
  const tmp = tempDir();
  let log = '';
  beforeAll(async () => {
    const dag = writeText(tmp.file('two.yaml'), 'id: two\ntasks:\n  - id: a\n    sleep: 1\n  - id: b\n    deps: [a]\n    sleep: 1\n');
    log = tmp.file('two.jsonl');
    expect(await rxdag('run', dag, '--no-journal', '--quiet', '--events', log)).toMatchObject({ code: 0 });
  });
  afterAll(() => tmp.remove());

  it('should leave out a last line a crash cut short, and say so', async () => {
    const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
    const torn = writeText(tmp.file('torn.jsonl'), `${lines.slice(0, -1).join('\n')}\n${lines.at(-1)!.slice(0, 20)}`);
    const out = tmp.file('torn.html');
    expect(await rxdag('report', torn, '-o', out)).toEqual({
      code: 0,
      stdout: '',
      stderr: `rxdag: ${torn}:${lines.length}: the last line was cut short (a write a crash interrupted); left out\nwrote ${out} (${lines.length - 1} events)\n`,
    });
  });

  it('should list ten bad lines of a file of another kind, then how many more', async () => {
    const other = writeText(tmp.file('other.jsonl'), `${Array.from({ length: 25 }, (_, i) => `line ${i}`).join('\n')}\n`);
    const result = await rxdag('report', other, '-o', tmp.file('other.html'));
    const lines = result.stderr.trimEnd().split('\n');
    expect([result.code, lines.length]).toEqual([2, 11]);
    expect(lines[10]).toBe(`rxdag: ${other}: … and 15 more bad lines (is it an events log of rxdag run --events?)`);
  });

  it('should refuse a journal given for an events log in one line, giving the rxdag show that writes its report', async () => {
    const store = tmp.file('my runs');
    const run = await rxdag('run', tmp.file('two.yaml'), '--store', store, '--quiet');
    const runId = /^rxdag: run (\S+) /m.exec(run.stderr)![1]!;
    const journal = path.join(store, `${runId}.jsonl`);
    const out = tmp.file("kay's report.html");
    expect(await rxdag('report', journal, '-o', out)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: ${journal} is the journal of run "${runId}", not an events log: write its report with rxdag show ${runId} --store '${store}' --report '${tmp.dir}/kay'\\''s report.html'\n`,
    });
    expect(existsSync(out)).toBe(false);
    // asked for on standard output: `show` writes it to a file (its own stdout has its lines)
    expect((await rxdag('report', journal, '-o', '-')).stderr).toMatch(new RegExp(`--store '${store}' --report OUT\\.html\\n$`));
    // what it says to run writes the report
    expect(await rxdag('show', runId, '--store', store, '--report', out)).toMatchObject({ code: 0 });
    expect(readFileSync(out, 'utf8')).toContain(`run ${runId} · journal ${store}/`);
  });

  it("should refuse a --dag file of another DAG, or without the run's tasks", async () => {
    const other = writeText(tmp.file('other.yaml'), 'id: other\ntasks:\n  - id: a\n    sleep: 1\n');
    const same = writeText(tmp.file('same-id.yaml'), 'id: two\ntasks:\n  - id: a\n    sleep: 1\n');
    const [byId, byTasks] = [
      await rxdag('report', log, '-o', tmp.file('x.html'), '--dag', other),
      await rxdag('report', log, '-o', tmp.file('y.html'), '--dag', same),
    ];
    expect(byId).toEqual({ code: 2, stdout: '', stderr: `rxdag: --dag ${other} is DAG "other", but ${log} is a run of DAG "two"\n` });
    expect(byTasks).toEqual({ code: 2, stdout: '', stderr: `rxdag: --dag ${same} has no task "b" of the run in ${log}\n` });
  });

  it('should name what is wrong with each line that is JSON but not an event', async () => {
    const lines = [
      '{"type":"dag.created","runId":"r","seq":1,"at":0,"dagId":"x","taskCount":1}',
      '{"type":"task.ready","runId":"r","seq":2.5,"at":0,"taskId":"a","attempt":1}',
      '{"type":"task.nope","runId":"r","seq":3,"at":0}',
      '{"type":"task.ready","runId":"r","seq":4,"at":0,"taskId":5,"attempt":1}',
      '[1]',
    ];
    const bad = writeText(tmp.file('bad.jsonl'), `${lines.join('\n')}\n`);
    const result = await rxdag('report', bad, '-o', tmp.file('bad.html'));
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `rxdag: ${bad}:2:1: not an rxdag event: \`seq\` must be an integer`,
      expect.stringMatching(new RegExp(`^rxdag: ${bad}:3:1: not an rxdag event: expected an event type \\(dag\\.created, `)),
      `rxdag: ${bad}:4:1: not an rxdag event: expected a string \`taskId\``,
      `rxdag: ${bad}:5:1: not an rxdag event: Invalid input: expected object, received array`,
    ]);
  });

  it('should name the field of its type an edited event lacks, and read a log saved with a byte order mark', async () => {
    const lines = [
      '\uFEFF{"type":"dag.created","runId":"r","seq":1,"at":0,"dagId":"x","taskCount":1}',
      '{"type":"task.ready","runId":"r","seq":2,"at":0,"attempt":1}',
      '{"type":"task.failed","runId":"r","seq":3,"at":0,"taskId":"a","attempt":1,"willRetry":false,"error":null}',
      '{"type":"run.resumed","runId":"r","seq":4,"at":0,"resumedAfterSeq":3}',
      '{"type":"tasks.spawned","runId":"r","seq":5,"at":0,"taskId":"a","attempt":1,"tasks":[{"deps":["a"]}]}',
    ];
    const edited = writeText(tmp.file('edited.jsonl'), `${lines.join('\n')}\n`);
    const result = await rxdag('report', edited, '-o', tmp.file('edited.html'));
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `rxdag: ${edited}:2:1: not an rxdag event: task.ready needs \`taskId\`: expected a string (got nothing)`,
      `rxdag: ${edited}:3:1: not an rxdag event: task.failed needs \`error\`: expected an error { name, message } (got null)`,
      `rxdag: ${edited}:4:1: not an rxdag event: run.resumed needs \`interrupted\`: expected a list of task ids (got nothing)`,
      `rxdag: ${edited}:5:1: not an rxdag event: tasks.spawned needs \`tasks\`: expected a list of tasks, each with its \`id\` (got an array)`,
    ]);
  });

  it(`should say in the report of a run of more than ${BOUNDED_REPORT_TASKS} tasks that every task is in the events log it read`, async () => {
    const { events, deps } = largeRun(BOUNDED_REPORT_TASKS + 1);
    const large = writeText(tmp.file('large.jsonl'), `${events.map((event) => JSON.stringify(event)).join('\n')}\n`);
    const tasks = Object.entries(deps).map(([id, taskDeps]) => ({ id, deps: taskDeps, sleep: 0 }));
    const dag = writeText(tmp.file('large.json'), JSON.stringify({ id: 'large', tasks }));
    const out = tmp.file('large.html');
    expect(await rxdag('report', large, '-o', out, '--dag', dag)).toEqual({
      code: 0,
      stdout: '',
      stderr: `wrote ${out} (${events.length} events)\n`,
    });
    const html = readFileSync(out, 'utf8');
    expect(html).toContain(`Every task is in the events log <code>${large}</code> (a line per event).</p>`);
    expect(html).toContain(
      `<p class="note" id="large-run">This run has ${(BOUNDED_REPORT_TASKS + 1).toLocaleString('en-US')} tasks, too many to draw`,
    );
  });
});
