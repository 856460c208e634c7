import type { AsyncResource } from 'node:async_hooks';
import type { AgentResult, TaskContext } from '../agents/agent';
import { type RecordedCallback, tell } from '../agents/attemptContext';
import type { AgentKind, Lease } from '../agents/pool';
import type { AttemptHost, AttemptOutcome } from '../agents/runAttempt';
import type { RunController } from './runController';
import { type LimitUnits, unitsIn } from '../dag/taskLimits';
import type { Limit } from './limits';
import type { Placed } from './swapList';
import { frozenJson } from '../jsonSafe';

/** `Attempt.recorded` once the run controller took its callbacks. */
const TAKEN = 'taken';

/**
 * One launched attempt of a task: what `runAttempt` asks for (the task's data, the agent call),
 * the agent slot it holds, and, once it ended, the outcome signal itself that flows back into
 * the pipeline (one object per attempt instead of three). It does not decide anything about its
 * outcome; the run controller does.
 */
export class Attempt implements AttemptHost<Attempt>, Placed {
  readonly kind = 'outcome';
  /** False once its outcome was handled or it was cancelled: a late outcome is then ignored. */
  live = true;
  stuckReported = false;
  /** Place in the run's list of running attempts. */
  place = -1;
  /** Set when the attempt ended, before it is signalled. */
  outcome: AttemptOutcome | undefined;
  /**
   * What its agent asked to hear once its outcome is recorded (`afterRecorded`), until the run
   * controller takes them; `TAKEN` after: a callback given then would never be told, so it hears
   * `false` at once.
   */
  recorded: RecordedCallback[] | typeof TAKEN | undefined;
  /** Tears the attempt down (completes its inner Observable, aborts the agent): its signal fires with `reason` (a `TaskCancelledError` when none). */
  stop: (reason?: Error) => void = noop;

  constructor(
    readonly run: RunController,
    readonly task: number,
    readonly attempt: number,
    readonly startedAt: number,
    /** The agent slot (and instance) the attempt holds. */
    readonly lease: Lease,
    private readonly agentKind: AgentKind,
    /** Its task's weight: the units it holds of `maxConcurrency`, of its agent kind and of each limit it names in a list. */
    readonly units: number = 1,
    /** The limits it holds units of. */
    readonly limits: readonly Limit[] = NO_LIMITS,
    /** Its task's own units of its limits, when it gave them as a mapping. */
    private readonly limitUnits: LimitUnits | undefined = undefined,
  ) {}

  /** Gives back the units it holds of its limits. */
  giveLimits(): void {
    for (const limit of this.limits) limit.give(unitsIn(this.limitUnits, limit.name, this.units));
  }

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
    return this.run.timeoutOf(this.task);
  }
  get scope(): AsyncResource {
    return this.run.scope;
  }
  abortedBeforeCall(): Error | true | undefined {
    return this.run.cancelPending;
  }
  call(context: TaskContext): AgentResult {
    return this.agentKind.call(context, this.lease.instance);
  }
  afterRecorded(callback: RecordedCallback): void {
    const recorded = this.recorded;
    if (recorded === TAKEN) tell([callback], false);
    else if (recorded === undefined) this.recorded = [callback];
    else recorded.push(callback);
  }

  /** What its agent asked to hear (`afterRecorded`), taken once: later callbacks hear `false` at once. */
  takeRecorded(): RecordedCallback[] | undefined {
    const callbacks = this.recorded;
    this.recorded = TAKEN;
    return callbacks === TAKEN ? undefined : callbacks;
  }
  /** Outputs of the task's dependencies by id (context injection). */
  upstream(): Readonly<Record<string, unknown>> {
    const { run, task } = this;
    if (!run.options.contextInjection) return NO_UPSTREAM;
    const { index } = run.dag;
    const { start, targets } = index.deps;
    const upstream: Record<string, unknown> = {};
    for (let e = start[task]!; e < start[task + 1]!; e++) {
      const dep = targets[e]!;
      // a resumed run's outputs of earlier attempts are the journal's, read back unfrozen
      const output = frozenJson(run.writer.outputOf(dep));
      // defined, not assigned: a dependency may be called `__proto__`
      if (output !== undefined) Object.defineProperty(upstream, index.ids[dep]!, { value: output, enumerable: true });
    }
    return Object.freeze(upstream);
  }
  wrap(outcome: AttemptOutcome): Attempt {
    this.outcome = outcome;
    return this;
  }
  bindStop(stop: (reason?: Error) => void): void {
    this.stop = stop;
  }
  /**
   * Drops what the attempt points to once it is handled, so a long-lived attempt object does
   * not keep its newer outcome and subscriber alive through young-generation collections.
   */
  release(): void {
    this.outcome = undefined;
    this.stop = noop;
  }
}

function noop(): void {}

const NO_UPSTREAM: Readonly<Record<string, unknown>> = Object.freeze({});
const NO_LIMITS: readonly Limit[] = Object.freeze([]);
