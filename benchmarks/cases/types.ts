import type { DagRecipe, DagShape } from '../dagGenerator';
import type { ExecutorSpec } from '../executors/executor';
import type { Distribution } from '../stats';

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
  /** Size of the same-shape graph run twice first (untimed) so the timed runs see optimized code. */
  readonly warmupSize: number;
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
  readonly usPerTask: number;
  readonly tasksPerSecond: number;
  /** Peak RSS before the graph was generated: the runtime and modules alone. */
  readonly baselineRssBytes: number | null;
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
  readonly wallMs: number;
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  readonly cpuMs: number;
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
