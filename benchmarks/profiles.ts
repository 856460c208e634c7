import type { DagRecipe, DagShape } from './dagGenerator';

/**
 * How much each mode runs. `full` is what RESULTS.md reports; `quick` is a check that
 * finishes in under a minute on 2 cores, and what the jest smoke test runs; `tiny` runs in
 * seconds in one process, to try the runner (results well-formed, not meaningful).
 */
export interface BenchProfile {
  readonly name: 'full' | 'quick' | 'tiny';
  /** Run cases in fresh child processes (peak RSS per case) rather than in the runner itself. */
  readonly isolate: boolean;
  readonly executors: {
    readonly shapes: readonly DagShape[];
    readonly sizes: readonly number[];
    /** p-graph runs up to this size (its cost grows too fast beyond). */
    readonly pGraphMaxSize: number;
    /** Timed runs per case, by size; the median is reported. */
    readonly runs: (size: number) => number;
    /** Same-shape graph run untimed before the timed runs. */
    readonly warmupSize: (size: number) => number;
    /** Tasks the warm-up runs in all (whole runs of the warm-up graph). */
    readonly warmupTasks: number;
  };
  readonly latency: {
    readonly chainLength: number;
    readonly runs: number;
    /** A polled chain costs one interval per task, so it may be shorter. */
    readonly pollingChainLength: number;
  };
  readonly pollIntervalsMs: readonly number[];
  readonly totals: { readonly graphs: readonly DagRecipe[]; readonly runs: number; readonly pollingRuns: number };
  readonly idleCpu: { readonly waitMs: number; readonly repeats: number };
  readonly benny: { readonly graphs: readonly DagRecipe[]; readonly minTime: number; readonly maxTime: number };
}

const SHAPES: readonly DagShape[] = ['chain', 'fan-out', 'layered'];
const POLL_INTERVALS_MS = [1, 10, 50];
const MODE_GRAPHS: readonly DagRecipe[] = [
  { shape: 'sequential', size: 3 },
  { shape: 'parallel', size: 1000 },
  { shape: 'layered', size: 1000 },
];
const BENNY_GRAPHS: readonly DagRecipe[] = [
  { shape: 'sequential', size: 3 },
  { shape: 'parallel', size: 100 },
  { shape: 'layered', size: 1000 },
];

export const FULL: BenchProfile = {
  name: 'full',
  isolate: true,
  executors: {
    shapes: SHAPES,
    sizes: [1000, 10_000, 100_000, 1_000_000],
    pGraphMaxSize: 100_000,
    runs: (size) => (size <= 1000 ? 15 : size <= 10_000 ? 9 : 3),
    warmupSize: (size) => Math.min(size, 10_000),
    warmupTasks: 100_000,
  },
  latency: { chainLength: 1000, runs: 3, pollingChainLength: 1000 },
  pollIntervalsMs: POLL_INTERVALS_MS,
  totals: { graphs: MODE_GRAPHS, runs: 5, pollingRuns: 3 },
  idleCpu: { waitMs: 2000, repeats: 5 },
  benny: { graphs: BENNY_GRAPHS, minTime: 1, maxTime: 3 },
};

/** The full run at sizes up to 10k, with fewer repeats and short polled chains. */
export const QUICK: BenchProfile = {
  ...FULL,
  name: 'quick',
  executors: { ...FULL.executors, sizes: [1000, 10_000], runs: (size) => (size <= 1000 ? 9 : 5), warmupTasks: 30_000 },
  latency: { chainLength: 1000, runs: 2, pollingChainLength: 30 },
  totals: { ...FULL.totals, runs: 3, pollingRuns: 1 },
  idleCpu: { ...FULL.idleCpu, repeats: 3 },
  benny: { ...FULL.benny, minTime: 0.03, maxTime: 0.1 },
};

export const TINY: BenchProfile = {
  name: 'tiny',
  isolate: false,
  executors: {
    shapes: SHAPES,
    sizes: [200],
    pGraphMaxSize: 100_000,
    runs: () => 2,
    warmupSize: () => 0,
    warmupTasks: 0,
  },
  latency: { chainLength: 50, runs: 1, pollingChainLength: 5 },
  pollIntervalsMs: POLL_INTERVALS_MS,
  totals: { graphs: [{ shape: 'sequential', size: 3 }, { shape: 'parallel', size: 20 }, { shape: 'layered', size: 200 }], runs: 1, pollingRuns: 1 },
  idleCpu: { waitMs: 50, repeats: 1 },
  benny: { graphs: [{ shape: 'sequential', size: 3 }], minTime: 0.01, maxTime: 0.05 },
};

export const PROFILES = { full: FULL, quick: QUICK, tiny: TINY } as const;
