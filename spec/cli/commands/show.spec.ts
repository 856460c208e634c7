import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir, writeText } from '../support/files';
import { rxdagInProcess as rxdag } from '../support/inProcessCli';

/**
 * `rxdag show RUN_ID --report`: the report of a journaled run, from its journal, saying what
 * `rxdag show` says of it: its header names the run once and where it was read; a run whose
 * process stopped is `interrupted`, as is the attempt the stop cut.
 */
describe('rxdag show --report', () => {
  const tmp = tempDir();
  const store = tmp.file('store');
  let runId = '';
  beforeAll(async () => {
    const dag = writeText(tmp.file('chain.yaml'), 'id: chain\ntasks:\n  - { id: a, sleep: 5 }\n  - { id: b, deps: [a], sleep: 5 }\n');
    const run = await rxdag('run', dag, '--store', store);
    expect(run).toMatchObject({ code: 0 });
    runId = /^rxdag: run (\S+) /m.exec(run.stderr)![1]!;
  }, 30_000);
  afterAll(() => tmp.remove());

  /** The line of the report's header under its title. */
  const metaOf = (html: string) => /<p class="meta">(.*?)<\/p>/.exec(html)?.[1];

  it('should name the run once in the header, then the journal it was read from', async () => {
    expect(await rxdag('show', runId, '--store', store, '--report', tmp.file('show.html'))).toMatchObject({ code: 0 });
    expect(metaOf(readFileSync(tmp.file('show.html'), 'utf8'))).toMatch(
      new RegExp(`^run ${runId} · journal ${store}/ · began \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC · \\d+ ms · `),
    );
  });

  it('should call a run left interrupted interrupted, as rxdag show does, and the attempt the stop cut too', async () => {
    // the journal as a stop leaves it while b runs: header, then the events up to b's start
    const journal = path.join(store, `${runId}.jsonl`);
    const lines = readFileSync(journal, 'utf8').split('\n');
    const cut = lines.findIndex((line) => line.includes('"task.started"') && line.includes('"taskId":"b"'));
    writeFileSync(journal, `${lines.slice(0, cut + 1).join('\n')}\n`);

    const shown = await rxdag('show', runId, '--store', store, '--report', tmp.file('interrupted.html'));
    expect(shown).toMatchObject({ code: 0 });
    expect(shown.stdout).toMatch(/DAG chain, interrupted\n/);
    expect(shown.stdout).toMatch(/\nb +interrupted +\+\d+ ms +- +1 /);
    const html = readFileSync(tmp.file('interrupted.html'), 'utf8');
    expect(html).toContain('<span class="outcome badge interrupted">interrupted</span>');
    expect(html).toMatch(
      /<rect class="bar interrupted[^"]*" data-task="b" data-attempt="1"[^>]*><title>b #1 on sleep: interrupted after at least /,
    );
    expect(html).toMatch(/<tr data-task="b" class="interrupted">.*?<span class="badge interrupted">interrupted<\/span><\/td><td>1<\/td>/);
  });
});
