import type { ObservableInput } from 'rxjs';
import type { TaskSpec } from '../dag/schema';
import { MAX_TIMER_MS } from '../dag/specLimits';
import type { ErrorInfo, Severity } from '../events';
import { toJsonSafe } from '../jsonSafe';
import { unknownOptionMessages } from '../dag/text';

/**
 * The agent contract: what an agent receives for an attempt (`TaskContext`), what it may return,
 * how it says how bad an error is (`AgentError`, `severityOf`), and how errors travel in events
 * (`errorInfo`). Contracts and small pure helpers only: calling agents is `runAttempt`'s work,
 * limiting them the pool's.
 */

/** Outputs of a task's dependencies, by task id. */
export type UpstreamOutputs = Readonly<Record<string, unknown>>;

/**
 * What an agent receives for one attempt of one task. `Input` and `Upstream` type `input` and
 * `upstream` for agents that know what their tasks carry; they are not checked at run time (the
 * DAG spec says what each task gets), so validate where the data comes from outside.
 *
 * @example
 * const summarize: Agent<{ words: number }, { fetch: string }> = async ({ input, upstream, signal }) =>
 *   llm.summarize(upstream.fetch, { maxWords: input.words, signal });
 */
export interface TaskContext<Input = unknown, Upstream extends UpstreamOutputs = UpstreamOutputs> {
  /** The task's id. */
  readonly id: string;
  readonly runId: string;
  readonly dagId: string;
  /** The task's `input` from the DAG spec. */
  readonly input: Input;
  /**
   * Outputs of the task's dependencies by task id (context injection). Empty when the run's
   * `contextInjection` is off. A dependency that produced no output is absent.
   */
  readonly upstream: Upstream;
  /** This attempt's number, from 1. */
  readonly attempt: number;
  /**
   * `${runId}/${taskId}`: the same for every attempt of the task and across a resume, for agents
   * whose side effects must happen once (pass it to an API's idempotency key). A `/` or `%` in
   * either id is escaped (`%2F`, `%25`), so that two tasks never share a key.
   */
  readonly idempotencyKey: string;
  /** Fires when the attempt is cancelled or times out; pass it to `fetch`, child processes, … */
  readonly signal: AbortSignal;
  /** The attempt's time limit in ms (the task's `timeoutMs`), when it has one: the signal fires then. */
  readonly timeoutMs?: number | undefined;
  /**
   * Adds tasks to the run when this attempt succeeds, a warning included (dynamic work). Spawned tasks depend on
   * this task and may depend on each other and on completed tasks; this task's dependents wait
   * for them. They are validated like any DAG: a bad spawn fails this task, not the run.
   * Call it before the agent returns (or resolves, or completes): once the attempt has ended
   * (with its outcome, or cancelled, or timed out) it throws rather than drop the tasks.
   *
   * @example
   * ctx.spawn(topics.map((topic, i) => ({ id: `search-${i}`, agent: 'search', input: topic })));
   */
  spawn(tasks: readonly TaskSpec[]): void;
}

/** What an agent may return: an Observable, a promise, an async iterable, or a plain value. */
export type AgentResult<T = unknown> = ObservableInput<T> | T;

/**
 * An agent runs one attempt of a task. It may return a value, a promise, an Observable or an
 * async iterable (its last value is the output; values before it are not reported). Failing means
 * throwing, rejecting or erroring; give the error a `severity` (see {@link AgentError}) to say
 * how bad it is. Arrays and other sync iterables are plain values, not streams.
 */
export type Agent<Input = unknown, Upstream extends UpstreamOutputs = UpstreamOutputs> = {
  // declared as a method's type, whose parameter TypeScript checks both ways: an agent typed for
  // its tasks' input (`Agent<{ url: string }>`) still fits an agents map of plain `Agent`s
  agent(task: TaskContext<Input, Upstream>): AgentResult;
}['agent'];

/** The severities an error may carry. */
const SEVERITIES: ReadonlySet<unknown> = new Set<Severity>(['warning', 'error', 'critical']);

/** The options an {@link AgentError} takes. */
const AGENT_ERROR_OPTIONS = ['severity', 'output', 'cause', 'retry', 'retryAfterMs', 'pauseLimits'];

/** Throws a `TypeError` for options of an {@link AgentError} that are no object, or that it does not take (`retryAfter`). */
function refuseUnknownOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      `rxdag: AgentError options must be an object { ${AGENT_ERROR_OPTIONS.join('?, ')}? } (got ${describeValue(options)})`,
    );
  }
  const unknown = unknownOptionMessages(options, AGENT_ERROR_OPTIONS);
  if (unknown.length > 0) throw new TypeError(`rxdag: AgentError ${unknown.join('; ')}`);
}

/** What an {@link AgentError} says besides its message: see there. */
export interface AgentErrorOptions {
  readonly severity?: Severity | undefined;
  /** With `warning`: the task's output. */
  readonly output?: unknown;
  readonly cause?: unknown;
  /** `false`: no other attempt, whatever the retry policy allows. @default true */
  readonly retry?: boolean | undefined;
  /** The wait before the next attempt, instead of the policy's backoff. */
  readonly retryAfterMs?: number | undefined;
  /** With `retryAfterMs`: no task starts on the limits the task names for that long. @default false */
  readonly pauseLimits?: boolean | undefined;
}

/**
 * An error an agent throws to choose its severity: `warning` (recorded, the task still
 * succeeds with `output`, which must be JSON-safe like a returned one), `error` (retried by the task's policy, then the task fails and its
 * dependents are skipped) or `critical` (the whole run is cancelled at once).
 * Any error with a `severity` property works the same; other errors count as `error`.
 *
 * An `error` may also say how to retry: `retry: false` fails the task now, attempts left or not
 * (a request that can never succeed: a prompt too long, a bad credential), and the run's failure
 * policy applies as to any task that failed for good; `retryAfterMs` waits that long before the
 * next attempt instead of the policy's backoff (a server's `Retry-After`), still within the
 * policy's `attempts`. With `pauseLimits: true` as well, no task starts on the limits the task
 * names for that long, in any run of the scheduler (a provider's rate limit is everyone's: the
 * tasks waiting for it would only be refused too). Any error with these properties works the same.
 *
 * @example
 * throw new AgentError('quota exhausted', { severity: 'critical' });
 * throw new AgentError('rate limited', { retryAfterMs: 12_000 });
 * throw new AgentError('prompt too long', { retry: false });
 * throw new AgentError('429 from the provider', { retryAfterMs: 30_000, pauseLimits: true });
 */
export class AgentError extends Error {
  override readonly name: string = 'AgentError';
  readonly severity: Severity;
  /** With `warning`: the task's output. */
  readonly output: unknown;
  /** `false`: no other attempt, whatever the retry policy allows. */
  readonly retry: boolean;
  /** The wait before the next attempt, instead of the policy's backoff. */
  readonly retryAfterMs: number | undefined;
  /** No task starts on the limits the task names for `retryAfterMs`. */
  readonly pauseLimits: boolean;

  constructor(message: string, options: AgentErrorOptions = {}) {
    refuseUnknownOptions(options);
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const { severity = 'error', retry = true, retryAfterMs, pauseLimits = false } = options;
    if (!SEVERITIES.has(severity)) {
      throw new TypeError(`rxdag: AgentError \`severity\` must be "warning", "error" or "critical" (got ${describeValue(severity)})`);
    }
    if (typeof retry !== 'boolean') throw new TypeError(`rxdag: AgentError \`retry\` must be true or false (got ${describeValue(retry)})`);
    if (retryAfterMs !== undefined && !isRetryWait(retryAfterMs)) {
      throw new TypeError(
        `rxdag: AgentError \`retryAfterMs\` must be a number of milliseconds from 0 to ${MAX_TIMER_MS} (got ${describeValue(retryAfterMs)})`,
      );
    }
    if (typeof pauseLimits !== 'boolean') {
      throw new TypeError(`rxdag: AgentError \`pauseLimits\` must be true or false (got ${describeValue(pauseLimits)})`);
    }
    if (pauseLimits && retryAfterMs === undefined) {
      throw new TypeError('rxdag: AgentError `pauseLimits` needs `retryAfterMs`: how long the limits are paused');
    }
    this.severity = severity;
    this.output = options.output;
    this.retry = retry;
    this.retryAfterMs = retryAfterMs;
    this.pauseLimits = pauseLimits;
  }
}

/** The severity an error carries, `error` when it carries none (or reading it throws). */
export function severityOf(error: unknown): Severity {
  try {
    const severity: unknown = typeof error === 'object' && error !== null ? (error as { severity?: unknown }).severity : undefined;
    return SEVERITIES.has(severity) ? (severity as Severity) : 'error';
  } catch {
    return 'error';
  }
}

/** How a failed attempt asks to be retried (see {@link AgentError}). */
export interface RetryHint {
  /** `false`: no other attempt. */
  readonly retry: boolean;
  /** The wait before the next attempt, instead of the policy's backoff. */
  readonly retryAfterMs: number | undefined;
  /** No task starts on the limits the task names for `retryAfterMs` (never without it). */
  readonly pauseLimits: boolean;
}

const NO_HINT: RetryHint = Object.freeze({ retry: true, retryAfterMs: undefined, pauseLimits: false });

/**
 * The retry hint an error carries: `retry === false` and a `retryAfterMs` of 0 to
 * {@link MAX_TIMER_MS} ms; any other value of either (or a getter that throws) is no hint.
 * @internal
 */
export function retryHintOf(error: unknown): RetryHint {
  const retry = fieldOf(error, 'retry', (value) => (value === false ? false : undefined));
  const retryAfterMs = fieldOf(error, 'retryAfterMs', (value) => (isRetryWait(value) ? value : undefined));
  if (retry === undefined && retryAfterMs === undefined) return NO_HINT;
  const pauseLimits = retryAfterMs !== undefined && fieldOf(error, 'pauseLimits', (value) => value === true) === true;
  return { retry: retry ?? true, retryAfterMs, pauseLimits };
}

function isRetryWait(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value <= MAX_TIMER_MS;
}

/**
 * What an agent that runs its attempts elsewhere (a remote worker) resolves with: the output,
 * and the worker that produced it (`host:pid`), which `task.completed` then carries as `worker`.
 *
 * @example
 * return new WorkerResult(reply.output, reply.worker);
 */
export class WorkerResult {
  constructor(
    readonly output: unknown,
    /** Where the attempt ran, e.g. `gpu-3:41872`. */
    readonly worker: string,
  ) {}
}

/**
 * The output a `warning` carries (an `AgentError`'s `output`), as a JSON-safe copy; `undefined`
 * when it is not JSON-safe (the attempt failed such a warning already, see
 * {@link warningOutputProblem}), or when reading it throws.
 * @internal
 */
export function warningOutput(error: unknown): unknown {
  return fieldOf(error, 'output', (output) => {
    const checked = toJsonSafe(output);
    return checked.ok ? checked.value : undefined;
  });
}

/**
 * Why a warning's output (an `AgentError`'s `output`) cannot travel in a JSON event, `undefined`
 * when it can, when there is none, or when reading it throws. The attempt checks it so a warning
 * is held to the same rule as a returned output.
 * @internal
 */
export function warningOutputProblem(error: unknown): string | undefined {
  return fieldOf(error, 'output', (output) => {
    const checked = toJsonSafe(output);
    return checked.ok ? undefined : checked.problem;
  });
}

/**
 * The worker a thrown error names (`error.worker`, a string: a remote agent's errors carry the
 * `host:pid` that ran the attempt), so the attempt's `task.completed` (a warning) or
 * `task.failed` says where it ran.
 * @internal
 */
export function workerOf(error: unknown): string | undefined {
  return fieldOf(error, 'worker', (worker) => (typeof worker === 'string' ? worker : undefined));
}

/** A field of a thrown value read safely (a hostile getter gives `undefined`), then checked. */
function fieldOf<T>(error: unknown, name: string, check: (value: unknown) => T | undefined): T | undefined {
  let value: unknown;
  try {
    value = typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;
  } catch {
    return undefined; // a hostile getter: nothing rather than a crash
  }
  return value === undefined ? undefined : check(value);
}

/**
 * The JSON-safe `{ name, message }` of anything thrown, Error or not. Never throws: a value
 * whose getters throw, or a revoked proxy, is described as such. The message tells the error's
 * `cause` and an `AggregateError`'s `errors` too (see {@link reasonsOf}): only these two fields
 * travel in events, and `fetch failed` alone does not say what failed. A message longer than
 * {@link MAX_MESSAGE_CHARS} keeps its start and its end (see {@link shortened}).
 */
export function errorInfo(error: unknown): ErrorInfo {
  try {
    if (typeof error === 'object' && error !== null) {
      const { name, message } = error as { name?: unknown; message?: unknown };
      if (typeof message === 'string') {
        const reasons = reasonsOf(error);
        // `new AggregateError(errors)` has no message of its own: its errors are it
        const full = message === '' && reasons !== '' ? reasons.slice(' ('.length, -')'.length) : message + reasons;
        return { name: typeof name === 'string' ? shortened(name, MAX_NAME_CHARS) : 'Error', message: shortened(full) };
      }
    }
    return { name: 'NonError', message: `agent threw a non-Error value: ${describeValue(error)}` };
  } catch {
    return { name: 'NonError', message: 'agent threw a value that cannot be read (its properties throw)' };
  }
}

/** Most causes down a chain, and most errors of an `AggregateError`, a message tells. */
const MOST_REASONS = 3;
/** Most characters of each of them a message tells. */
const MOST_REASON_CHARS = 500;

/**
 * What an error's `cause` (down a chain of causes) and an `AggregateError`'s `errors` add to its
 * message, `" (cause: Error: connect ECONNREFUSED 127.0.0.1:1)"`, or `''` when it has neither.
 * Each is read safely: a field whose getter throws adds nothing.
 */
function reasonsOf(error: object): string {
  const parts: string[] = [];
  const errors = fieldOf(error, 'errors', (value) => (Array.isArray(value) ? (value as readonly unknown[]) : undefined));
  if (errors !== undefined && errors.length > 0) {
    const more = errors.length > MOST_REASONS ? `; and ${errors.length - MOST_REASONS} more` : '';
    parts.push(`errors: ${errors.slice(0, MOST_REASONS).map(briefly).join('; ')}${more}`);
  }
  const seen = new Set<unknown>([error]);
  for (let cause = fieldOf(error, 'cause', (value) => value); cause !== undefined && !seen.has(cause);) {
    if (seen.size > MOST_REASONS) {
      parts.push('cause: …');
      break;
    }
    parts.push(`cause: ${briefly(cause)}`);
    seen.add(cause);
    cause = fieldOf(cause, 'cause', (value) => value);
  }
  return parts.length === 0 ? '' : ` (${parts.join('; ')})`;
}

/** An error among an error's reasons, as `Name: message` (the message's own reasons left out), cut short. */
function briefly(reason: unknown): string {
  const message = fieldOf(reason, 'message', (value) => (typeof value === 'string' ? value : undefined));
  const name = fieldOf(reason, 'name', (value) => (typeof value === 'string' ? value : undefined)) ?? 'Error';
  const text = message === undefined ? describeValue(reason) : message === '' ? name : `${name}: ${message}`;
  return text.length > MOST_REASON_CHARS ? `${text.slice(0, MOST_REASON_CHARS)}…` : text;
}

/**
 * Most characters of an error's message an event carries: an error that quotes a whole prompt or
 * response (an LLM API's) would otherwise be journaled, logged and shown whole at each attempt.
 */
export const MAX_MESSAGE_CHARS = 20_000;

/** Most characters of an error's name an event carries. */
const MAX_NAME_CHARS = 200;

/**
 * `text`, or past `most` characters its start and its end (four fifths and one fifth of what is
 * kept) around a note of what was left out, `most` characters in all: shortened again (a remote
 * error, by its worker and then by its scheduler), it stays as it is.
 */
function shortened(text: string, most = MAX_MESSAGE_CHARS): string {
  if (text.length <= most) return text;
  const note = (left: number) => `\n… (${left} characters left out) …\n`;
  const kept = most - note(text.length).length;
  const tail = Math.floor(kept / 5);
  return `${text.slice(0, kept - tail)}${note(text.length - kept)}${text.slice(text.length - tail)}`;
}

function describeValue(value: unknown): string {
  try {
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'number') return String(value); // NaN and Infinity, which JSON writes as null
    if (typeof value === 'symbol' || typeof value === 'function') return String(value);
    const json = JSON.stringify(value);
    return json === undefined ? String(value) : json.length > 200 ? `${json.slice(0, 200)}…` : json;
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return 'an unreadable value';
    }
  }
}
