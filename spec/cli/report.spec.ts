import { readFileSync } from 'node:fs';
import { ensureBuilt, runCli } from './support/builtCli';
import { hasChromium, renderedDom } from './support/chromium';
import { rxdagInProcess } from './support/inProcessCli';
import { readEventLog, tempDir, writeText } from './support/files';
import { edgesThroughNodes, readGraphSvg } from './report/svgGeometry';

/**
 * `rxdag run --report` and `rxdag report`: one self-contained HTML file with a Gantt timeline,
 * the DAG as a graph and a summary table. The structure is checked everywhere; where Debian's
 * chromium is installed the page is also opened headless and must report itself rendered.
 */
describe('rxdag report', () => {
  const tmp = tempDir();
  let html = '';
  let events = '';
  beforeAll(async () => {
    await ensureBuilt();
    events = tmp.file('data.jsonl');
    const result = await runCli(['run', 'examples/data-pipeline.yaml', '--quiet', '--events', events, '--report', tmp.file('run.html')]);
    expect(result.code).toBe(0);
    html = readFileSync(tmp.file('run.html'), 'utf8');
  }, 120_000);
  afterAll(() => tmp.remove());

  const count = (pattern: RegExp) => (html.match(pattern) ?? []).length;

  it('should write one self-contained page that loads nothing from anywhere', () => {
    expect(html).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
    expect(html).toMatch(
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-[A-Za-z0-9+/]{43}='; img-src data:">/,
    );
    expect(html).not.toMatch(/\s(src|href)=/);
    expect(html).not.toMatch(/@import|url\((?!#)/);
    expect(html).toMatch(/<style>[\s\S]+<\/style>/);
    expect(html).toMatch(/<script>[\s\S]+<\/script>/);
  });

  it('should draw one Gantt bar per attempt, coloured by outcome, with the retry visible', () => {
    const log = readEventLog(events);
    expect(count(/<rect class="bar /g)).toBe(log.filter((e) => e.type === 'task.started').length);
    expect(html).toMatch(/<rect class="bar failed retried" data-task="fetch-rates" data-attempt="1"/);
    expect(html).toMatch(/<rect class="bar completed" data-task="fetch-rates" data-attempt="2"/);
    expect(html).toMatch(/<line class="backoff"[^>]*><title>fetch-rates: backoff before attempt #2<\/title>/);
  });

  it('should draw the DAG with its declared edges and mark the critical path', () => {
    expect(count(/<g class="node /g)).toBe(8);
    expect(count(/<path class="edge/g)).toBe(8);
    expect(html).not.toContain('class="edge inferred');
    // the path ends with the task that ended last, and each step is a declared dependency
    const path = /<p class="meta" id="critical-path">Critical path \((\d+) tasks?\): (.*)<\/p>/.exec(html);
    const ids = [...(path?.[2] ?? '').matchAll(/<code>([^<]+)<\/code>/g)].map((m) => m[1]);
    expect(ids[ids.length - 1]).toBe('load');
    expect(ids.length).toBe(Number(path?.[1]));
    expect(ids.length).toBeGreaterThanOrEqual(4);
    for (const id of ids) expect(html).toMatch(new RegExp(`<g class="node completed critical" data-task="${id}"`));
    expect(count(/<path class="edge critical"/g)).toBe(ids.length - 1);
  });

  it('should route every edge around the nodes it does not join', () => {
    // join depends on tasks two layers back: drawn straight, those edges ran through clean-orders
    const graph = readGraphSvg(html);
    expect(graph.edges).toHaveLength(8);
    expect(edgesThroughNodes(graph)).toEqual([]);
  });

  it('should not say a task waited for a slot when the run never filled its 8 slots', () => {
    // spawning a shell task takes a few ms: the gap between ready and start is dispatch latency
    expect(html).not.toContain('for a free slot');
    expect(html).toMatch(
      /<line class="dispatch"[^>]*><title>[a-z-]+: dispatch latency \d+ ms \(ready → started; no slot was short\)<\/title>/,
    );
  });

  it('should list every task in the summary table', () => {
    const rows = [...html.matchAll(/<tr data-task="([^"]+)" class="(\w+)">/g)].map((m) => [m[1], m[2]]);
    expect(rows).toHaveLength(8);
    expect(new Set(rows.map(([, outcome]) => outcome))).toEqual(new Set(['completed']));
    expect(html).toMatch(
      /<tr data-task="fetch-rates" class="completed"><td>[^<]*fetch-rates<\/td><td><span class="badge completed">completed<\/span><\/td><td>2<\/td>/,
    );
  });

  it('should build the same report from the events log and the DAG file with rxdag report --dag', async () => {
    const out = tmp.file('from-log.html');
    const result = await runCli(['report', events, '-o', out, '--dag', 'examples/data-pipeline.yaml']);
    expect(result).toMatchObject({ code: 0, stdout: '', stderr: `wrote ${out} (${readEventLog(events).length} events)\n` });
    expect(readFileSync(out, 'utf8')).toBe(html);
  });

  it('should infer the edges from the events log alone, and say so', async () => {
    const out = tmp.file('inferred.html');
    expect((await runCli(['report', events, '-o', out])).code).toBe(0);
    const inferred = readFileSync(out, 'utf8');
    expect(inferred).toContain('dashed edges are inferred from the order of events');
    // one "unblocked by" edge per task that was not a root
    expect((inferred.match(/<path class="edge[^"]* inferred"/g) ?? []).length).toBe(5);
    expect(inferred).toMatch(/Critical path \(\d+ tasks\): .*<code>load<\/code><\/p>/);
  });

  it('should refuse a bad events log with the line of each problem, and a missing -o, with exit 2', async () => {
    const bad = writeText(
      tmp.file('bad.jsonl'),
      `${readFileSync(events, 'utf8').split('\n')[0]}\nnot json\n{"type":"task.nope","runId":"r","seq":3,"at":0}\n`,
    );
    const [invalid, missingOutput] = await Promise.all([runCli(['report', bad, '-o', tmp.file('bad.html')]), runCli(['report', events])]);
    expect(invalid).toMatchObject({ code: 2, stdout: '' });
    expect(invalid.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^rxdag: ${bad}:2:1: not JSON: `)),
      expect.stringMatching(new RegExp(`^rxdag: ${bad}:3:1: not an rxdag event: expected an event type`)),
    ]);
    expect(missingOutput).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("required option '-o, --output <out.html>' not specified"),
    });
  });

  it('should refuse an output that is its own events log or DAG file, with exit 2, changing neither', async () => {
    const log = writeText(tmp.file('own.jsonl'), readFileSync(events, 'utf8'));
    const dag = writeText(tmp.file('own.yaml'), readFileSync('examples/data-pipeline.yaml', 'utf8'));
    const [overLog, overDag] = await Promise.all([
      rxdagInProcess('report', log, '-o', log),
      rxdagInProcess('report', log, '-o', dag, '--dag', dag),
    ]);
    expect(overLog).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `rxdag: --output "${log}" is the events log itself: writing it would overwrite it; give another path\n`,
    });
    expect(overDag).toMatchObject({
      code: 2,
      stderr: `rxdag: --output "${dag}" is the DAG file itself: writing it would overwrite it; give another path\n`,
    });
    expect(readFileSync(log, 'utf8')).toBe(readFileSync(events, 'utf8'));
    expect(readFileSync(dag, 'utf8')).toBe(readFileSync('examples/data-pipeline.yaml', 'utf8'));
  });

  it('should render in headless Chromium when it is installed', async () => {
    // The render check needs a browser; without one the structure checks above still hold.
    const dom = hasChromium() ? await renderedDom(tmp.file('run.html')) : undefined;
    if (dom === undefined) {
      expect(html).toContain("document.documentElement.setAttribute('data-rendered'");
      return;
    }
    expect(dom).toMatch(/<html lang="en" data-rendered="ok" data-bars="9" data-nodes="8">/);
  }, 60_000);
});
