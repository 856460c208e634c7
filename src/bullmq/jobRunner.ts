/**
 * A worker's handling of one job: checks its signature and expiry (with a key) before anything
 * else, checks its data with zod, finds the agent its queue names, rebuilds the task's context
 * and runs the attempt with the core's `runAttempt` (the same result handling, JSON-safety check
 * and abort-on-timeout as a local attempt), and turns what happened into an outcome. A refused,
 * malformed or unknown job runs nothing and fails at once with a clear error. It does not talk to
 * BullMQ: `startWorker` feeds it jobs and stops it.
 */
import { asyncScheduler } from 'rxjs';
import {
  type AgentDefinition,
  type AgentResult,
  AttemptHandedBackError,
  type AgentSpec,
  TaskCancelledError,
  type TaskContext,
  TaskTimeoutError,
} from '../index';
import { severityOf, warningOutput } from '../agents/agent';
import { isPromiseLike } from '../agents/resultKinds';
import { type AttemptHost, type AttemptOutcome, CallWhenReady, runAttempt } from '../agents/runAttempt';
import { PooledInstance } from '../agents/pooledInstance';
import { InvalidJobError, UnauthorizedJobError, UnknownAgentError } from './errors';
import { escapeControls } from '../dag/text';
import { frozenJson } from '../jsonSafe';
import { MAX_TIMER_MS } from '../dag/specLimits';
import { describeIssues, FORMAT_VERSION, isPlainJobData, type JobData, jobDataSchema, type Outcome, resultTooLarge } from './jobFormat';
import { failureOutcome, type OutcomeContext, successOutcome, warningOutcome } from './outcomes';
import { otherVersionSignature, verifySignature } from './signing';
import type { JobRefusal } from './options';

/**
 * Why a worker stops an attempt it runs (`cancelled`, `timed-out`: its scheduler said so;
 * `handed-back`: its agent could not run it here, see `AttemptHandedBackError`).
 */
export type StopReason = 'cancelled' | 'timed-out' | 'lease-lost' | 'shutdown' | 'handed-back';

/** How many times a job may be taken (by any worker) and still be handed back by its agent: past it, the attempt fails, saying so. */
export const MOST_TAKES_HANDED_BACK = 6;

/** One job being run: `stop` aborts its agent (its `AbortSignal` fires) and settles the job at once. */
export class RunningJob {
  /** Why it was stopped, once it was. */
  stoppedFor: StopReason | undefined;
  /**
   * False while the promise its agent returned is pending: a stopped job whose agent ignores
   * its signal still runs, so its job must not go to another worker yet.
   */
  agentReturned = true;
  /** What its agent said as it handed the job back (`AttemptHandedBackError`'s message). */
  handedBackBecause: string | undefined;
  /**
   * When this worker last renewed its lease (BullMQ's `locksRenewed`; its start, at first), on
   * the monotonic clock: a wall clock stepped forward (NTP, a resumed VM) would stop it as lapsed.
   */
  renewedAt = performance.now();
  private stopAttempt: (() => void) | undefined;
  private onReturned: (() => void) | undefined;

  constructor(
    readonly queue: string,
    readonly jobId: string,
    /** Its job's `issuedAt`: which add of its id it runs (a cancel names the one it stops). */
    readonly issuedAt: number | undefined,
    /** How many times its job was taken, this time included (BullMQ's `attemptsStarted`). */
    readonly takes = 1,
  ) {}

  /** Its lease was renewed now. */
  renewed(): void {
    this.renewedAt = performance.now();
  }

  stop(reason: StopReason): void {
    if (this.stoppedFor !== undefined) return;
    this.stoppedFor = reason;
    this.stopAttempt?.();
  }

  /** Called by the runner once the agent runs. */
  onStop(stop: () => void): void {
    this.stopAttempt = stop;
    if (this.stoppedFor !== undefined) stop();
  }

  /**
   * Calls `listener` once its agent returned (at once when it has): a job stopped before then is
   * kept until that moment, and let go of at it.
   */
  whenReturned(listener: () => void): void {
    if (this.agentReturned) listener();
    else this.onReturned = listener;
  }

  /** Watches what the agent returned for {@link agentReturned}, and hands it on unchanged. */
  track(result: AgentResult): AgentResult {
    if (result instanceof CallWhenReady) return new CallWhenReady(result.ready, (value) => this.track(result.call(value)));
    if (isPromiseLike(result)) {
      this.agentReturned = false;
      const returned = () => {
        this.agentReturned = true;
        this.stopAttempt = undefined; // (it holds the attempt's input)
        const listener = this.onReturned;
        this.onReturned = undefined;
        listener?.();
      };
      try {
        result.then(returned, returned);
      } catch {
        returned(); // a thenable whose `then` throws: the attempt fails on it, nothing runs on
      }
    }
    return result;
  }
}

/**
 * Stops, every third of a lease, each running job whose lease this worker has not renewed for a
 * whole lease: it lapsed in Redis, and another worker may run the job. BullMQ says
 * `lockRenewalFailed` only when Redis answers; a worker cut off from it would otherwise run on
 * beside that copy. Returns how to stop checking.
 */
export function checkLeases(running: () => Iterable<RunningJob>, leaseMs: number): () => void {
  const timer = setInterval(
    () => {
      const now = performance.now();
      for (const job of running()) if (now - job.renewedAt > leaseMs) job.stop('lease-lost');
    },
    Math.max(10, Math.floor(leaseMs / 3)),
  );
  timer.unref();
  return () => clearInterval(timer);
}

/** How a stopped job's outcome says why it stopped. */
const STOPPED_BECAUSE: Readonly<Record<StopReason, string>> = {
  cancelled: 'it was cancelled',
  'timed-out': 'its scheduler timed it out',
  'lease-lost': 'its lease lapsed (it may run on another worker)',
  shutdown: 'the worker shut down',
  'handed-back': 'its agent handed it back',
};

/** The error an attempt stopped for `reason` aborts its agent with; `undefined`: a cancel's. */
function stopError(reason: StopReason | undefined, data: JobData): Error | undefined {
  if (reason === 'timed-out') return new TaskTimeoutError(data.id, data.timeoutMs ?? 0);
  if (reason === 'shutdown' || reason === 'lease-lost') return new AttemptHandedBackError(data.id, STOPPED_BECAUSE[reason]);
  return undefined;
}

/** What every job of a worker shares. */
export interface JobRunnerConfig {
  readonly key: Buffer | undefined;
  /** The key prefix of the queues it serves: a job is signed for its queue under this prefix. */
  readonly prefix: string;
  /** `host:pid`, in every outcome. */
  readonly worker: string;
  readonly agents: Readonly<Record<string, AgentDefinition>>;
  readonly allowed: ReadonlySet<string>;
  /** Extra time a worker gives an attempt past its `timeoutMs`: the scheduler's own timeout decides first. */
  readonly timeoutGraceMs: number;
  readonly log: (line: string) => void;
  /** Hears each job refused (see `WorkerOptions.onJobRefused`). */
  readonly refused: (queue: string, reason: JobRefusal) => void;
}

/** How a worker calls one agent. */
type Caller = (context: TaskContext) => AgentResult;

/** A worker's agents, calling an agent with limits on one instance made on first use. */
export class JobRunner {
  /** The instance of each agent with `create`, made by its first job (see `PooledInstance`). */
  private readonly instances = new Map<string, PooledInstance>();
  // one caller per agent, not one closure per job
  private readonly callers = new Map<string, Caller>();

  constructor(private readonly config: JobRunnerConfig) {}

  /**
   * Runs one job to its outcome; `undefined` when the worker stopped the agent before it
   * finished (see {@link stoppedOutcome}). Never rejects.
   */
  async run(job: RunningJob, data: unknown): Promise<Outcome | undefined> {
    const context: OutcomeContext = { queue: job.queue, prefix: this.config.prefix, key: this.config.key };
    const { worker } = this.config;
    const fail = (error: unknown): Outcome => failureOutcome(context, job.jobId, worker, error);
    // said in the worker's own lines too (a scheduler of another version may not read the outcome);
    // a job's data quoted in a reason (its unknown keys) has its controls escaped
    const logRefusal = (reason: string) =>
      this.config.log(
        escapeControls(`rxdag worker ${worker}: refused job ${JSON.stringify(job.jobId)} on queue "${job.queue}": ${reason}`),
      );
    const refuse = (reason: string): Outcome => {
      logRefusal(reason);
      this.config.refused(job.queue, 'unauthorized');
      return fail(new UnauthorizedJobError(`worker ${worker} refused job "${job.jobId}" on queue "${job.queue}": ${reason}; nothing ran`));
    };
    const refusal = this.refusal(job, data);
    if (refusal !== undefined) return refuse(refusal);
    // the shape every scheduler of this version writes skips zod (see `isPlainJobData`)
    const parsed = isPlainJobData(data) ? { success: true as const, data } : jobDataSchema.safeParse(data);
    if (!parsed.success) {
      const why =
        otherFormat(data) ?? `is not an rxdag job this worker can run (job format ${FORMAT_VERSION}): ${describeIssues(parsed.error)}`;
      logRefusal(`it ${why}`);
      this.config.refused(job.queue, 'invalid');
      return fail(new InvalidJobError(`job "${job.jobId}" on queue "${job.queue}" ${why}`));
    }
    const expired = this.expiry(parsed.data);
    if (expired !== undefined) return refuse(expired);
    const name = job.queue;
    const definition = Object.hasOwn(this.config.agents, name) ? this.config.agents[name] : undefined;
    // `startWorker` serves only queues of allowed agents: this is an agents map changed since
    if (definition === undefined || !this.config.allowed.has(name)) {
      const known = Object.keys(this.config.agents).filter((agent) => this.config.allowed.has(agent));
      return fail(
        new UnknownAgentError(
          `worker ${worker} has no agent "${name}" (it runs: ${known.join(', ') || 'nothing'}); job "${job.jobId}" did not run`,
        ),
      );
    }
    if (job.stoppedFor !== undefined) return undefined;
    // zod's record drops an own `__proto__` key (a dependency of that name): hand on the job's own upstream, as JSON gave it
    const upstream = (data as { readonly upstream: JobData['upstream'] }).upstream;
    const outcome = await this.attempt(job, { ...parsed.data, upstream }, definition);
    if (outcome === undefined) return undefined;
    if (!outcome.ok && outcome.error instanceof AttemptHandedBackError && outcome.timedOutAfterMs === undefined) {
      if (job.takes < MOST_TAKES_HANDED_BACK) {
        job.stoppedFor = 'handed-back';
        job.handedBackBecause = outcome.error.message;
        return undefined;
      }
      // taken time after time (hand-backs, lapsed leases) and not run: said so, with why and the last one's cause
      const { taskId, why, cause } = outcome.error;
      return fail(
        new Error(`task "${taskId}" was taken ${job.takes} times and no worker ran it; the last one handed it back: ${why}`, { cause }),
      );
    }
    // a warning thrown carries its output back as a success does
    const output = outcome.ok ? outcome.output : severityOf(outcome.error) === 'warning' ? warningOutput(outcome.error) : undefined;
    const tooLarge = resultTooLarge(parsed.data.id, output, outcome.ok ? outcome.spawned : undefined);
    if (!outcome.ok) return fail(tooLarge ?? outcome.error);
    if (tooLarge !== undefined) return fail(tooLarge);
    // a success with a warning (an agent that completed without a value) goes back as that warning, with what it spawned
    if (outcome.warning !== undefined) return warningOutcome(context, job.jobId, worker, outcome.warning, outcome.output, outcome.spawned);
    return successOutcome(context, job.jobId, worker, outcome.output, outcome.spawned);
  }

  /** The outcome of an attempt the worker stopped (its scheduler no longer waits for it, or another worker runs it). */
  stoppedOutcome(job: RunningJob): Outcome {
    const why = STOPPED_BECAUSE[job.stoppedFor ?? 'cancelled'];
    const error = new TaskCancelledError(job.jobId);
    error.message = `job "${job.jobId}" was stopped on worker ${this.config.worker}: ${why}`;
    return failureOutcome({ queue: job.queue, prefix: this.config.prefix, key: this.config.key }, job.jobId, this.config.worker, error);
  }

  /** Disposes the instances made for agents with `create` (what `dispose` throws is ignored). */
  dispose(): void {
    for (const pooled of this.instances.values()) pooled.dispose();
    this.instances.clear();
  }

  /**
   * Why a job is refused before its data is even read: with a key, unsigned or a bad signature;
   * without one, signed (its scheduler would refuse the unsigned result of whatever ran).
   */
  private refusal(job: RunningJob, data: unknown): string | undefined {
    const { key } = this.config;
    const signature = typeof data === 'object' && data !== null ? (data as { signature?: unknown }).signature : undefined;
    if (key === undefined) {
      return signature === undefined
        ? undefined
        : "it is signed, and this worker has no key to check it (give workers the schedulers' key)";
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'its data is not an object';
    if (signature === undefined) return 'it is not signed';
    const place = { prefix: this.config.prefix, queue: job.queue };
    if (!verifySignature(key, 'job', place, job.jobId, data, signature)) {
      return (
        otherVersionSignature(key, { kind: 'job', place, jobId: job.jobId, body: data, signature }, 'worker') ??
        'its signature does not match (signed with another key, or altered after signing)'
      );
    }
    return undefined;
  }

  private expiry(data: JobData): string | undefined {
    if (this.config.key === undefined) return undefined;
    if (data.expiresAt === undefined) return 'it has no expiry';
    const now = Date.now();
    if (now <= data.expiresAt) return undefined;
    // a job signed moments ago that reads as long expired: this machine's clock is ahead
    return `it expired ${now - data.expiresAt} ms ago (at ${new Date(data.expiresAt).toISOString()}, by this worker's clock: if it was just sent, this clock is ahead of its scheduler's)`;
  }

  /** The attempt through the core's `runAttempt`; `undefined` when the worker stopped it. */
  private attempt(job: RunningJob, data: JobData, definition: AgentDefinition): Promise<AttemptOutcome | undefined> {
    const call = this.callerOf(job.queue, definition);
    // (no further than the longest timer Node keeps: past it, a timer fires at once)
    const timeoutMs = data.timeoutMs === undefined ? undefined : Math.min(MAX_TIMER_MS, data.timeoutMs + this.config.timeoutGraceMs);
    return new Promise((resolve) => {
      let settled = false;
      const host = new JobAttempt(data, timeoutMs, call, job);
      runAttempt(host, asyncScheduler).subscribe((outcome) => {
        settled = true;
        if (!outcome.ok && outcome.timedOutAfterMs !== undefined && outcome.error instanceof TaskTimeoutError) {
          outcome.error.addDetail(
            `this worker stopped it at ${outcome.timedOutAfterMs} ms, a lease period past its limit, as no scheduler had timed it out`,
          );
        }
        resolve(outcome);
      });
      if (settled) return;
      job.onStop(() => {
        // fires the agent's AbortSignal: with a timeout's error when its scheduler timed it out,
        // a hand-back's when another worker runs it again (the agent must not take it for a cancel)
        host.stop(stopError(job.stoppedFor, data));
        resolve(undefined);
      });
    });
  }

  private callerOf(name: string, definition: AgentDefinition): Caller {
    let caller = this.callers.get(name);
    if (caller !== undefined) return caller;
    if (typeof definition === 'function') {
      caller = (context) => definition(context);
    } else {
      const spec = definition as AgentSpec<unknown>;
      if (spec.create === undefined) caller = (context) => spec.run(context, undefined);
      else {
        // one instance for the worker's life; one whose `create` failed is made again by the next job
        caller = (context) => {
          let pooled = this.instances.get(name);
          if (pooled === undefined) {
            pooled = new PooledInstance(spec, (failed) => this.instances.get(name) === failed && this.instances.delete(name));
            this.instances.set(name, pooled);
          }
          return pooled.call(context);
        };
      }
    }
    this.callers.set(name, caller);
    return caller;
  }
}

/** One job's attempt as `runAttempt` sees it: one object a job, no closures. */
class JobAttempt implements AttemptHost<AttemptOutcome> {
  readonly taskId: string;
  readonly runId: string;
  readonly dagId: string;
  readonly input: unknown;
  readonly attempt: number;
  readonly taskTimeoutMs: number | undefined;
  /** Ends the attempt (see `AttemptHost.bindStop`); a no-op once it has. */
  stop: (reason?: Error) => void = () => undefined;

  constructor(
    private readonly data: JobData,
    /** The task's time limit and the worker's grace: the scheduler's own timeout decides first. */
    readonly timeoutMs: number | undefined,
    private readonly caller: Caller,
    private readonly job: RunningJob,
  ) {
    this.taskId = data.id;
    this.runId = data.runId;
    this.dagId = data.dagId;
    this.input = frozenJson(data.input); // as a local attempt's is
    this.attempt = data.attempt;
    this.taskTimeoutMs = data.timeoutMs;
  }

  call(context: TaskContext): AgentResult {
    return this.job.track(this.caller(context));
  }

  upstream(): Readonly<Record<string, unknown>> {
    return frozenJson(this.data.upstream);
  }

  wrap(outcome: AttemptOutcome): AttemptOutcome {
    return outcome;
  }

  bindStop(stop: (reason?: Error) => void): void {
    this.stop = stop;
  }
}

/** What to say of a job written in another job format than this worker's (by a scheduler of another rxdag version), if it is. */
function otherFormat(data: unknown): string | undefined {
  const v = typeof data === 'object' && data !== null ? (data as { v?: unknown }).v : undefined;
  if (typeof v !== 'number' || v === FORMAT_VERSION) return undefined;
  const upgrade = v > FORMAT_VERSION ? 'upgrade this worker' : 'upgrade its scheduler';
  return `is of job format ${v}, which this worker (job format ${FORMAT_VERSION}) cannot run: ${upgrade}, or drain the queue between versions`;
}
