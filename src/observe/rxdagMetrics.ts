/**
 * rxdag's Prometheus metrics in one registry under one prefix, made once and shared by every
 * `collectMetrics` that uses that registry and prefix (with the same run label names and buckets,
 * which are part of the metrics). Every metric is filled when the registry is scraped, from the tallies of
 * the collectors attached now plus what detached collectors counted, so counters and histograms
 * never go down and gauges drop what a detached collector held. It refuses a registry where
 * another metric already has one of its names; it hands events to the tallies, noting only which ends a run (`MetricsTally` reads them).
 */
import { Counter, Gauge, type Registry, type RegistryContentType } from 'prom-client';
import type { DagEvent } from '../events';
import { addCounts, type AgentCounts, type Counts, emptyCounts, MetricsTally } from './metricsTally';
import { ATTEMPT_OUTCOMES, RUN_OUTCOMES, TASK_OUTCOMES } from './outcomes';
import { labelSetOf, type RunLabels } from './runLabels';
import { type Buckets, type HistogramSeries, TallyHistogram } from './tallyHistogram';

/** Buckets of both histograms, in seconds: from a millisecond to an hour. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600]);

/** The shared metrics of each registry, by prefix. */
const shared = new WeakMap<Registry<RegistryContentType>, Map<string, RxdagMetrics>>();

/**
 * The metrics of `registry` under `prefix`: made and registered on first use, after that the same
 * ones. Throws a TypeError when they were made with other run label names than `labelNames`, or
 * with other buckets than `buckets` when the caller chose them (`bucketsGiven`).
 */
export function rxdagMetrics(
  registry: Registry<RegistryContentType>,
  prefix: string,
  buckets: readonly number[],
  labelNames: readonly string[],
  bucketsGiven = true,
): RxdagMetrics {
  let byPrefix = shared.get(registry);
  if (byPrefix === undefined) shared.set(registry, (byPrefix = new Map()));
  let metrics = byPrefix.get(prefix);
  if (metrics === undefined) byPrefix.set(prefix, (metrics = new RxdagMetrics(prefix, buckets, labelNames)));
  else if (!sameNames(labelNames, metrics.labelNames)) {
    const shown = (names: readonly string[]) => (names.length === 0 ? 'none' : names.join(', '));
    throw new TypeError(
      `the metrics "${prefix}*" of this registry have the run labels ${shown(metrics.labelNames)}, not ${shown(labelNames)}: give every collectMetrics of a registry and prefix the same \`runLabels.names\`, or give this one another \`registry\` or \`prefix\``,
    );
  } else if (bucketsGiven && !sameBuckets(buckets, metrics.buckets)) {
    throw new TypeError(
      `the histograms "${prefix}*" of this registry have the buckets [${metrics.buckets.join(', ')}], not [${buckets.join(', ')}]: give every collectMetrics of a registry and prefix the same \`buckets\` (or none), or give this one another \`registry\` or \`prefix\``,
    );
  }
  metrics.registerIn(registry);
  return metrics;
}

/** Whether `a` and `b` are the same bucket bounds. */
function sameBuckets(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((bound, k) => bound === b[k]);
}

/** Whether `a` and `b` hold the same names, in any order (each holds a name once). */
function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name) => b.includes(name));
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
    readonly buckets: readonly number[],
    /** The run label names, first on every metric. */
    readonly labelNames: readonly string[],
  ) {
    this.retired = emptyCounts(buckets);
    const tasks: Counter<string> = new Counter({
      name: `${prefix}tasks_total`,
      help: 'Tasks that ended, by the agent of their last attempt ("" when they never started) and outcome',
      labelNames: [...labelNames, 'agent', 'outcome'],
      registers: [],
      collect: () => {
        tasks.reset();
        for (const { labels, agents } of this.totals().labelSets.values())
          for (const [agent, counts] of agents)
            for (const outcome of TASK_OUTCOMES)
              if (counts.tasks[outcome] > 0) tasks.inc({ ...labels, agent, outcome }, counts.tasks[outcome]);
      },
    });
    const attempts: Counter<string> = new Counter({
      name: `${prefix}attempts_total`,
      help: 'Attempts that ended, by agent and outcome',
      labelNames: [...labelNames, 'agent', 'outcome'],
      registers: [],
      collect: () => {
        attempts.reset();
        for (const { labels, agents } of this.totals().labelSets.values())
          for (const [agent, counts] of agents)
            for (const outcome of ATTEMPT_OUTCOMES)
              if (counts.attempts[outcome] > 0) attempts.inc({ ...labels, agent, outcome }, counts.attempts[outcome]);
      },
    });
    const runs: Counter<string> = new Counter({
      name: `${prefix}runs_total`,
      help: 'Runs that ended, by outcome',
      labelNames: [...labelNames, 'outcome'],
      registers: [],
      collect: () => {
        runs.reset();
        for (const { labels, runs: byOutcome } of this.totals().labelSets.values())
          for (const outcome of RUN_OUTCOMES) runs.inc({ ...labels, outcome }, byOutcome[outcome]);
      },
    });
    const running: Gauge<string> = new Gauge({
      name: `${prefix}running_tasks`,
      help: 'Attempts running now, over all runs',
      labelNames: [...labelNames],
      registers: [],
      collect: () => this.setOpen(running, 'running'),
    });
    const ready: Gauge<string> = new Gauge({
      name: `${prefix}ready_tasks`,
      help: 'Tasks ready and waiting for a slot now, over all runs',
      labelNames: [...labelNames],
      registers: [],
      collect: () => this.setOpen(ready, 'ready'),
    });
    const attemptDuration = new TallyHistogram(
      `${prefix}attempt_duration_seconds`,
      'How long attempts ran, from task.started to their end, by agent',
      () => this.byAgent((counts) => counts.duration),
    );
    const queueWait = new TallyHistogram(
      `${prefix}queue_wait_seconds`,
      'How long tasks waited from ready (or retrying) to started, by agent',
      () => this.byAgent((counts) => counts.queueWait),
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

  /**
   * A new tally, counted in these metrics until {@link detach}ed, fed through {@link handle}; `of`
   * gives the values of a run's labels (the `runLabels` option), asked in the order of these
   * metrics' {@link labelNames}.
   */
  attach(of?: RunLabels['of'] | undefined): MetricsTally {
    const { labelNames } = this;
    const source = new MetricsTally(
      this.buckets,
      of === undefined || labelNames.length === 0 ? undefined : (runId) => labelSetOf(labelNames, of, runId),
    );
    this.rest(source); // nothing open yet: summed from its first event on
    return source;
  }

  /** Applies `event` to `source`; a source whose runs have all ended rests (see {@link rest}). */
  handle(source: MetricsTally, event: DagEvent): void {
    this.sources.add(source);
    source.handle(event);
    if (event.type === 'dag.completed') this.rest(source);
  }

  /** Keeps what `source` counted in the counters and histograms, and drops what it holds open from the gauges. */
  detach(source: MetricsTally): void {
    if (this.sources.delete(source)) addCounts(this.retired, source.counts);
  }

  /**
   * When `source` has no run open, what it counted is kept as a detached one's, and scrapes pass
   * it by until its next event. Why: a collector per run (`collectMetrics(run.events$)`), never
   * unsubscribed, would otherwise be summed at every scrape for as long as the process lives.
   */
  private rest(source: MetricsTally): void {
    if (!source.idle || !this.sources.delete(source)) return;
    addCounts(this.retired, source.counts);
    source.clearCounts();
  }

  private totals(): Counts {
    const totals = emptyCounts(this.buckets);
    addCounts(totals, this.retired);
    for (const source of this.sources) addCounts(totals, source.counts);
    return totals;
  }

  /** One histogram's series: `of` each agent's counts, in each label set. */
  private byAgent(of: (counts: AgentCounts) => Buckets): HistogramSeries[] {
    const series: HistogramSeries[] = [];
    for (const { labels, agents } of this.totals().labelSets.values())
      for (const [agent, counts] of agents) series.push({ labels: { ...labels, agent }, buckets: of(counts) });
    return series;
  }

  /** Sets `gauge` to the tasks ready or running now in each label set ever counted: 0 for one with none. */
  private setOpen(gauge: Gauge<string>, which: 'ready' | 'running'): void {
    const open = new Map<string, number>();
    for (const source of this.sources) source.addOpen(which, open);
    gauge.reset();
    for (const { key, labels } of this.totals().labelSets.values()) gauge.set(labels, open.get(key) ?? 0);
  }
}
