import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { IdleCpuResult, LatencyResult, ThroughputResult } from '../cases';
import { formatMegabytes, formatNumber, formatRatio, ratio } from '../stats';
import { markdownTable } from './table';
import type { TargetVerdict } from './types';

/**
 * The headline numbers of every full run, oldest first, so RESULTS.md shows the core's
 * before/after as it changes (`results/history.json`, appended by each full `npm run bench`).
 */
export interface HistoryEntry {
  readonly date: string;
  readonly commit: string | undefined;
  readonly srcDirty: boolean | undefined;
  readonly layered100kUsPerTask: number | undefined;
  readonly layered1MUsPerTask: number | undefined;
  readonly layered1MPeakRssBytes: number | undefined;
  /** rxdag's layered 100k throughput over p-graph's. */
  readonly layered100kVsPGraph: number | undefined;
  /** µs/task at 1M over 10k, layered. */
  readonly scaling1MVs10k: number | undefined;
  readonly latencyP50Us: number | undefined;
  readonly pGraphLatencyP50Us: number | undefined;
  /** CPU while waiting over a bare await. */
  readonly idleCpuRatio: number | undefined;
  readonly targetsMet: number;
  readonly targetsMeasured: number;
}

/** What an entry is made from: the results of one run. */
export interface HistorySource {
  readonly startedAt: string;
  readonly source: { readonly commit: string | undefined; readonly srcDirty: boolean | undefined };
  readonly throughput: readonly ThroughputResult[];
  readonly latency: readonly LatencyResult[];
  readonly idleCpu: readonly IdleCpuResult[];
  readonly targets: readonly TargetVerdict[];
}

export function historyEntry(run: HistorySource): HistoryEntry {
  const find = (executor: string, size: number) => run.throughput.find((r) => r.executor === executor && r.shape === 'layered' && r.size === size);
  const p50 = (executor: string) => run.latency.find((r) => r.executor === executor)?.latencyUs.p50;
  const cpu = (executor: string) => run.idleCpu.find((r) => r.executor === executor)?.cpuMs;
  return {
    date: run.startedAt,
    commit: run.source.commit,
    srcDirty: run.source.srcDirty,
    layered100kUsPerTask: find('rxdag-event', 100_000)?.usPerTask,
    layered1MUsPerTask: find('rxdag-event', 1_000_000)?.usPerTask,
    layered1MPeakRssBytes: find('rxdag-event', 1_000_000)?.peakRssBytes ?? undefined,
    layered100kVsPGraph: ratio(find('rxdag-event', 100_000)?.tasksPerSecond, find('p-graph', 100_000)?.tasksPerSecond),
    scaling1MVs10k: ratio(find('rxdag-event', 1_000_000)?.usPerTask, find('rxdag-event', 10_000)?.usPerTask),
    latencyP50Us: p50('rxdag-event'),
    pGraphLatencyP50Us: p50('p-graph'),
    idleCpuRatio: ratio(cpu('rxdag-event'), cpu('bare-await')),
    targetsMet: run.targets.filter((t) => t.status === 'met').length,
    targetsMeasured: run.targets.filter((t) => t.status !== 'not measured').length,
  };
}

export function readHistory(file: string): HistoryEntry[] {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { entries: HistoryEntry[] }).entries : [];
}

/** Appends `entry` to the history file and returns every entry. */
export function appendHistory(file: string, entry: HistoryEntry): HistoryEntry[] {
  const entries = [...readHistory(file), entry];
  writeFileSync(file, `${JSON.stringify({ entries }, null, 2)}\n`);
  return entries;
}

export function historyTable(entries: readonly HistoryEntry[]): string {
  return markdownTable(
    ['date', 'commit', 'layered 100k µs/task', 'layered 1M µs/task', '1M peak RSS MB', '100k × p-graph', '1M ÷ 10k', 'latency p50 µs (p-graph)', 'idle CPU ÷ bare (whole run)', 'targets met'],
    entries.map((e) => [
      e.date.slice(0, 16).replace('T', ' '),
      `${e.commit ?? '?'}${e.srcDirty ? '+' : ''}`,
      formatNumber(e.layered100kUsPerTask),
      formatNumber(e.layered1MUsPerTask),
      formatMegabytes(e.layered1MPeakRssBytes),
      formatRatio(e.layered100kVsPGraph),
      formatRatio(e.scaling1MVs10k),
      `${formatNumber(e.latencyP50Us)} (${formatNumber(e.pGraphLatencyP50Us)})`,
      formatRatio(e.idleCpuRatio),
      `${e.targetsMet} / ${e.targetsMeasured}`,
    ]),
  );
}
