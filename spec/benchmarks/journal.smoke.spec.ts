import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { JOURNAL_PROFILES } from '../../benchmarks/journal/profiles';

/**
 * Smoke test of `npm run bench:journal`: its tiny mode, end to end (every sample in the runner,
 * the PostgreSQL case run or skipped with a reason, JSON, the Markdown block) into temporary
 * folders. Only that results are produced and well-formed: no timing is asserted, numbers taken
 * beside the rest of the jest suite mean nothing.
 */

const ROOT = path.resolve(__dirname, '../..');
const TINY = JOURNAL_PROFILES.tiny;
const SCRIPT = path.join(ROOT, 'benchmarks/journal.ts');
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;

type Json = Record<string, unknown>;

function list(value: unknown): Json[] {
  expect(Array.isArray(value)).toBe(true);
  return value as Json[];
}

function expectNonNegative(value: unknown): void {
  expect(typeof value).toBe('number');
  expect(Number.isFinite(value as number) && (value as number) >= 0).toBe(true);
}

function expectDistribution(value: unknown, count: number): void {
  const d = value as Json;
  expect(d.count).toBe(count);
  for (const key of ['p50', 'p90', 'p99', 'mean', 'min', 'max']) expectNonNegative(d[key]);
}

describe('npm run bench:journal (tiny mode, once)', () => {
  let out: string;
  let journals: string;
  let report: Json;
  let markdown: string;
  let stderr: string;

  beforeAll(async () => {
    out = mkdtempSync(path.join(tmpdir(), 'rxdag-bench-journal-out-'));
    journals = mkdtempSync(path.join(tmpdir(), 'rxdag-bench-journal-dirs-'));
    ({ stderr } = await promisify(execFile)(process.execPath, ['--import', TSX_LOADER, SCRIPT, '--tiny', '--out', out, '--dir', journals], {
      cwd: ROOT,
      timeout: 170_000,
      env: { ...process.env, npm_lifecycle_event: undefined, npm_lifecycle_script: undefined, RXDAG_BENCH_LIB: undefined },
    }));
    report = JSON.parse(readFileSync(path.join(out, 'journal.json'), 'utf8')) as Json;
    markdown = readFileSync(path.join(out, 'RESULTS.md'), 'utf8');
  }, 180_000);

  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
    rmSync(journals, { recursive: true, force: true });
  });

  it('should record the run: profile, command, machine, build, no failure', () => {
    expect(report.profile).toBe('tiny');
    expect(report.command).toContain('benchmarks/journal.ts --tiny');
    expect(report.rxdagLib).toBe('src');
    expect(report.runs).toBe(1);
    expect(Number.isNaN(Date.parse(report.startedAt as string))).toBe(false);
    expect((report.machine as Json).node).toBe(process.version);
    expect(list(report.failures)).toEqual([]);
    expect(stderr).toContain('Targets:');
  });

  it('should judge the four targets, never assert them', () => {
    const targets = list(report.targets);
    expect(targets.map((t) => t.id)).toEqual(['fsync-ratio', 'none-ratio', 'postgres-events', 'resume-first-task']);
    for (const target of targets) expect(['met', 'missed', 'not measured']).toContain(target.status);
  });

  it('should time layered runs in memory and with both file journals', () => {
    const layered = report.layered as Json;
    expect(layered.size).toBe(TINY.layered.size);
    expect(layered.command).toContain('--only layered');
    const samples = list(layered.samples);
    expect(samples.map((s) => s.variant).sort()).toEqual(['fsync', 'memory', 'none']);
    for (const sample of samples) {
      expectNonNegative(sample.usPerTask);
      expect(sample.events).toBeGreaterThan(3 * TINY.layered.size);
      if (sample.variant === 'memory') expect(sample.journalBytes).toBe(0);
      else {
        expect(sample.journalBytes).toBeGreaterThan(0);
        expect(sample.groups).toBeGreaterThan(0);
      }
    }
    for (const row of list(layered.summary)) if (row.variant !== 'memory') expectNonNegative(row.ratioToMemory);
  });

  it('should measure the PostgreSQL journal, or say why it did not', () => {
    const postgres = report.postgres as Json;
    if (typeof postgres.skipped === 'string') {
      expect(postgres.skipped.length).toBeGreaterThan(0);
      expect(list(postgres.samples)).toEqual([]);
      expect(list(report.targets).find((t) => t.id === 'postgres-events')?.status).toBe('not measured');
      expect(markdown).toContain('**skipped:**');
      return;
    }
    const [sample] = list(postgres.samples);
    expect(sample!.size).toBe(TINY.postgres.size);
    expect(sample!.events).toBeGreaterThan(3 * TINY.postgres.size);
    expectNonNegative(sample!.eventsPerSecond);
    expectNonNegative((sample!.raw as Json).eventsPerSecond);
  });

  it('should measure chain latency in memory, journaled and of raw fsyncs', () => {
    const latency = report.latency as Json;
    const [sample] = list(latency.samples);
    const hops = TINY.latency.chainLength - 1;
    expectDistribution(sample!.memoryUs, hops);
    expectDistribution(sample!.journalUs, hops);
    expectDistribution(sample!.fsyncUs, TINY.latency.fsyncSamples);
    expect(typeof latency.journalCostP50).toBe('number');
  });

  it('should resume the cut run to its end', () => {
    const resume = report.resume as Json;
    expect((resume.prepared as Json).keptCompleted).toBe(TINY.resume.completedBefore);
    const [sample] = list(resume.samples);
    expectNonNegative(sample!.toFirstStartedMs);
    expect(sample!.toEndMs as number).toBeGreaterThanOrEqual(sample!.toFirstStartedMs as number);
    expect(sample!.eventsAfterResume).toBeGreaterThan(0);
  });

  it('should render the Markdown block and leave no temporary journal behind', () => {
    expect(markdown.startsWith('<!-- journal:begin -->')).toBe(true);
    expect(markdown.trimEnd().endsWith('<!-- journal:end -->')).toBe(true);
    for (const heading of ['### Journal targets', '### Layered 1k', '### Dependent-dispatch latency', '### Resume of layered 1k'])
      expect(markdown).toContain(heading);
    expect(markdown).toContain('npm run bench:journal -- --tiny --dir');
    expect(readdirSync(journals)).toEqual([]);
  });
});
