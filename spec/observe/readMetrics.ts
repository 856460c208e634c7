import type { MetricValue, Registry } from 'prom-client';

/** A metric's values as `{labels…} → value` lines (`name{labels}` for histogram series), sorted. */
export async function valuesOf(registry: Registry, name: string): Promise<string[]> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const { values } = (await metric.get()) as { values: MetricValue<string>[] };
  return values.map((v) => `${(v as { metricName?: string }).metricName ?? name}${JSON.stringify(v.labels)} ${v.value}`).sort();
}

/** The value of a metric's series with exactly `labels` (not a histogram's), or `undefined` when it has none. */
export async function valueOf(registry: Registry, name: string, labels: Record<string, string | number> = {}): Promise<number | undefined> {
  const { values } = (await registry.getSingleMetric(name)!.get()) as { values: MetricValue<string>[] };
  return values.find((v) => (v as { metricName?: string }).metricName === undefined && JSON.stringify(v.labels) === JSON.stringify(labels))
    ?.value;
}
