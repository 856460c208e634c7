import type { DagRecipe, DagShape } from '../dagGenerator';
import type { ExecutorSpec } from '../executors/executor';
import type { Distribution } from '../stats';
import type { GcPauses } from './measure';

/**
 * Benchmark cases as plain data: the orchestrator sends a case to a fresh child process (or runs
 * it in-process in tiny mode) and gets a result back over IPC, so both sides are JSON-safe.
 */

/** Run one graph many times: µs per task, tasks/s, build cost, peak RSS. */
export interface ThroughputCase {
  readonly kind: 'throughput';
  readonly executor: ExecutorSpec;
  readonly shape: DagShape;
  readonly size: number;
  readonly seed: number;
  /** Timed runs; the result keeps every one and their median. */
  readonly runs: number;
  /** Size of the same-shape graph run first, untimed, so the timed runs see optimized code. */
  readonly warmupSize: number;
  /** Tasks to run in the warm-up (whole runs of the warm-up graph, at least one): V8 optimizes by call counts, not by runs. */
  readonly warmupTasks: number;
  /**
   * When set, the timed runs (only them) are profiled: V8's CPU sampler, or its allocation
   * sampler (every allocation, also those collected since); the raw profile is written to `path`.
   */
  readonly profile?: { readonly kind: 'cpu' | 'allocations'; readonly path: string };
}

/** Time from a task's promise resolving to its successor's agent being called, on a chain. */
export interface LatencyCase {
  readonly kind: 'latency';
  readonly executor: ExecutorSpec;
  readonly chainLength: number;
  readonly runs: number;
}

/** Wall time of whole runs of small DAGs, per scheduling mode. */
export interface TotalsCase {
  readonly kind: 'totals';
  readonly executor: ExecutorSpec;
  readonly graphs: readonly DagRecipe[];
  readonly runs: number;
}

/** CPU burnt while the only task waits `waitMs`; `bare-await` is the same wait with no scheduler. */
export interface IdleCpuCase {
  readonly kind: 'idle-cpu';
  readonly executor: ExecutorSpec | { readonly kind: 'bare-await' };
  readonly waitMs: number;
  /** Measured waits, one after the other; the median is reported. */
  readonly repeats: number;
}

/** benny (benchmark.js) suites: whole runs of small DAGs per second. */
export interface BennyCase {
  readonly kind: 'benny';
  readonly graphs: readonly DagRecipe[];
  readonly executors: readonly ExecutorSpec[];
  /** benchmark.js `minTime` / `maxTime` of each case, in seconds. */
  readonly minTime: number;
  readonly maxTime: number;
  /** Where benny's own JSON files go. */
  readonly folder: string;
}

export type CaseSpec = ThroughputCase | LatencyCase | TotalsCase | IdleCpuCase | BennyCase;

/** Facts every result carries. */
export interface ResultBase {
  readonly executor: string;
  readonly label: string;
  /** Peak resident set of the process that ran the case; `null` when it ran in-process. */
  readonly peakRssBytes: number | null;
}

export interface ThroughputResult extends ResultBase {
  readonly kind: 'throughput';
  readonly shape: DagShape;
  readonly size: number;
  readonly edges: number;
  /** `defineDag`, `new PGraph`, or the floor's index build. */
  readonly buildMs: number;
  readonly runMs: readonly number[];
  readonly medianRunMs: number;
  /** CPU time (user + system, every thread) of the median-time run. */
  readonly medianRunCpuMs: number;
  /** Main-thread GC pauses of the median-time run. */
  readonly medianRunGc: GcPauses;
  readonly usPerTask: number;
  readonly tasksPerSecond: number;
  /** Peak RSS before the graph was generated: the runtime and modules alone. */
  readonly baselineRssBytes: number | null;
  /** Peak RSS once the graph was built, before any timed run: what the build alone reached. */
  readonly afterBuildPeakRssBytes: number | null;
}

export interface LatencyResult extends ResultBase {
  readonly kind: 'latency';
  readonly chainLength: number;
  readonly runs: number;
  /** Dependent-dispatch latency in µs. */
  readonly latencyUs: Distribution;
}

export interface TotalsResult extends ResultBase {
  readonly kind: 'totals';
  readonly graphs: readonly { readonly name: string; readonly size: number; readonly runMs: readonly number[]; readonly medianMs: number }[];
}

export interface IdleCpuResult extends ResultBase {
  readonly kind: 'idle-cpu';
  readonly waitMs: number;
  readonly repeats: number;
  /** Of the wait with the median CPU. */
  readonly wallMs: number;
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  readonly cpuMs: number;
  /** CPU ms of every wait, in order. */
  readonly cpuMsSamples: readonly number[];
  /** CPU ms of the same run with a 0 ms wait (median): the run's fixed cost, not the waiting's. */
  readonly zeroWaitCpuMs: number;
}

export interface BennyResult extends ResultBase {
  readonly kind: 'benny';
  readonly suites: readonly {
    readonly name: string;
    readonly file: string;
    readonly cases: readonly { readonly name: string; readonly opsPerSecond: number; readonly marginPercent: number; readonly samples: number }[];
  }[];
}

export type CaseResult = ThroughputResult | LatencyResult | TotalsResult | IdleCpuResult | BennyResult;

/** The result type of a case type. */
export type ResultOf<C extends CaseSpec> = Extract<CaseResult, { readonly kind: C['kind'] }>;
