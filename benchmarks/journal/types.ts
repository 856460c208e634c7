import type { MachineInfo, SourceInfo } from '../machine';
import type { Distribution } from '../stats';

/**
 * `npm run bench:journal`'s cases and results as plain data: the parent sends a case to a fresh
 * child (`child.ts`) as JSON and gets its result back over IPC; the report is the JSON file.
 */

/** How a layered run journals: not at all, or the file journal with each `sync`. */
export type JournalVariant = 'memory' | 'fsync' | 'none';

export const JOURNAL_VARIANTS: readonly JournalVariant[] = ['memory', 'fsync', 'none'];

/** Case 1: one timed layered run of no-op tasks, in memory or with the file journal. */
export interface LayeredSpec {
  readonly kind: 'layered';
  readonly variant: JournalVariant;
  readonly size: number;
  readonly seed: number;
  /** Untimed in-memory runs of a layered graph of `warmupSize` (seed + 1) first: the scheduler's JIT. */
  readonly warmupSize: number;
  readonly warmupMemoryRuns: number;
  /** Then untimed runs of that graph with the variant's journal (none for `memory`): the journal's JIT. */
  readonly warmupJournalRuns: number;
  /** Folder for this child's journals (made and removed by the child). */
  readonly dir: string;
}

/** Case 2: a layered run with the PostgreSQL journal, then its groups appended again, raw. */
export interface PostgresSpec {
  readonly kind: 'postgres';
  readonly size: number;
  readonly seed: number;
  readonly warmupSize: number;
  readonly warmupMemoryRuns: number;
  readonly warmupJournalRuns: number;
  readonly connectionString: string;
  /** A schema of this child's own; the parent drops it afterwards. */
  readonly schema: string;
}

/** Case 3: dependent-dispatch latency on a chain, in memory and with the file journal (fsync), and raw fsyncs. */
export interface LatencySpec {
  readonly kind: 'latency';
  readonly chainLength: number;
  /** Untimed in-memory chains of `chainLength` first. */
  readonly warmupChains: number;
  /** Length of the one untimed journaled chain before the timed one. */
  readonly warmupJournalChainLength: number;
  /** `fs.writeSync` of one line + `fs.fdatasyncSync`, this many times. */
  readonly fsyncSamples: number;
  readonly dir: string;
}

/** Case 4, set-up: a finished journaled run cut after its `completedBefore`-th `task.completed`. */
export interface ResumePrepareSpec {
  readonly kind: 'resume-prepare';
  readonly size: number;
  readonly seed: number;
  readonly completedBefore: number;
  readonly runId: string;
  /** Scratch folder for the full run's journal (removed by the child). */
  readonly scratchDir: string;
  /** The cut journal file to write. */
  readonly crashedFile: string;
}

/** Case 4: `resumeRun` of the cut journal (a copy of its own in `dir`), in a cold process. */
export interface ResumeSpec {
  readonly kind: 'resume';
  readonly size: number;
  readonly runId: string;
  readonly dir: string;
}

export type JournalCaseSpec = LayeredSpec | PostgresSpec | LatencySpec | ResumePrepareSpec | ResumeSpec;

/** Peak RSS of the child at its end. */
interface ChildFacts {
  readonly peakRssBytes: number;
}

export interface LayeredSample extends ChildFacts {
  readonly kind: 'layered';
  readonly variant: JournalVariant;
  readonly size: number;
  readonly edges: number;
  readonly runMs: number;
  readonly usPerTask: number;
  readonly cpuMs: number;
  /** `seq` of `dag.completed`: every event of the run (all journaled when journaled). */
  readonly events: number;
  /** Groups the journal was given (one per commit), and how many of them were durable (an fdatasync each with `fsync`). */
  readonly groups: number;
  readonly durableGroups: number;
  readonly journalBytes: number;
}

export interface PostgresSample extends ChildFacts {
  readonly kind: 'postgres';
  readonly size: number;
  readonly runMs: number;
  /** Events stored for the run (`lastSeq` of `journal.runs()`), checked against `dag.completed`'s `seq`. */
  readonly events: number;
  readonly eventsPerSecond: number;
  readonly groups: number;
  readonly durableGroups: number;
  /** The same groups (same sizes, same events under a new run id) appended back to back on a fresh writer. */
  readonly raw: {
    readonly appendMs: number;
    readonly eventsPerSecond: number;
    readonly groupsPerSecond: number;
    /** Per append, ms. */
    readonly appendMsDistribution: Distribution;
  };
}

export interface LatencySample extends ChildFacts {
  readonly kind: 'latency';
  readonly chainLength: number;
  /** µs from a task's promise resolving to its successor's agent call (`process.hrtime.bigint`). */
  readonly memoryUs: Distribution;
  readonly journalUs: Distribution;
  /** µs of one `writeSync` + `fdatasyncSync` on the journal's file system. */
  readonly fsyncUs: Distribution;
  readonly journalRunMs: number;
  /** Groups the journaled chain gave the journal, and the durable ones (each an fdatasync). */
  readonly journalGroups: number;
  readonly journalDurableGroups: number;
}

export interface ResumePrepareResult extends ChildFacts {
  readonly kind: 'resume-prepare';
  readonly size: number;
  readonly fullRunMs: number;
  /** Events of the finished run, and of the cut journal. */
  readonly fullEvents: number;
  readonly keptEvents: number;
  readonly keptCompleted: number;
  readonly bytes: number;
}

export interface ResumeSample extends ChildFacts {
  readonly kind: 'resume';
  readonly size: number;
  /** From subscribing to `resumeRun(…)` to `run.resumed`, to the first `task.started` after it, and to `dag.completed`. */
  readonly toResumedMs: number;
  readonly toFirstStartedMs: number;
  readonly toEndMs: number;
  /** Events this process added (from `run.resumed` on). */
  readonly eventsAfterResume: number;
}

export type JournalCaseResult = LayeredSample | PostgresSample | LatencySample | ResumePrepareResult | ResumeSample;

/** A child that failed or timed out: recorded, the run goes on. */
export interface JournalFailure {
  readonly case: string;
  readonly spec: JournalCaseSpec;
  readonly error: string;
}

export interface JournalTarget {
  readonly id: 'fsync-ratio' | 'none-ratio' | 'postgres-events' | 'resume-first-task';
  readonly target: string;
  readonly measured: string;
  readonly status: 'met' | 'missed' | 'not measured';
}

/** Medians over the children of one variant of case 1. */
export interface LayeredSummary {
  readonly variant: JournalVariant;
  readonly runs: number;
  readonly medianUsPerTask: number;
  /** Median µs/task of this variant over that of `memory`. */
  readonly ratioToMemory: number | undefined;
  readonly medianEvents: number;
  readonly medianGroups: number;
  readonly medianJournalBytes: number;
}

export interface JournalReport {
  readonly profile: 'full' | 'quick' | 'tiny';
  readonly command: string;
  readonly script: string | undefined;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: MachineInfo;
  readonly loadAverageAtEnd: readonly number[];
  readonly source: SourceInfo;
  readonly rxdagLib: 'src' | 'dist';
  /** Children per case (per variant in case 1): the medians are over these. */
  readonly runs: number;
  /** This report's JSON file, relative to the repository (or absolute when outside it). */
  readonly resultsFile: string;
  /** Where the journals and the fsync probe file lived, and its file system type. */
  readonly journalDir: { readonly path: string; readonly fileSystem: string };
  readonly targets: readonly JournalTarget[];
  readonly layered: {
    readonly command: string;
    readonly size: number;
    readonly seed: number;
    readonly maxConcurrency: number;
    readonly warmup: string;
    readonly summary: readonly LayeredSummary[];
    readonly samples: readonly LayeredSample[];
  } | null;
  readonly postgres: {
    readonly command: string;
    readonly size: number;
    readonly seed: number;
    /** Why the case did not run, when it did not. */
    readonly skipped: string | undefined;
    /** Redacted (no password). */
    readonly location: string | undefined;
    readonly warmup: string;
    readonly medianEventsPerSecond: number | undefined;
    readonly medianRawEventsPerSecond: number | undefined;
    readonly medianGroupSize: number | undefined;
    readonly samples: readonly PostgresSample[];
  } | null;
  readonly latency: {
    readonly command: string;
    readonly chainLength: number;
    readonly fsyncSamples: number;
    readonly warmup: string;
    /** Medians over the children of each child's p50 / p99. */
    readonly memory: { readonly p50: number; readonly p99: number };
    readonly journal: { readonly p50: number; readonly p99: number };
    readonly fsync: { readonly p50: number; readonly p99: number };
    /** journal p50 − memory p50 (of the medians). */
    readonly journalCostP50: number;
    readonly samples: readonly LatencySample[];
  } | null;
  readonly resume: {
    readonly command: string;
    readonly size: number;
    readonly completedBefore: number;
    readonly prepared: ResumePrepareResult | undefined;
    readonly medianToFirstStartedMs: number;
    readonly medianToEndMs: number;
    readonly medianToResumedMs: number;
    readonly samples: readonly ResumeSample[];
  } | null;
  readonly failures: readonly JournalFailure[];
}
