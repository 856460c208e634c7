import type { TaskSpec } from '../dag/schema';
import type { TaskContext, UpstreamOutputs } from './agent';
import type { AttemptHost } from './runAttempt';
import { idempotencyKeyOf } from './idempotencyKey';

/**
 * The {@link TaskContext} an agent is given for one attempt: the task's data, its `upstream`
 * outputs, the `AbortSignal` and `spawn`, which hands the tasks the agent asks for to the attempt
 * (its outcome carries them). It does not call the agent, time it out or check what it returns
 * (`runAttempt.ts` does), and it owns no AbortController: the attempt makes one on the first read
 * of `signal`. {@link afterRecorded} hands an agent's wish to hear when its outcome is recorded to
 * the attempt's host; {@link withInput} makes a context for calling another agent with another
 * input (a spread copy cannot: see there).
 */

/** Hears whether an attempt's outcome was recorded (see {@link afterRecorded}). */
export type RecordedCallback = (recorded: boolean) => void;

/**
 * Calls `callback` once the outcome of `task`'s attempt is recorded in its run's journal, durably
 * as its `sync` says (at once after the outcome when the run has no journal), with `true`; or
 * with `false` if the run stops before that (its journal failed, or a shutdown interrupted it):
 * its resume then runs the attempt again, or re-attaches to it. For an agent that keeps the
 * outcome somewhere a resume looks (a remote job) and must not drop it before the journal holds
 * it. Call it before the agent returns (or resolves, or completes): called after the attempt's
 * outcome was taken, it hears `false` at once (nothing tells it when that outcome is durable). A
 * context not made by a scheduler (a worker's, a test's) gets `true` at once.
 */
export function afterRecorded(task: TaskContext, callback: RecordedCallback): void {
  // a context made by withInput reaches the attempt's through its prototype
  const host = task instanceof AttemptContext ? task[HOST] : undefined;
  if (host?.afterRecorded !== undefined) host.afterRecorded(callback);
  else tell([callback], true);
}

/** Calls each of `callbacks` with `recorded`; one that throws does not keep the others from hearing, and its error is thrown on its own (as RxJS reports an error it cannot deliver). */
export function tell(callbacks: readonly RecordedCallback[], recorded: boolean): void {
  for (const callback of callbacks) {
    try {
      callback(recorded);
    } catch (error) {
      setTimeout(() => {
        throw error;
      });
    }
  }
}

/**
 * `task` with another `input`, for an agent that calls another agent (a prompt added, a call
 * logged, a cache in front): everything else is still the attempt's: its `signal` (a cancel or a
 * timeout reaches the inner agent), `upstream`, `idempotencyKey`, `timeoutMs`, `spawn` and
 * {@link afterRecorded}. A spread copy (`{ ...task, input }`) has none of those: a context keeps
 * them as getters of its class, which a spread does not copy.
 *
 * @example
 * const withSystemPrompt: Agent<{ prompt: string }> = (task) =>
 *   llm(withInput(task, { prompt: SYSTEM + task.input.prompt }));
 */
export function withInput<Input, Upstream extends UpstreamOutputs, NewInput>(
  task: TaskContext<Input, Upstream>,
  input: NewInput,
): TaskContext<NewInput, Upstream> {
  // inherits every field and getter of `task`; `input` is its own, and what `task` builds once
  // on first read (`upstream`, `spawn`) is read from `task`, so that both share it
  return Object.create(task, {
    input: { value: input, enumerable: true },
    upstream: { get: () => task.upstream },
    spawn: { get: () => task.spawn },
  }) as TaskContext<NewInput, Upstream>;
}

/*
 * The plumbing of a context is kept under symbols: a spread copy or `Object.keys` shows only its
 * data, and `JSON.stringify` of a copy does not walk into the scheduler.
 */
const HOST = Symbol('host');
const EXECUTION = Symbol('execution');
const UPSTREAM = Symbol('upstream');
const SPAWN = Symbol('spawn');

/** What an attempt gives its context: the signal on demand, whether it ended, and where spawned tasks go. */
export interface ExecutionForContext {
  signal(): AbortSignal;
  ended(): boolean;
  keepSpawned(tasks: readonly TaskSpec[]): void;
}

/**
 * The context an agent sees. `upstream` and `signal` are built on first read: most agents read
 * neither, and at a million tasks an eager object and AbortController per attempt are measurable.
 * The data an agent reads are getters of the class (so a spread copy lacks them: `withInput`);
 * loggers (`console.log`, `util.inspect`, `JSON.stringify`) show that data, not the plumbing.
 */
export class AttemptContext implements TaskContext {
  readonly id: string;
  readonly runId: string;
  readonly dagId: string;
  readonly attempt: number;
  /** @internal */
  readonly [HOST]: AttemptHost<unknown>;
  private readonly [EXECUTION]: ExecutionForContext;
  private [UPSTREAM]: Readonly<Record<string, unknown>> | undefined;
  private [SPAWN]: ((tasks: readonly TaskSpec[]) => void) | undefined;

  constructor(host: AttemptHost<unknown>, execution: ExecutionForContext) {
    this.id = host.taskId;
    this.runId = host.runId;
    this.dagId = host.dagId;
    this.attempt = host.attempt;
    this[HOST] = host;
    this[EXECUTION] = execution;
    this[UPSTREAM] = undefined;
    this[SPAWN] = undefined;
  }

  // read on demand: most no-op agents never look, and the task object is a cache miss at 1M tasks
  get input(): unknown {
    return this[HOST].input;
  }

  get upstream(): Readonly<Record<string, unknown>> {
    return (this[UPSTREAM] ??= this[HOST].upstream());
  }

  /** Built on read: a string per attempt is measurable at a million tasks. */
  get idempotencyKey(): string {
    return idempotencyKeyOf(this.runId, this.id);
  }

  get signal(): AbortSignal {
    return this[EXECUTION].signal();
  }

  get timeoutMs(): number | undefined {
    const host = this[HOST];
    return host.taskTimeoutMs === undefined ? host.timeoutMs : host.taskTimeoutMs;
  }

  /**
   * `spawn`, bound to this attempt on first read, so an agent may take it out of its context
   * (`async ({ spawn }) => …`) as it takes `input` or `signal`.
   */
  get spawn(): (tasks: readonly TaskSpec[]) => void {
    return (this[SPAWN] ??= (tasks) => this.addSpawned(tasks));
  }

  private addSpawned(tasks: readonly TaskSpec[]): void {
    if (!Array.isArray(tasks)) throw new TypeError(`spawn() of task "${this.id}" expects an array of task specs`);
    // an outcome is final: tasks asked for after it would never run, so say so instead (a misuse, as above)
    if (this[EXECUTION].ended()) {
      throw new TypeError(
        `spawn() of task "${this.id}" was called after its attempt ${this.attempt} ended: spawn before the agent returns, resolves or completes (a missing await?)`,
      );
    }
    this[EXECUTION].keepSpawned(tasks);
  }

  /** What `console.log(ctx)` and `util.inspect` show: the data, not the plumbing. */
  [Symbol.for('nodejs.util.inspect.custom')](): Omit<TaskContext, 'signal' | 'spawn'> {
    return this.toJSON();
  }

  /** What `JSON.stringify(ctx)` and loggers show: the data, not the plumbing. */
  toJSON(): Omit<TaskContext, 'signal' | 'spawn'> {
    return {
      id: this.id,
      runId: this.runId,
      dagId: this.dagId,
      input: this.input,
      attempt: this.attempt,
      idempotencyKey: this.idempotencyKey,
      upstream: this.upstream,
      timeoutMs: this.timeoutMs,
    };
  }
}
