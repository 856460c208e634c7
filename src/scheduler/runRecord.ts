import type { Subscription } from 'rxjs';
import type { AgentResult, TaskContext } from '../agents/agent';
import type { Lease, PoolEntry } from '../agents/pool';
import type { AttemptHost, AttemptOutcome } from '../agents/runAttempt';
import type { Dag } from '../dag/defineDag';
import type { DagEvent } from '../events';
import type { RunDraft } from '../state/reducer';
import type { RunState } from '../state/runState';
import { readOutput } from '../state/taskTable';
import type { ResolvedRunOptions } from './options';
import type { ReadyQueues } from './priorityQueue';

/**
 * The pipeline's bookkeeping for one run and one attempt: mutable, owned by the engine, never
 * shared. The run's state itself lives in `state`/`draft` and changes only through the reducer.
 */

/** Where a run's events go: its subscriber and its own views. */
export interface RunListener {
  next(event: DagEvent): void;
  complete(): void;
  error(error: unknown): void;
}

/** One execution of a DAG inside the engine. Mutable bookkeeping of the pipeline, never shared. */
export interface RunRecord {
  readonly runId: string;
  /** The run's DAG; replaced by a grown one when an agent spawns tasks. */
  dag: Dag;
  readonly options: ResolvedRunOptions;
  readonly listener: RunListener;
  /** Ready tasks by agent kind, each kind by priority, then upward rank. */
  readonly readyQueue: ReadyQueues<PoolEntry>;
  /** The pool entry of each agent the run uses, by the DAG's agent code. */
  readonly kinds: PoolEntry[];
  /**
   * Attempts launched and not yet handled, in no order; each knows its `slot`. An array with
   * swap-removal, because a Map rehashes as entries come and go and every new table it makes
   * is garbage the GC has to promote.
   */
  readonly running: AttemptRecord[];
  /** Retry timers by task index. */
  readonly backoff: Map<number, Subscription>;
  /** The last finished snapshot. */
  state: RunState;
  /** The open draft of the current flush, if the run changed in it. */
  draft: RunDraft | undefined;
  /** Set when the run is being ended before its tasks finished. */
  endedEarly: 'cancelled' | 'failed' | undefined;
  done: boolean;
  /** Set once its `dag.created` was emitted. */
  started: boolean;
  /**
   * Set the moment a cancel is asked for, before the pipeline handles it: from then on the run
   * starts nothing, even in the pass that is going on.
   */
  cancelRequested: boolean;
}

/**
 * One launched attempt: its bookkeeping, the host `runAttempt` asks for the task's data, and,
 * once it ended, the outcome signal itself (one object per attempt instead of three).
 */
export class AttemptRecord implements AttemptHost<AttemptRecord> {
  readonly kind = 'outcome';
  /** False once its outcome was handled or it was cancelled: a late outcome is then ignored. */
  live = true;
  stuckReported = false;
  /** Position in `run.running` while there. */
  slot = -1;
  /** Set when the attempt ended, before it is signalled. */
  outcome: AttemptOutcome | undefined;
  /** Tears the attempt down (completes its inner Observable, aborts the agent). */
  stop: () => void = noop;

  constructor(
    readonly run: RunRecord,
    readonly task: number,
    readonly attempt: number,
    readonly startedAt: number,
    /** The agent slot (and instance) the attempt holds. */
    readonly lease: Lease,
    private readonly entry: PoolEntry,
  ) {}

  get taskId(): string {
    return this.run.dag.index.ids[this.task]!;
  }
  get runId(): string {
    return this.run.runId;
  }
  get dagId(): string {
    return this.run.dag.id;
  }
  get input(): unknown {
    return this.run.dag.index.inputs[this.task];
  }
  get timeoutMs(): number | undefined {
    const timeouts = this.run.dag.index.timeoutMs;
    // most DAGs set no per-task timeout: skip the read (a cache miss per task at a million tasks)
    const own = hasOwnTimeouts(timeouts) ? timeouts[this.task]! : Number.NaN;
    return Number.isNaN(own) ? this.run.options.taskTimeoutMs : own;
  }
  call(context: TaskContext): AgentResult {
    return this.entry.call(context, this.lease.instance);
  }
  upstream(): Readonly<Record<string, unknown>> {
    return upstreamOf(this.run, this.task);
  }
  wrap(outcome: AttemptOutcome): AttemptRecord {
    this.outcome = outcome;
    return this;
  }
  bindStop(stop: () => void): void {
    this.stop = stop;
  }
  /**
   * Drops what the record points to once it is handled. A record that lived long enough to be
   * promoted to the old generation would otherwise keep its newer outcome and subscriber alive
   * through scavenges after it died itself, and those would be promoted in turn.
   */
  release(): void {
    this.outcome = undefined;
    this.stop = noop;
  }
}

/** Outputs of a task's dependencies by id (context injection), from the open draft if any. */
export function upstreamOf(run: RunRecord, task: number): Readonly<Record<string, unknown>> {
  if (!run.options.contextInjection) return NO_UPSTREAM;
  const { start, targets } = run.dag.index.deps;
  const upstream: Record<string, unknown> = {};
  for (let e = start[task]!; e < start[task + 1]!; e++) {
    const dep = targets[e]!;
    const output = run.draft !== undefined ? run.draft.outputOf(dep) : readOutput(run.state.outputs, dep);
    // defined, not assigned: a dependency may be called `__proto__`
    if (output !== undefined) Object.defineProperty(upstream, run.dag.index.ids[dep]!, { value: output, enumerable: true });
  }
  return Object.freeze(upstream);
}

const NO_UPSTREAM: Readonly<Record<string, unknown>> = Object.freeze({});

function noop(): void {}

const ownTimeouts = new WeakMap<Float64Array, boolean>();

/** Whether any task of a DAG has its own `timeoutMs` (its index's column is not all NaN). */
function hasOwnTimeouts(timeoutMs: Float64Array): boolean {
  let any = ownTimeouts.get(timeoutMs);
  if (any === undefined) {
    any = timeoutMs.some((ms) => !Number.isNaN(ms));
    ownTimeouts.set(timeoutMs, any);
  }
  return any;
}
