import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { RemoteReport } from '../../benchmarks/remote';
import { describeRedis } from '../support/redis';

/**
 * Smoke test of `npm run bench:remote`, tiny: one worker process of each kind, two alternating
 * rounds of 100 tasks, a chain of 3, against the real Redis. Only that results are produced, well
 * formed and consistent, and that the benchmark leaves no key of its own and no process behind,
 * and deletes no other key (of a longer prefix, or of another queue of its prefix): no timing
 * is asserted, numbers taken beside the rest of the jest suite mean nothing.
 */

const ROOT = path.resolve(__dirname, '../..');
const SCRIPT = path.join(ROOT, 'benchmarks/remote.ts');
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;

describeRedis('npm run bench:remote (tiny, once)', (env) => {
  let out: string;
  let report: RemoteReport;
  let stdout: string;
  const prefix = `${env.prefix}-bench`;
  // not the benchmark's: `SCAN MATCH ${prefix}*` would delete the first, `${prefix}:*` the second
  const others = [`${prefix}-neighbour:raw:1`, `${prefix}:another-queue:1`];

  beforeAll(async () => {
    out = mkdtempSync(path.join(tmpdir(), 'rxdag-bench-remote-'));
    for (const key of others) await env.client.set(key, 'planted');
    const args = ['--tasks', '100', '--workers', '1', '--rounds', '2', '--chain', '3', '--redis', env.url, '--prefix', prefix, '--lib', 'src'];
    ({ stdout } = await promisify(execFile)(process.execPath, ['--import', TSX_LOADER, SCRIPT, ...args, '--out', path.join(out, 'remote.json')], {
      cwd: ROOT,
      timeout: 100_000,
    }));
    report = JSON.parse(readFileSync(path.join(out, 'remote.json'), 'utf8')) as RemoteReport;
  }, 110_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('should give a row per worker count with one ratio per pair of rounds, and their median', () => {
    expect(report).toMatchObject({ lib: 'src', tasks: 100, rounds: 2 });
    expect(report.throughput).toHaveLength(1);
    const [row] = report.throughput;
    expect(row!.workers).toBe(1);
    expect(row!.rawPerSecond).toHaveLength(2);
    expect(row!.rxdagPerSecond).toHaveLength(2);
    expect(row!.ratios).toEqual(row!.rxdagPerSecond.map((rxdag, i) => expect.closeTo(rxdag / row!.rawPerSecond[i]!, 1)));
    expect(row!.medianRatio).toBeCloseTo((row!.ratios[0]! + row!.ratios[1]!) / 2, 5);
    for (const cpu of [row!.rawCpuMedian, row!.rxdagCpuMedian]) {
      for (const value of [cpu.redis, cpu.producer, cpu.workers]) expect(value).toBeGreaterThanOrEqual(0);
      expect(cpu.total).toBeCloseTo(cpu.redis + cpu.producer + cpu.workers, 5);
    }
    expect(stdout).toContain(`median ${row!.medianRatio}×`);
  });

  it('should time the chain', () => {
    expect(report.latency.chain).toBe(3);
    expect(report.latency.rxdagLinkMs.p50).toBeGreaterThan(0);
    expect(report.latency.rxdagLinkMs.p99).toBeGreaterThanOrEqual(report.latency.rxdagLinkMs.p50);
  });

  it('should leave no key of its own in Redis, delete no other, and leave no worker process', async () => {
    expect((await env.keys()).sort()).toEqual([...others].sort());
    const { stdout: processes } = await promisify(execFile)('ps', ['-eo', 'args']);
    expect(processes.split('\n').filter((line) => line.includes(prefix))).toEqual([]);
  });
});
