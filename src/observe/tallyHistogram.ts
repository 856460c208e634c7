/**
 * A Prometheus histogram counted in plain arrays and read by a prom-client Registry when it is
 * scraped. prom-client's own `Histogram` hashes the label values on every observation, which
 * cost more than a short task's whole run; here an observation is a few comparisons and two
 * additions. {@link Buckets} holds one series (one agent, in one label set); {@link TallyHistogram} is the metric
 * a registry serves, summing the buckets it is given when read. It keeps no observations of its
 * own, and offers none of prom-client's histogram methods (`observe`, `startTimer`, exemplars).
 */
import type { Histogram, Registry, RegistryContentType } from 'prom-client';

/** Observations of one series: count per bucket (not cumulative; the last is `+Inf`), sum and count. */
export class Buckets {
  readonly perBucket: Float64Array;
  sum = 0;
  count = 0;

  /** `bounds`: the buckets' upper bounds, increasing. */
  constructor(readonly bounds: readonly number[]) {
    this.perBucket = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const { bounds } = this;
    let bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]) bucket++;
    this.perBucket[bucket]++;
    this.sum += value;
    this.count++;
  }

  /** Adds `other` (same bounds) into these buckets. */
  add(other: Buckets): void {
    for (let bucket = 0; bucket < this.perBucket.length; bucket++) this.perBucket[bucket] += other.perBucket[bucket];
    this.sum += other.sum;
    this.count += other.count;
  }
}

/** One series of a histogram: its labels (`le` aside) and its observations. */
export interface HistogramSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly buckets: Buckets;
}

/** One line of a histogram as a prom-client Registry reads it. */
interface HistogramValue {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
  readonly metricName: string;
}

/** What a registry reads from the metric: the shape of prom-client's `metric.get()`. */
interface HistogramReading {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly aggregator: 'sum';
  readonly values: HistogramValue[];
}

export class TallyHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    /** The series now: read at every scrape. */
    private readonly read: () => Iterable<HistogramSeries>,
  ) {}

  /** The metric as prom-client's Registry reads it (`registry.metrics()`, `getMetricsAsJSON()`). */
  get(): Promise<HistogramReading> {
    const values: HistogramValue[] = [];
    for (const { labels, buckets } of this.read()) {
      if (buckets.count === 0) continue; // e.g. the tasks that never started: no attempt to time
      let cumulative = 0;
      buckets.bounds.forEach((bound, bucket) => {
        cumulative += buckets.perBucket[bucket];
        values.push({ labels: { le: bound, ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...labels }, value: buckets.count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: buckets.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: buckets.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  /** `registry.resetMetrics()` calls it; the counts live with the collectors, which never go back. */
  reset(): void {}

  /**
   * Registers the histogram in `registry`. The registry reads a metric only through `get()` (and
   * `name`, `type`, `aggregator`, `reset()`), so it serves this one like its own; its types list
   * only prom-client's classes, hence the cast.
   */
  registerIn(registry: Registry<RegistryContentType>): void {
    registry.registerMetric(this as unknown as Histogram<string>);
  }
}
