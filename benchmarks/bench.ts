import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BennyResult, CaseResult, CaseSpec, IdleCpuResult, LatencyResult, ResultOf, ThroughputResult, TotalsResult } from './cases';
import { type CaseRunner, childRunner, inProcessRunner } from './child';
import { executorLabel } from './executors';
import { rxdagLibKind } from './executors/rxdagLib';
import { invocation, machineInfo, sourceInfo } from './machine';
import type { BenchProfile } from './profiles';
import { renderMarkdown } from './report/markdown';
import { appendHistory, historyEntry } from './report/history';
import { evaluateTargets } from './report/targets';
import type { BenchReport, CaseFailure } from './report/types';
import { formatNumber } from './stats';
import { bennyCase, idleCpuCases, latencyCases, throughputCases, totalsCases } from './suites/plan';
import { graphName } from './cases/measure';

/** The suites `--only` can pick. */
export type SuiteName = 'modes' | 'executors' | 'benny';
export const SUITE_NAMES: readonly SuiteName[] = ['modes', 'executors', 'benny'];

export interface BenchOptions {
  readonly profile: BenchProfile;
  /** Folder of the JSON results (benny's files included). */
  readonly outDir: string;
  readonly markdownPath: string;
  readonly suites: ReadonlySet<SuiteName>;
  /** Append this run's headline numbers to `outDir/history.json` (complete full runs). */
  readonly recordHistory: boolean;
  /** Hide the children's own output (benny's progress). */
  readonly quiet: boolean;
  readonly log: (line: string) => void;
}

/**
 * Runs the chosen suites of a profile and writes `modes.json`, `executors.json`, benny's JSON
 * and `summary.json` to `outDir`, then the Markdown report (keeping the marked blocks of the file
 * it replaces). A case that fails is recorded in the report and the run goes on.
 */
export async function runBenchmarks(options: BenchOptions): Promise<BenchReport> {
  const { profile, outDir, log } = options;
  mkdirSync(outDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const meta = { profile: profile.name, ...invocation(), startedAt, machine, source: sourceInfo(path.resolve(__dirname, '..')), rxdagLib: rxdagLibKind() };
  const runner: CaseRunner = profile.isolate ? childRunner({ quiet: options.quiet }) : inProcessRunner;
  // CPU time is per process, so these get their own children; a profile that isolates nothing
  // (tiny: results well-formed, not meaningful) runs them here too, as it runs every other case
  const cpuRunner = profile.isolate ? childRunner({ quiet: true }) : inProcessRunner;
  const failures: CaseFailure[] = [];
  let done = 0;

  const attempt = async <C extends CaseSpec>(spec: C, run: CaseRunner = runner): Promise<ResultOf<C> | undefined> => {
    const started = performance.now();
    try {
      const result = (await run(spec)) as ResultOf<C>;
      log(`[${++done}] ${describeCase(spec)}: ${summarize(result)}  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
      return result;
    } catch (error) {
      failures.push({ spec, error: error instanceof Error ? error.message : String(error) });
      log(`[${++done}] ${describeCase(spec)}: FAILED ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      return undefined;
    }
  };
  const inSequence = async <C extends CaseSpec>(specs: readonly C[], run?: CaseRunner) => {
    const results: ResultOf<C>[] = [];
    for (const spec of specs) {
      const result = await attempt(spec, run);
      if (result !== undefined) results.push(result);
    }
    return results;
  };
  // For cases that mostly sleep (polled chains, idle waits): side by side they barely compete.
  const sideBySide = async <C extends CaseSpec>(specs: readonly C[], run?: CaseRunner) => {
    const settled: (ResultOf<C> | undefined)[] = await Promise.all(specs.map((spec) => attempt(spec, run)));
    const results: ResultOf<C>[] = [];
    for (const result of settled) if (result !== undefined) results.push(result);
    return results;
  };

  let latency: LatencyResult[] = [];
  let totals: TotalsResult[] = [];
  let idleCpu: IdleCpuResult[] = [];
  let throughput: ThroughputResult[] = [];
  let benny: BennyResult | undefined;
  const write = (file: string, data: object) => writeFileSync(path.join(outDir, file), `${JSON.stringify({ ...meta, ...data }, null, 2)}\n`);

  if (options.suites.has('modes')) {
    log('— suite 1: event-driven vs polling —');
    const latencyPlan = latencyCases(profile);
    latency = [...(await inSequence(latencyPlan.direct)), ...(await sideBySide(latencyPlan.polling))];
    totals = await inSequence(totalsCases(profile));
    idleCpu = await sideBySide(idleCpuCases(profile), cpuRunner);
    write('modes.json', { latency, totals, idleCpu });
  }
  if (options.suites.has('executors')) {
    log('— suites 2 and 3: rxdag vs the Kahn floor vs p-graph, scaling —');
    throughput = await inSequence(throughputCases(profile));
    write('executors.json', { throughput });
  }
  if (options.suites.has('benny')) {
    log('— benny: small DAGs, whole runs per second —');
    benny = await attempt(bennyCase(profile, outDir));
  }

  const partial: Omit<BenchReport, 'targets' | 'history'> = {
    ...meta,
    finishedAt: new Date().toISOString(),
    loadAverageAtEnd: os.loadavg(),
    isolated: profile.isolate,
    throughput,
    latency,
    totals,
    idleCpu,
    benny,
    failures,
  };
  const targets = evaluateTargets(partial);
  // Only complete full runs are comparable from one to the next.
  const history = options.recordHistory ? appendHistory(path.join(outDir, 'history.json'), historyEntry({ ...partial, targets })) : [];
  const report: BenchReport = { ...partial, targets, history };
  write('summary.json', { finishedAt: report.finishedAt, loadAverageAtEnd: report.loadAverageAtEnd, targets: report.targets, failures });
  mkdirSync(path.dirname(options.markdownPath), { recursive: true });
  // the blocks other commands wrote into the file (or that were written by hand) are kept
  const previous = existsSync(options.markdownPath) ? readFileSync(options.markdownPath, 'utf8') : undefined;
  writeFileSync(options.markdownPath, renderMarkdown(report, previous));
  return report;
}

function describeCase(spec: CaseSpec): string {
  switch (spec.kind) {
    case 'throughput':
      return `${graphName(spec.shape, spec.size)} · ${executorLabel(spec.executor)}`;
    case 'latency':
      return `latency chain ${spec.chainLength} · ${executorLabel(spec.executor)}`;
    case 'totals':
      return `totals · ${executorLabel(spec.executor)}`;
    case 'idle-cpu':
      return `idle CPU ${spec.waitMs} ms · ${spec.executor.kind === 'bare-await' ? 'bare await' : executorLabel(spec.executor)}`;
    case 'benny':
      return `benny ${spec.graphs.map((g) => graphName(g.shape, g.size)).join(', ')}`;
  }
}

function summarize(result: CaseResult): string {
  switch (result.kind) {
    case 'throughput':
      return `${formatNumber(result.usPerTask)} µs/task, build ${formatNumber(result.buildMs)} ms, peak RSS ${result.peakRssBytes === null ? '–' : formatNumber(result.peakRssBytes / 1e6)} MB`;
    case 'latency':
      return `p50 ${formatNumber(result.latencyUs.p50)} µs, p99 ${formatNumber(result.latencyUs.p99)} µs`;
    case 'totals':
      return result.graphs.map((g) => `${g.name} ${formatNumber(g.medianMs)} ms`).join(', ');
    case 'idle-cpu':
      return `${formatNumber(result.cpuMs)} ms CPU over ${formatNumber(result.wallMs)} ms`;
    case 'benny':
      return result.suites.map((s) => `${s.name}: ${s.cases.map((c) => `${c.name} ${formatNumber(c.opsPerSecond)}/s`).join(', ')}`).join('; ');
  }
}
