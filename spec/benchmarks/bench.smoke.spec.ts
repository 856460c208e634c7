import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { graphName } from '../../benchmarks/cases/measure';
import { PROFILES } from '../../benchmarks/profiles';

/**
 * Smoke test of `npm run bench`: its tiny mode (`tsx benchmarks/run.ts --tiny`, seconds: every
 * suite at small sizes, in one process), end to end (benny, JSON, Markdown) into a temporary
 * folder (over a RESULTS.md holding a hand-written block, which must be kept); the quick and full
 * modes only add sizes, repeats and child processes. Only that
 * results are produced and well-formed: no timing is asserted, numbers taken beside the rest of
 * the jest suite mean nothing.
 */

const ROOT = path.resolve(__dirname, '../..');
const TINY = PROFILES.tiny;
const RUNNER = path.join(ROOT, 'benchmarks/run.ts');
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;

type Json = Record<string, unknown>;

/** A block of the RESULTS.md the run replaces that it does not write itself (as `bench:cli`'s, `observe`'s). */
const KEPT_BLOCK = '<!-- remote:begin -->\n## Remote agents, written by hand\n\nkept as it is\n<!-- remote:end -->';

function readJson(file: string): Json {
  return JSON.parse(readFileSync(file, 'utf8')) as Json;
}

function list(value: unknown): Json[] {
  expect(Array.isArray(value)).toBe(true);
  return value as Json[];
}

function expectPositiveNumber(value: unknown): void {
  expect(typeof value).toBe('number');
  expect(Number.isFinite(value as number) && (value as number) >= 0).toBe(true);
}

describe('npm run bench (tiny mode, once)', () => {
  let out: string;
  let stderr: string;

  beforeAll(async () => {
    out = mkdtempSync(path.join(tmpdir(), 'rxdag-bench-'));
    writeFileSync(path.join(out, 'RESULTS.md'), `# rxdag benchmark results\n\nan older run\n\n## How this was measured\n\n- before\n\n${KEPT_BLOCK}\n`);
    ({ stderr } = await promisify(execFile)(process.execPath, ['--import', TSX_LOADER, RUNNER, '--tiny', '--quiet', '--out', out], {
      cwd: ROOT,
      timeout: 100_000,
      env: { ...process.env, npm_lifecycle_event: undefined, npm_lifecycle_script: undefined },
    }));
  }, 110_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('should write every results file', () => {
    for (const file of ['modes.json', 'executors.json', 'summary.json', 'benny-sequential-3.json', 'RESULTS.md']) {
      expect(existsSync(path.join(out, file))).toBe(true);
    }
    expect(stderr).toContain('Targets:');
  });

  it('should report the machine, the command and the date in every JSON file', () => {
    for (const file of ['modes.json', 'executors.json', 'summary.json']) {
      const json = readJson(path.join(out, file));
      expect(json.profile).toBe('tiny');
      expect(json.command).toContain('benchmarks/run.ts --tiny');
      expect(Number.isNaN(Date.parse(json.startedAt as string))).toBe(false);
      const machine = json.machine as Json;
      expect(machine.cpuCount).toBeGreaterThan(0);
      expect(machine.node).toBe(process.version);
    }
  });

  it('should compare event-driven and polling modes', () => {
    const modes = readJson(path.join(out, 'modes.json'));
    const latency = list(modes.latency);
    expect(latency.map((r) => r.executor)).toEqual(['rxdag-event', 'p-graph', 'kahn-async', 'rxdag-polling-1', 'rxdag-polling-10', 'rxdag-polling-50']);
    for (const result of latency) {
      const polled = String(result.executor).startsWith('rxdag-polling');
      expect(result.chainLength).toBe(polled ? TINY.latency.pollingChainLength : TINY.latency.chainLength);
      const us = result.latencyUs as Json;
      expect(us.count).toBeGreaterThanOrEqual((result.chainLength as number) - 1);
      for (const key of ['p50', 'p90', 'p99']) expectPositiveNumber(us[key]);
    }
    const totals = list(modes.totals);
    expect(totals).toHaveLength(6);
    for (const result of totals) {
      expect(list(result.graphs).map((g) => g.name)).toEqual(TINY.totals.graphs.map((g) => graphName(g.shape, g.size)));
    }
    const idleCpu = list(modes.idleCpu);
    expect(idleCpu.map((r) => r.executor).sort()).toEqual(
      ['bare-await', 'kahn-async', 'p-graph', 'rxdag-event', 'rxdag-polling-1', 'rxdag-polling-10', 'rxdag-polling-50'].sort(),
    );
    for (const result of idleCpu) {
      expectPositiveNumber(result.cpuMs);
      // a peak of its own only in a child of its own: tiny runs every case in the runner
      if (TINY.isolate) expectPositiveNumber(result.peakRssBytes);
      else expect(result.peakRssBytes).toBeNull();
    }
  });

  it('should run rxdag, the Kahn floor and p-graph on every shape', () => {
    const throughput = list(readJson(path.join(out, 'executors.json')).throughput);
    const cases = throughput.map((r) => `${r.size}/${r.shape}/${r.executor}`).sort();
    const expected = TINY.executors.sizes.flatMap((size) =>
      TINY.executors.shapes.flatMap((shape) => ['rxdag-event', 'kahn-sync', 'kahn-async', 'p-graph'].map((e) => `${size}/${shape}/${e}`)),
    );
    expect(cases).toEqual(expected.sort());
    for (const result of throughput) {
      expect(list(result.runMs)).toHaveLength(TINY.executors.runs(result.size as number));
      for (const key of ['buildMs', 'medianRunMs', 'usPerTask', 'tasksPerSecond']) expectPositiveNumber(result[key]);
      // tiny mode runs every case in the runner's own process: no peak RSS per case (quick and full have one)
      expect(result.peakRssBytes).toBeNull();
    }
  });

  it('should judge every target and save benny results', () => {
    const summary = readJson(path.join(out, 'summary.json'));
    expect(list(summary.failures)).toEqual([]);
    const targets = list(summary.targets);
    expect(targets).toHaveLength(7);
    for (const target of targets) expect(['met', 'missed', 'not measured']).toContain(target.status);
    for (const graph of TINY.benny.graphs) {
      const benny = readJson(path.join(out, `benny-${graph.shape}-${graph.size}.json`));
      expect(list(benny.results).map((r) => r.name)).toEqual(['rxdag event', 'Kahn floor (promise)', 'p-graph 2.0']);
    }
  });

  it('should render the Markdown report with its command and tables', () => {
    const markdown = readFileSync(path.join(out, 'RESULTS.md'), 'utf8');
    expect(markdown).toContain('benchmarks/run.ts --tiny');
    for (const heading of ['## Targets', '## 1. Event-driven vs polling', '## 2. rxdag vs the Kahn floor vs p-graph', '## 3. Scaling', '## How this was measured']) {
      expect(markdown).toContain(heading);
    }
    expect(markdown).toMatch(/^\| executor \| chain \| samples \| p50 µs/m);
  });

  it('should keep the blocks of the file it replaced that it does not write, in their place', () => {
    const markdown = readFileSync(path.join(out, 'RESULTS.md'), 'utf8');
    expect(markdown).not.toContain('an older run');
    expect(markdown.split(KEPT_BLOCK)).toHaveLength(2);
    expect(markdown.indexOf(KEPT_BLOCK)).toBeGreaterThan(markdown.indexOf('## How this was measured'));
  });
});
