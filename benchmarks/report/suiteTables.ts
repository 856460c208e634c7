import type { BennyResult, IdleCpuResult, LatencyResult, ThroughputResult, TotalsResult } from '../cases';
import { formatMegabytes, formatNumber, formatRatio, formatSize, ratio } from '../stats';
import { markdownTable } from './table';

/** The tables of RESULTS.md, one function per comparison. */

const EVENT = 'rxdag-event';

export function latencyTable(results: readonly LatencyResult[]): string {
  const event = results.find((r) => r.executor === EVENT)?.latencyUs.p50;
  return markdownTable(
    ['executor', 'chain', 'samples', 'p50 µs', 'p90 µs', 'p99 µs', 'max µs', 'p50 ÷ rxdag event'],
    results.map((r) => [
      r.label,
      String(r.chainLength),
      String(r.latencyUs.count),
      formatNumber(r.latencyUs.p50),
      formatNumber(r.latencyUs.p90),
      formatNumber(r.latencyUs.p99),
      formatNumber(r.latencyUs.max),
      formatRatio(ratio(r.latencyUs.p50, event)),
    ]),
  );
}

export function totalsTable(results: readonly TotalsResult[]): string {
  const names = results[0]?.graphs.map((g) => g.name) ?? [];
  const event = results.find((r) => r.executor === EVENT);
  const rows = results.map((r) => [
    r.label,
    ...names.flatMap((name) => {
      const ms = r.graphs.find((g) => g.name === name)?.medianMs;
      return [formatNumber(ms), formatRatio(ratio(ms, event?.graphs.find((g) => g.name === name)?.medianMs))];
    }),
    String(r.graphs[0]?.runMs.length ?? 0),
  ]);
  return markdownTable(['executor', ...names.flatMap((name) => [`${name} ms`, '÷ event']), 'runs'], rows);
}

export function idleCpuTable(results: readonly IdleCpuResult[]): string {
  const bare = results.find((r) => r.executor === 'bare-await')?.cpuMs;
  return markdownTable(
    ['executor', 'wait ms', 'wall ms', 'CPU user ms', 'CPU system ms', 'CPU total ms (median)', 'every wait, CPU ms', '÷ bare await', 'same run, 0 ms wait: CPU ms', 'total − 0 ms wait'],
    results.map((r) => [
      r.label,
      `${r.waitMs} × ${r.repeats}`,
      formatNumber(r.wallMs),
      formatNumber(r.cpuUserMs),
      formatNumber(r.cpuSystemMs),
      formatNumber(r.cpuMs),
      r.cpuMsSamples.map((ms) => formatNumber(ms)).join(', '),
      formatRatio(ratio(r.cpuMs, bare)),
      formatNumber(r.zeroWaitCpuMs),
      formatNumber(r.cpuMs - r.zeroWaitCpuMs),
    ]),
  );
}

/** One table per shape: each size's executors side by side, with ratios to the async floor and to rxdag. */
export function throughputTables(results: readonly ThroughputResult[]): string {
  const shapes = [...new Set(results.map((r) => r.shape))];
  return shapes
    .map((shape) => {
      const rows = results
        .filter((r) => r.shape === shape)
        .map((r) => {
          const sameCase = (executor: string) => results.find((o) => o.shape === r.shape && o.size === r.size && o.executor === executor);
          return [
            formatSize(r.size),
            r.label,
            formatNumber(r.buildMs),
            `${formatNumber(r.medianRunMs)} (${r.runMs.length})`,
            formatNumber(r.usPerTask),
            formatNumber(r.tasksPerSecond),
            formatRatio(ratio(r.usPerTask, sameCase('kahn-async')?.usPerTask)),
            formatRatio(ratio(r.usPerTask, sameCase(EVENT)?.usPerTask)),
            formatNumber(r.medianRunCpuMs),
            `${formatNumber(r.medianRunGc.minorMs)} / ${formatNumber(r.medianRunGc.majorMs)}`,
            `${formatMegabytes(r.peakRssBytes)} (${formatMegabytes(r.afterBuildPeakRssBytes)})`,
          ];
        });
      const table = markdownTable(
        ['size', 'executor', 'build ms', 'run ms (runs)', 'µs/task', 'tasks/s', 'time ÷ floor (promise)', 'time ÷ rxdag', 'CPU ms', 'GC pause ms minor / major', 'peak RSS MB (after build)'],
        rows,
        new Set([0, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
      );
      return `#### ${shape}\n\n${table}`;
    })
    .join('\n\n');
}

/** µs per task by size for each executor and shape, and the largest size over 10k. */
export function scalingTable(results: readonly ThroughputResult[]): string {
  const sizes = [...new Set(results.map((r) => r.size))].sort((a, b) => a - b);
  const keys = [...new Set(results.map((r) => `${r.executor}\u0000${r.shape}`))];
  const rows = keys.map((key) => {
    const [executor, shape] = key.split('\u0000') as [string, string];
    const ofSize = (size: number) => results.find((r) => r.executor === executor && r.shape === shape && r.size === size);
    const measured = sizes.filter((size) => ofSize(size) !== undefined);
    const largest = measured[measured.length - 1];
    return [
      `${ofSize(measured[0]!)?.label ?? executor} · ${shape}`,
      ...sizes.map((size) => formatNumber(ofSize(size)?.usPerTask)),
      largest === undefined || largest <= 10_000 ? '–' : `${formatRatio(ratio(ofSize(largest)?.usPerTask, ofSize(10_000)?.usPerTask))} (${formatSize(largest)})`,
    ];
  });
  return markdownTable(['executor · shape', ...sizes.map((s) => `${formatSize(s)} µs/task`), 'largest ÷ 10k'], rows);
}

export function bennyTables(result: BennyResult): string {
  return result.suites
    .map((suite) => {
      const fastest = Math.max(...suite.cases.map((c) => c.opsPerSecond));
      const table = markdownTable(
        ['executor', 'runs/s', '± %', 'samples', 'µs/run', 'time ÷ fastest'],
        suite.cases.map((c) => [
          c.name,
          formatNumber(c.opsPerSecond),
          formatNumber(c.marginPercent),
          String(c.samples),
          formatNumber(1e6 / c.opsPerSecond),
          formatRatio(ratio(fastest, c.opsPerSecond)),
        ]),
      );
      return `#### ${suite.name} (benny, \`results/${suite.file}\`)\n\n${table}`;
    })
    .join('\n\n');
}
