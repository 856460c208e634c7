import type { BennyResult, CaseSpec, IdleCpuResult, LatencyResult, ThroughputResult, TotalsResult } from '../cases';
import type { MachineInfo, SourceInfo } from '../machine';
import type { BenchProfile } from '../profiles';
import type { HistoryEntry } from './history';

/** Everything one `npm run bench` measured: written as JSON and rendered as RESULTS.md. */
export interface BenchReport {
  readonly profile: BenchProfile['name'];
  /** As typed: `npm run bench`, or `tsx benchmarks/run.ts …` when run directly. */
  readonly command: string;
  /** The script npm ran for `command`, when npm ran it. */
  readonly script: string | undefined;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: MachineInfo;
  /** Load averages when the run ended (compare with `machine.loadAverage` at the start). */
  readonly loadAverageAtEnd: readonly number[];
  readonly source: SourceInfo;
  /** The rxdag build measured. */
  readonly rxdagLib: 'src' | 'dist';
  /** Whether each case ran in its own child process (peak RSS is then per case). */
  readonly isolated: boolean;
  readonly throughput: readonly ThroughputResult[];
  readonly latency: readonly LatencyResult[];
  readonly totals: readonly TotalsResult[];
  readonly idleCpu: readonly IdleCpuResult[];
  readonly benny: BennyResult | undefined;
  readonly failures: readonly CaseFailure[];
  readonly targets: readonly TargetVerdict[];
  /** Headline numbers of the full runs so far, this one last (full runs only). */
  readonly history: readonly HistoryEntry[];
}

/** A case that crashed or threw (an OOM at 1M, a broken core): reported, not fatal. */
export interface CaseFailure {
  readonly spec: CaseSpec;
  readonly error: string;
}

/** One of rxdag's performance targets, judged on this run's numbers. */
export interface TargetVerdict {
  readonly id: string;
  readonly target: string;
  /** What was measured, in words and numbers. */
  readonly measured: string;
  readonly status: 'met' | 'missed' | 'not measured';
}
