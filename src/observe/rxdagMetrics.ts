/**
 * rxdag's Prometheus metrics in one registry under one prefix, made once and shared by every
 * `collectMetrics` that uses that registry and prefix. Every metric is filled when the registry
 * is scraped, from the tallies of the collectors attached now plus what detached collectors
 * counted, so counters and histograms never go down and gauges drop what a detached collector
 * held. It refuses a registry where another metric already has one of its names; it does not
 * read events (`MetricsTally` does).
 */
import { Counter, Gauge, type Registry, type RegistryContentType } from 'prom-client';
import { addCounts, type Counts, emptyCounts, MetricsTally } from './metricsTally';
import { ATTEMPT_OUTCOMES, RUN_OUTCOMES, TASK_OUTCOMES } from './outcomes';
import { TallyHistogram } from './tallyHistogram';

/** Buckets of both histograms, in seconds: from a millisecond to an hour. */
export const DEFAULT_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

/** The shared metrics of each registry, by prefix. */
const shared = new WeakMap<Registry<RegistryContentType>, Map<string, RxdagMetrics>>();

/** The metrics of `registry` under `prefix`: made and registered on first use, after that the same ones. */
export function rxdagMetrics(registry: Registry<RegistryContentType>, prefix: string, buckets: readonly number[]): RxdagMetrics {
  let byPrefix = shared.get(registry);
  if (byPrefix === undefined) shared.set(registry, (byPrefix = new Map()));
  let metrics = byPrefix.get(prefix);
  if (metrics === undefined) byPrefix.set(prefix, (metrics = new RxdagMetrics(prefix, buckets)));
  metrics.registerIn(registry);
  return metrics;
}

export class RxdagMetrics {
  /** The collectors attached now. */
  private readonly sources = new Set<MetricsTally>();
  /** What detached collectors counted: counters and histograms keep it. */
  private readonly retired: Counts;
  /** Every metric with its name (prom-client's types do not show `name`). */
  private readonly all: ReadonlyArray<{ readonly name: string; readonly metric: Counter<string> | Gauge<string> | TallyHistogram }>;

  constructor(
    prefix: string,
    /** The histograms' bucket bounds, in seconds. */
    private readonly buckets: readonly number[],
  ) {
    this.retired = emptyCounts(buckets);
    const tasks: Counter<'agent' | 'outcome'> = new Counter({
      name: `${prefix}tasks_total`,
      help: 'Tasks that ended, by the agent of their last attempt ("" when they never started) and outcome',
      labelNames: ['agent', 'outcome'],
      registers: [],
      collect: () => {
        tasks.reset();
        for (const [agent, counts] of this.totals().agents)
          for (const outcome of TASK_OUTCOMES) if (counts.tasks[outcome] > 0) tasks.inc({ agent, outcome }, counts.tasks[outcome]);
      },
    });
    const attempts: Counter<'agent' | 'outcome'> = new Counter({
      name: `${prefix}attempts_total`,
      help: 'Attempts that ended, by agent and outcome',
      labelNames: ['agent', 'outcome'],
      registers: [],
      collect: () => {
        attempts.reset();
        for (const [agent, counts] of this.totals().agents)
          for (const outcome of ATTEMPT_OUTCOMES)
            if (counts.attempts[outcome] > 0) attempts.inc({ agent, outcome }, counts.attempts[outcome]);
      },
    });
    const runs: Counter<'outcome'> = new Counter({
      name: `${prefix}runs_total`,
      help: 'Runs that ended, by outcome',
      labelNames: ['outcome'],
      registers: [],
      collect: () => {
        runs.reset();
        const { runs: byOutcome } = this.totals();
        for (const outcome of RUN_OUTCOMES) runs.inc({ outcome }, byOutcome[outcome]);
      },
    });
    const running: Gauge = new Gauge({
      name: `${prefix}running_tasks`,
      help: 'Attempts running now, over all runs',
      registers: [],
      collect: () => running.set(this.sum((source) => source.running())),
    });
    const ready: Gauge = new Gauge({
      name: `${prefix}ready_tasks`,
      help: 'Tasks ready and waiting for a slot now, over all runs',
      registers: [],
      collect: () => ready.set(this.sum((source) => source.ready())),
    });
    const attemptDuration = new TallyHistogram(
      `${prefix}attempt_duration_seconds`,
      'How long attempts ran, from task.started to their end, by agent',
      () => new Map([...this.totals().agents].map(([agent, counts]) => [agent, counts.duration])),
    );
    const queueWait = new TallyHistogram(
      `${prefix}queue_wait_seconds`,
      'How long tasks waited from ready (or retrying) to started, by agent',
      () => new Map([...this.totals().agents].map(([agent, counts]) => [agent, counts.queueWait])),
    );
    this.all = Object.entries({
      tasks_total: tasks,
      attempts_total: attempts,
      attempt_duration_seconds: attemptDuration,
      queue_wait_seconds: queueWait,
      running_tasks: running,
      ready_tasks: ready,
      runs_total: runs,
    }).map(([name, metric]) => ({ name: `${prefix}${name}`, metric }));
  }

  /** Registers the metrics in `registry` unless they are there; throws a TypeError when another metric has one of their names. */
  registerIn(registry: Registry<RegistryContentType>): void {
    const taken = this.all.filter(({ name, metric }) => {
      const found = registry.getSingleMetric(name);
      return found !== undefined && found !== metric;
    });
    if (taken.length > 0) {
      const names = taken.map(({ name }) => `"${name}"`).join(', ');
      throw new TypeError(
        `${names} ${taken.length === 1 ? 'is' : 'are'} already registered in this registry by something other than rxdag's collectMetrics: give it another \`registry\` or a \`prefix\``,
      );
    }
    for (const { name, metric } of this.all) {
      if (registry.getSingleMetric(name) !== undefined) continue;
      if (metric instanceof TallyHistogram) metric.registerIn(registry);
      else registry.registerMetric(metric);
    }
  }

  /** A new tally, counted in these metrics until {@link detach}ed. */
  attach(): MetricsTally {
    const source = new MetricsTally(this.buckets);
    this.sources.add(source);
    return source;
  }

  /** Keeps what `source` counted in the counters and histograms, and drops what it holds open from the gauges. */
  detach(source: MetricsTally): void {
    if (this.sources.delete(source)) addCounts(this.retired, source.counts);
  }

  private totals(): Counts {
    const totals = emptyCounts(this.buckets);
    addCounts(totals, this.retired);
    for (const source of this.sources) addCounts(totals, source.counts);
    return totals;
  }

  private sum(of: (source: MetricsTally) => number): number {
    let total = 0;
    for (const source of this.sources) total += of(source);
    return total;
  }
}
