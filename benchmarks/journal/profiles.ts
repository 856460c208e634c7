/**
 * How much `npm run bench:journal` runs. `full` is what RESULTS.md reports; `quick` is a trial
 * of under a minute on 2 cores; `tiny` a seconds-long run for the smoke test (results
 * well-formed, not meaningful).
 */
export interface JournalProfile {
  readonly name: 'full' | 'quick' | 'tiny';
  /** Children per case (per variant in case 1); medians over them. `--runs` overrides. */
  readonly runs: number;
  /** Each sample in a fresh child; without, in the runner itself (tiny: results well-formed, not meaningful). */
  readonly isolate: boolean;
  /** A child is SIGKILLed after this (`--timeout` overrides). */
  readonly timeoutMs: number;
  readonly layered: {
    readonly size: number;
    readonly warmupSize: number;
    readonly warmupMemoryRuns: number;
    readonly warmupJournalRuns: number;
  };
  readonly postgres: {
    readonly size: number;
    readonly warmupSize: number;
    readonly warmupMemoryRuns: number;
    readonly warmupJournalRuns: number;
  };
  readonly latency: {
    readonly chainLength: number;
    readonly warmupChains: number;
    readonly warmupJournalChainLength: number;
    readonly fsyncSamples: number;
  };
  readonly resume: { readonly size: number; readonly completedBefore: number };
}

export const SEED = 42;

export const JOURNAL_PROFILES: Readonly<Record<JournalProfile['name'], JournalProfile>> = {
  full: {
    name: 'full',
    isolate: true,
    runs: 3,
    timeoutMs: 600_000,
    // warm-up: 100k tasks in memory (the throughput suite's), then one journaled run of 10k
    layered: { size: 100_000, warmupSize: 10_000, warmupMemoryRuns: 10, warmupJournalRuns: 1 },
    postgres: { size: 10_000, warmupSize: 2_000, warmupMemoryRuns: 10, warmupJournalRuns: 1 },
    latency: { chainLength: 1_000, warmupChains: 5, warmupJournalChainLength: 50, fsyncSamples: 2_000 },
    resume: { size: 100_000, completedBefore: 50_000 },
  },
  quick: {
    name: 'quick',
    isolate: true,
    runs: 1,
    timeoutMs: 180_000,
    layered: { size: 10_000, warmupSize: 5_000, warmupMemoryRuns: 4, warmupJournalRuns: 1 },
    postgres: { size: 10_000, warmupSize: 2_000, warmupMemoryRuns: 5, warmupJournalRuns: 1 },
    latency: { chainLength: 200, warmupChains: 5, warmupJournalChainLength: 20, fsyncSamples: 400 },
    resume: { size: 10_000, completedBefore: 5_000 },
  },
  tiny: {
    name: 'tiny',
    isolate: false,
    runs: 1,
    timeoutMs: 90_000,
    layered: { size: 1_000, warmupSize: 500, warmupMemoryRuns: 1, warmupJournalRuns: 1 },
    postgres: { size: 500, warmupSize: 200, warmupMemoryRuns: 1, warmupJournalRuns: 1 },
    latency: { chainLength: 50, warmupChains: 1, warmupJournalChainLength: 5, fsyncSamples: 50 },
    resume: { size: 1_000, completedBefore: 500 },
  },
};

/** The cases `--only` can pick, in the order they run. */
export type JournalCaseName = 'layered' | 'postgres' | 'latency' | 'resume';
export const JOURNAL_CASE_NAMES: readonly JournalCaseName[] = ['layered', 'postgres', 'latency', 'resume'];
