import type { ThroughputResult } from '../cases';
import { formatMegabytes, formatNumber, formatRatio, ratio } from '../stats';
import type { BenchReport, TargetVerdict } from './types';

/** rxdag's performance targets, judged on the numbers of one run (measured, never asserted by tests). */
export function evaluateTargets(report: Omit<BenchReport, 'targets' | 'history'>): TargetVerdict[] {
  const throughput = (executor: string, shape: string, size: number): ThroughputResult | undefined =>
    report.throughput.find((r) => r.executor === executor && r.shape === shape && r.size === size);
  const latencyP50 = (executor: string) => report.latency.find((r) => r.executor === executor)?.latencyUs.p50;
  const idleCpu = (executor: string) => report.idleCpu.find((r) => r.executor === executor);

  const verdicts: TargetVerdict[] = [];
  const judge = (id: string, target: string, measured: string | undefined, met: boolean | undefined) =>
    verdicts.push({ id, target, measured: measured ?? 'not in this run', status: met === undefined ? 'not measured' : met ? 'met' : 'missed' });

  const layered1M = throughput('rxdag-event', 'layered', 1_000_000);
  judge(
    'layered-1M-time',
    'layered random 1M: ≤ 3 µs per task',
    layered1M && `${formatNumber(layered1M.usPerTask)} µs/task`,
    layered1M && layered1M.usPerTask <= 3,
  );
  judge(
    'layered-1M-rss',
    'layered random 1M: peak RSS ≤ 400 MB',
    layered1M?.peakRssBytes != null
      ? `${formatMegabytes(layered1M.peakRssBytes)} MB (runtime and modules ${formatMegabytes(layered1M.baselineRssBytes)} MB; ${formatMegabytes(layered1M.afterBuildPeakRssBytes)} MB already after spec + defineDag, before any run)`
      : undefined,
    layered1M?.peakRssBytes != null ? layered1M.peakRssBytes <= 400e6 : undefined,
  );

  const rx100k = throughput('rxdag-event', 'layered', 100_000);
  const pg100k = throughput('p-graph', 'layered', 100_000);
  const vsPGraph = ratio(rx100k?.tasksPerSecond, pg100k?.tasksPerSecond);
  judge(
    'layered-100k-vs-p-graph',
    'layered random 100k: throughput ≥ 10× p-graph',
    vsPGraph === undefined ? undefined : `${formatRatio(vsPGraph)} (${formatNumber(rx100k?.tasksPerSecond)} vs ${formatNumber(pg100k?.tasksPerSecond)} tasks/s)`,
    vsPGraph === undefined ? undefined : vsPGraph >= 10,
  );

  const rx10k = throughput('rxdag-event', 'layered', 10_000);
  const scaling = ratio(layered1M?.usPerTask, rx10k?.usPerTask);
  // the same ratio for the promise floor: what the memory hierarchy alone does to this graph
  const floorScaling = ratio(throughput('kahn-async', 'layered', 1_000_000)?.usPerTask, throughput('kahn-async', 'layered', 10_000)?.usPerTask);
  judge(
    'scaling-1M-vs-10k',
    'µs per task at 1M ≤ 1.5× at 10k (layered)',
    scaling === undefined
      ? undefined
      : `${formatRatio(scaling)} (${formatNumber(layered1M?.usPerTask)} vs ${formatNumber(rx10k?.usPerTask)} µs/task)` +
          (floorScaling === undefined ? '' : `; the Kahn floor (promise) on the same graphs: ${formatRatio(floorScaling)}`),
    scaling === undefined ? undefined : scaling <= 1.5,
  );

  const eventP50 = latencyP50('rxdag-event');
  const pGraphP50 = latencyP50('p-graph');
  judge(
    'latency-vs-p-graph',
    'dependent-dispatch latency p50 ≤ p-graph’s',
    eventP50 === undefined || pGraphP50 === undefined ? undefined : `${formatNumber(eventP50)} µs vs ${formatNumber(pGraphP50)} µs (${formatRatio(ratio(eventP50, pGraphP50))})`,
    eventP50 === undefined || pGraphP50 === undefined ? undefined : eventP50 <= pGraphP50,
  );
  const polling10P50 = latencyP50('rxdag-polling-10');
  const vsPolling = ratio(polling10P50, eventP50);
  judge(
    'latency-vs-polling-10',
    'event-driven latency ≥ 100× lower than polling at 10 ms',
    vsPolling === undefined ? undefined : `${formatRatio(vsPolling)} lower (${formatNumber(eventP50)} µs vs ${formatNumber(polling10P50)} µs p50)`,
    vsPolling === undefined ? undefined : vsPolling >= 100,
  );

  // "While one task waits": the CPU the wait adds, i.e. the run with the wait minus the very same
  // run without it (both measured in the same child, medians). The whole run's CPU also holds
  // its set-up and teardown, paid once per run whatever the wait (about 1 ms for rxdag right
  // after a forced GC and 100 ms of quiet, against ~0.1 ms for a bare await): reported beside it.
  const eventCpu = idleCpu('rxdag-event');
  const bareCpu = idleCpu('bare-await');
  const waiting = (r: typeof eventCpu) => (r === undefined ? undefined : Math.max(r.cpuMs - r.zeroWaitCpuMs, 0));
  const waitRatio = ratio(waiting(eventCpu), waiting(bareCpu));
  const wholeRatio = ratio(eventCpu?.cpuMs, bareCpu?.cpuMs);
  judge(
    'idle-cpu',
    `CPU while one task waits${bareCpu ? ` ${bareCpu.waitMs / 1000} s` : ''} ≤ 3× a bare await`,
    waitRatio === undefined
      ? undefined
      : `${formatRatio(waitRatio)} (the wait adds ${formatNumber(waiting(eventCpu))} ms vs ${formatNumber(waiting(bareCpu))} ms); ` +
          `whole run with its set-up: ${formatRatio(wholeRatio)} (${formatNumber(eventCpu?.cpuMs)} ms vs ${formatNumber(bareCpu?.cpuMs)} ms)`,
    waitRatio === undefined ? undefined : waitRatio <= 3,
  );
  return verdicts;
}
