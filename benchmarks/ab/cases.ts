import type { CaseResult, CaseSpec } from '../cases';
import type { DagShape } from '../dagGenerator';
import { FULL } from '../profiles';
import { latencyCases, throughputCases } from '../suites/plan';

/**
 * The cases an A/B run can compare. Each is taken from the full suite's own plan (`suites/plan.ts`
 * with the `full` profile), so seed, warm-up, timed runs and executor options are those of
 * `npm run bench`: layered graphs run 3 timed runs after a warm-up of 100k tasks on a 10k graph
 * (the result is their median), the latency case times 3 chains of 1,000 after 5 warm-up chains.
 */

/** One number read from a child's result. */
export interface Metric {
  readonly key: string;
  /** Row label in the report. */
  readonly label: string;
  /** Lower is better for every metric here. */
  readonly read: (result: CaseResult) => number | null;
}

export interface AbCase {
  readonly name: string;
  readonly spec: CaseSpec;
  readonly metrics: readonly Metric[];
  /** A child taking longer is killed and its run counted as failed (`--timeout` overrides). */
  readonly timeoutMs: number;
}

function throughputSpec(shape: DagShape, size: number): CaseSpec {
  const plan = throughputCases({ ...FULL, executors: { ...FULL.executors, shapes: [shape], sizes: [size] } });
  const spec = plan.find((c) => c.executor.kind === 'rxdag' && c.executor.mode === 'event');
  if (spec === undefined) throw new Error(`the full plan has no rxdag event case for ${shape} ${size}`);
  return spec;
}

function latencySpec(): CaseSpec {
  const spec = latencyCases(FULL).direct.find((c) => c.executor.kind === 'rxdag');
  if (spec === undefined) throw new Error('the full plan has no rxdag latency case');
  return spec;
}

/** `spec` with rxdag's `maxConcurrency` at `maxConcurrency` instead of the comparisons' common limit. */
function wide(spec: CaseSpec, maxConcurrency: number): CaseSpec {
  if (spec.kind !== 'throughput' || spec.executor.kind !== 'rxdag') throw new Error('only an rxdag throughput case can be made wide');
  return { ...spec, executor: { ...spec.executor, maxConcurrency } };
}

const usPerTask = (label: string): Metric => ({
  key: 'usPerTask',
  label: `${label} µs/task`,
  read: (r) => (r.kind === 'throughput' ? r.usPerTask : null),
});
const peakRssMb = (label: string): Metric => ({
  key: 'peakRssMB',
  label: `${label} peak RSS MB`,
  read: (r) => (r.kind === 'throughput' && r.peakRssBytes !== null ? r.peakRssBytes / 1e6 : null),
});

export const AB_CASES: readonly AbCase[] = [
  {
    name: 'layered-100k',
    spec: throughputSpec('layered', 100_000),
    metrics: [usPerTask('layered 100k'), peakRssMb('layered 100k')],
    timeoutMs: 180_000,
  },
  {
    name: 'layered-1m',
    spec: throughputSpec('layered', 1_000_000),
    metrics: [usPerTask('layered 1M'), peakRssMb('layered 1M')],
    timeoutMs: 600_000,
  },
  {
    // every task of a layer in flight at once (I/O-bound agents run so): the cost of a running attempt's bookkeeping
    name: 'layered-100k-wide',
    spec: wide(throughputSpec('layered', 100_000), 10_000),
    metrics: [usPerTask('layered 100k, 10,000 in flight'), peakRssMb('layered 100k, 10,000 in flight')],
    timeoutMs: 300_000,
  },
  {
    name: 'latency-chain-1k',
    spec: latencySpec(),
    metrics: [{ key: 'p50Us', label: 'latency chain 1k p50 µs', read: (r) => (r.kind === 'latency' ? r.latencyUs.p50 : null) }],
    timeoutMs: 120_000,
  },
];

export const DEFAULT_CASES: readonly string[] = AB_CASES.map((c) => c.name);

/** The cases named, in the order given; throws on an unknown name. */
export function pickCases(names: readonly string[]): AbCase[] {
  const unknown = names.filter((name) => !AB_CASES.some((c) => c.name === name));
  if (unknown.length > 0)
    throw new TypeError(`unknown case ${unknown.map((n) => `\`${n}\``).join(', ')}: --cases takes ${DEFAULT_CASES.join(', ')}`);
  return [...new Set(names)].map((name) => AB_CASES.find((c) => c.name === name)!);
}
