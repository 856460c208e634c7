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
  const host = task instanceof AttemptContext ? AttemptContext.hostOf(task) : undefined;
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
  if (task instanceof AttemptContext) return new DerivedContext(task, input) as unknown as TaskContext<NewInput, Upstream>;
  // a context not made by a scheduler (a test's): every field and getter inherited but `input`
  return Object.create(task, { input: { value: input, enumerable: true } }) as TaskContext<NewInput, Upstream>;
}

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
  // private fields: neither a spread copy nor a logger sees the plumbing
  readonly #host: AttemptHost<unknown>;
  readonly #execution: ExecutionForContext;
  #upstream: Readonly<Record<string, unknown>> | undefined;
  #spawn: ((tasks: readonly TaskSpec[]) => void) | undefined;

  constructor(host: AttemptHost<unknown>, execution: ExecutionForContext) {
    this.id = host.taskId;
    this.runId = host.runId;
    this.dagId = host.dagId;
    this.attempt = host.attempt;
    this.#host = host;
    this.#execution = execution;
  }

  /** @internal The attempt behind `context`. */
  static hostOf(context: AttemptContext): AttemptHost<unknown> {
    return context.#host;
  }

  /** @internal What the attempt behind `context` gives it. */
  static executionOf(context: AttemptContext): ExecutionForContext {
    return context.#execution;
  }

  // read on demand: most no-op agents never look, and the task object is a cache miss at 1M tasks
  get input(): unknown {
    return this.#host.input;
  }

  get upstream(): Readonly<Record<string, unknown>> {
    return (this.#upstream ??= this.#host.upstream());
  }

  /** Built on read: a string per attempt is measurable at a million tasks. */
  get idempotencyKey(): string {
    return idempotencyKeyOf(this.runId, this.id);
  }

  get signal(): AbortSignal {
    return this.#execution.signal();
  }

  get timeoutMs(): number | undefined {
    const host = this.#host;
    return host.taskTimeoutMs === undefined ? host.timeoutMs : host.taskTimeoutMs;
  }

  /**
   * `spawn`, bound to this attempt on first read, so an agent may take it out of its context
   * (`async ({ spawn }) => …`) as it takes `input` or `signal`.
   */
  get spawn(): (tasks: readonly TaskSpec[]) => void {
    return (this.#spawn ??= (tasks) => this.addSpawned(tasks));
  }

  private addSpawned(tasks: readonly TaskSpec[]): void {
    if (!Array.isArray(tasks)) throw new TypeError(`spawn() of task "${this.id}" expects an array of task specs`);
    // an outcome is final: tasks asked for after it would never run, so say so instead (a misuse, as above)
    if (this.#execution.ended()) {
      const { aborted, reason } = this.#execution.signal(); // fired when the attempt was stopped (a time limit, a cancel)
      const name = (reason as Error | undefined)?.name;
      const stopped = name === 'TaskTimeoutError' ? 'timed out' : name === 'TaskCancelledError' ? 'was cancelled' : 'was stopped';
      throw new TypeError(
        aborted
          ? `spawn() of task "${this.id}" was called after its attempt ${this.attempt} ${stopped}: tasks spawned after the attempt's signal fired are not added`
          : `spawn() of task "${this.id}" was called after its attempt ${this.attempt} ended: spawn before the agent returns, resolves or completes (a missing await?)`,
      );
    }
    this.#execution.keepSpawned(tasks);
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

/** A context made by {@link withInput}: its own input; the rest, and what is built once (`upstream`, `spawn`), its origin's. */
class DerivedContext extends AttemptContext {
  readonly #from: AttemptContext;
  readonly #input: unknown;

  constructor(from: AttemptContext, input: unknown) {
    super(AttemptContext.hostOf(from), AttemptContext.executionOf(from));
    this.#from = from;
    this.#input = input;
  }

  override get input(): unknown {
    return this.#input;
  }

  override get upstream(): Readonly<Record<string, unknown>> {
    return this.#from.upstream;
  }

  override get spawn(): (tasks: readonly TaskSpec[]) => void {
    return this.#from.spawn;
  }
}
