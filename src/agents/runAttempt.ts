import { from, isObservable, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { Agent, TaskContext } from './agent';
import type { TaskSpec } from '../dag/schema';
import type { ErrorInfo } from '../events';
import { SyncResult } from './adapters';
import { jsonSafetyProblem } from '../jsonSafe';

/** The warning of a streaming agent that completed without emitting a value. */
const EMPTY_RESULT: ErrorInfo = Object.freeze({ name: 'EmptyResult', message: 'agent completed without a value' });

/** How one attempt ended. `timedOutAfterMs` is set when the attempt passed its time limit. */
export type AttemptOutcome =
  | { readonly ok: true; readonly output: unknown; readonly warning?: ErrorInfo; readonly spawned?: readonly TaskSpec[] }
  | { readonly ok: false; readonly error: unknown; readonly timedOutAfterMs?: number };

/** Raised in an attempt's `AbortSignal` and its outcome when it passes its time limit. */
export class TaskTimeoutError extends Error {
  override readonly name = 'TaskTimeoutError';
  constructor(
    readonly taskId: string,
    readonly timeoutMs: number,
  ) {
    super(`task "${taskId}" timed out after ${timeoutMs} ms`);
  }
}

/** Raised in an attempt's `AbortSignal` when its run is cancelled. */
export class TaskCancelledError extends Error {
  override readonly name = 'TaskCancelledError';
  constructor(readonly taskId: string) {
    super(`task "${taskId}" was cancelled`);
  }
}

/** Raised when an agent's output cannot travel in a JSON event. */
export class OutputNotJsonSafeError extends TypeError {
  override readonly name = 'OutputNotJsonSafeError';
}

/** The parts of a task context the attempt fills in lazily. */
export interface AttemptContextSource {
  readonly id: string;
  readonly runId: string;
  readonly dagId: string;
  readonly input: unknown;
  readonly attempt: number;
  /** Builds `upstream`; called only if the agent reads it. */
  upstream(): Readonly<Record<string, unknown>>;
}

/**
 * One attempt of a task as a cold Observable: calling the agent on subscribe, emitting exactly
 * one {@link AttemptOutcome} and completing, or emitting nothing when unsubscribed (cancelled).
 * The time limit is a timer on `scheduler`; on timeout or cancel the agent's `AbortSignal` fires
 * and its subscription (if it returned an Observable) is torn down. `bindStop` receives a
 * function that ends this attempt from outside (its inner subscription completes, freeing the
 * `mergeMap` slot).
 */
export function runAttempt<T>(
  agent: Agent,
  source: AttemptContextSource,
  timeoutMs: number | undefined,
  scheduler: SchedulerLike,
  wrap: (outcome: AttemptOutcome) => T,
  bindStop: (stop: () => void) => void = () => {},
): Observable<T> {
  return new Observable<T>((subscriber) => {
    bindStop(() => subscriber.complete());
    // Created only when the agent reads `signal`: an AbortController per task is measurable at 1M tasks.
    let controller: AbortController | undefined;
    // The agent's own subscription when it returned an Observable-like.
    let agentSubscription: Subscription | undefined;
    let timer: Subscription | undefined;
    let settled = false;

    const settle = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      timer?.unsubscribe();
      if (!outcome.ok && outcome.timedOutAfterMs !== undefined) controller?.abort(outcome.error);
      subscriber.next(wrap(outcome));
      subscriber.complete();
    };
    const succeed = (output: unknown) => {
      const problem = output === undefined ? undefined : jsonSafetyProblem(output);
      if (problem === undefined) settle(context.spawned.length > 0 ? { ok: true, output, spawned: context.spawned } : { ok: true, output });
      else settle({ ok: false, error: new OutputNotJsonSafeError(`output of task "${source.id}" is not JSON-safe: ${problem}`) });
    };

    const context = new AttemptContext(source, () => (controller ??= new AbortController()).signal);

    if (timeoutMs !== undefined) {
      timer = scheduler.schedule(() => {
        settle({ ok: false, error: new TaskTimeoutError(source.id, timeoutMs), timedOutAfterMs: timeoutMs });
      }, timeoutMs);
    }

    let result: unknown;
    try {
      result = agent(context);
    } catch (error) {
      settle({ ok: false, error });
      return;
    }
    if (result instanceof SyncResult) {
      succeed(result.value);
    } else if (isObservable(result) || isInteropOrAsyncIterable(result)) {
      let last: unknown;
      let emitted = false;
      agentSubscription = from(result as AsyncIterable<unknown>).subscribe({
        next: (value) => {
          last = value;
          emitted = true;
        },
        error: (error: unknown) => settle({ ok: false, error }),
        complete: () => (emitted ? succeed(last) : settle({ ok: true, output: undefined, warning: EMPTY_RESULT })),
      });
    } else if (isPromiseLike(result)) {
      result.then(succeed, (error: unknown) => settle({ ok: false, error }));
    } else {
      succeed(result);
    }

    return () => {
      timer?.unsubscribe();
      agentSubscription?.unsubscribe();
      if (!settled) {
        settled = true;
        controller?.abort(new TaskCancelledError(source.id));
      }
    };
  });
}

/**
 * The context an agent sees. `upstream` and `signal` are built on first read: most agents read
 * neither, and at a million tasks an eager object and AbortController per attempt are measurable.
 */
class AttemptContext implements TaskContext {
  readonly id: string;
  readonly runId: string;
  readonly dagId: string;
  readonly input: unknown;
  readonly attempt: number;
  private upstreamCache: Readonly<Record<string, unknown>> | undefined;
  /** Tasks asked for through `spawn`, handed over with a successful outcome. */
  readonly spawned: TaskSpec[] = [];

  constructor(
    private readonly source: AttemptContextSource,
    private readonly abortSignal: () => AbortSignal,
  ) {
    this.id = source.id;
    this.runId = source.runId;
    this.dagId = source.dagId;
    this.input = source.input;
    this.attempt = source.attempt;
  }

  get upstream(): Readonly<Record<string, unknown>> {
    return (this.upstreamCache ??= this.source.upstream());
  }

  get signal(): AbortSignal {
    return this.abortSignal();
  }

  spawn(tasks: readonly TaskSpec[]): void {
    if (!Array.isArray(tasks)) throw new TypeError(`spawn() of task "${this.id}" expects an array of task specs`);
    this.spawned.push(...tasks);
  }

  /** What `JSON.stringify(ctx)` and loggers show: the data, not the plumbing. */
  toJSON(): Omit<TaskContext, 'signal' | 'spawn'> {
    return { id: this.id, runId: this.runId, dagId: this.dagId, input: this.input, attempt: this.attempt, upstream: this.upstream };
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

function isInteropOrAsyncIterable(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const symbolObservable = (typeof Symbol === 'function' && (Symbol as { observable?: symbol }).observable) || '@@observable';
  return (
    typeof (value as Record<PropertyKey, unknown>)[symbolObservable] === 'function' ||
    typeof (value as Record<PropertyKey, unknown>)[Symbol.asyncIterator] === 'function'
  );
}
