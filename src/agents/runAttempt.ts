import type { AsyncResource } from 'node:async_hooks';
import { setMaxListeners } from 'node:events';
import { from, isObservable, Observable, type SchedulerLike, type Subscriber, type Subscription, type TeardownLogic } from 'rxjs';
import { DagValidationError } from '../dag/errors';
import type { TaskSpec } from '../dag/schema';
import type { ErrorInfo } from '../events';
import { type JsonCheck, toJsonSafe } from '../jsonSafe';
import { SyncResult } from './adapters';
import { isInteropOrAsyncIterable, isPromiseLike } from './resultKinds';
import {
  type AgentResult,
  errorInfo,
  severityOf,
  type TaskContext,
  warningOutput,
  warningOutputProblem,
  workerOf,
  WorkerResult,
} from './agent';
import { AttemptContext, type RecordedCallback } from './attemptContext';
import { OutputNotJsonSafeError, TaskCancelledError, TaskTimeoutError } from './attemptErrors';
import { afterLateTimer } from './lateTimer';
import { SpawnedTasks } from './spawnedTasks';

/**
 * One attempt of a task as a cold Observable: calls the agent, follows whatever it returns
 * (value, promise, Observable, async iterable), enforces the time limit on the scheduler's clock,
 * aborts the agent's `AbortSignal` on timeout or cancel, checks the output is JSON-safe (a
 * warning's output too), and emits exactly one outcome. It does not decide what an outcome
 * leads to (retry, skip, fail): the run controller does, with `routeFailure`. What the agent is
 * handed, its `TaskContext`, is built in `attemptContext.ts`.
 */

/** How one attempt ended. `timedOutAfterMs` is set when the attempt passed its time limit. */
export type AttemptOutcome =
  | {
      readonly ok: true;
      readonly output: unknown;
      readonly warning?: ErrorInfo;
      readonly spawned?: readonly TaskSpec[];
      readonly worker?: string;
    }
  | { readonly ok: false; readonly error: unknown; readonly timedOutAfterMs?: number };

/**
 * What calling an agent gives when the agent cannot be called yet (its instance is being made
 * by an async `create`): the attempt waits for `ready`, then calls `call` with what it resolved
 * to, unless the attempt ended meanwhile. A rejection of `ready` fails the attempt.
 * @internal
 */
export class CallWhenReady {
  constructor(
    readonly ready: PromiseLike<unknown>,
    readonly call: (value: unknown) => AgentResult,
  ) {}
}

const NO_OUTPUT: JsonCheck = Object.freeze({ ok: true, value: undefined, atMostBytes: 0 });

/**
 * A successful outcome. A class rather than an object literal, as for the pipeline's other
 * per-task objects, so V8 never pretenures their allocation site (benchmarks/README.md,
 * "Tricks and why").
 */
class Success {
  readonly ok = true as const;
  constructor(
    readonly output: unknown,
    readonly warning?: ErrorInfo,
    readonly spawned?: readonly TaskSpec[],
    /** Where a remote attempt ran (see `WorkerResult`). */
    readonly worker?: string,
  ) {}
}

/** A failed outcome (see {@link Success}). */
class Failure {
  readonly ok = false as const;
  constructor(
    readonly error: unknown,
    readonly timedOutAfterMs?: number,
  ) {}
}

const SUCCESS_WITHOUT_OUTPUT: AttemptOutcome = Object.freeze(new Success(undefined));

/** The warning of a streaming agent that completed without emitting a value. */
const EMPTY_RESULT: ErrorInfo = Object.freeze({ name: 'EmptyResult', message: 'agent completed without a value' });

/** What one attempt needs from the pipeline: the task's data and a few callbacks. */
export interface AttemptHost<T> {
  readonly taskId: string;
  readonly runId: string;
  readonly dagId: string;
  readonly input: unknown;
  readonly attempt: number;
  /** Per-attempt time limit, `undefined` for none. */
  readonly timeoutMs: number | undefined;
  /** The time limit the agent's context tells, when not `timeoutMs` (a worker enforces a later one). */
  readonly taskTimeoutMs?: number | undefined;
  /**
   * Whether the attempt was stopped before its agent is called (its run cancelled by a listener
   * of its `task.started`): the reason its signal fires with (`true`: a `TaskCancelledError`).
   * The agent is still called, as `task.started` said, with its signal fired already.
   */
  abortedBeforeCall?(): Error | true | undefined;
  /**
   * The async context the attempt runs in (its agent call, timers and callbacks), when not the
   * one it is subscribed in: its run's, so that AsyncLocalStorage stores (a request's logger, the
   * active OpenTelemetry span) reach the agent and not those of whatever dispatched it.
   */
  readonly scope?: AsyncResource;
  /** Calls the agent. */
  call(context: TaskContext): AgentResult;
  /** Calls back once the attempt's outcome is recorded, or not (see `afterRecorded`); without it, at once with `true`. */
  afterRecorded?(callback: RecordedCallback): void;
  /** Builds `upstream`; called only if the agent reads it. */
  upstream(): Readonly<Record<string, unknown>>;
  /** What the attempt Observable emits for its outcome. */
  wrap(outcome: AttemptOutcome): T;
  /**
   * Receives the function that ends the attempt from outside: a cancel, whose `reason` (a
   * `TaskCancelledError` when not given) the agent's `AbortSignal` fires with.
   */
  bindStop(stop: (reason?: Error) => void): void;
}

/**
 * One attempt of a task as a cold Observable: calling the agent on subscribe, emitting exactly
 * one wrapped {@link AttemptOutcome} and completing, or emitting nothing when stopped or
 * unsubscribed (cancelled). The time limit is a timer on `scheduler`; on timeout or cancel the
 * agent's `AbortSignal` fires and its subscription (if it returned an Observable) is torn down.
 */
export function runAttempt<T>(host: AttemptHost<T>, scheduler: SchedulerLike): Observable<T> {
  return new Observable<T>((subscriber) => new AttemptExecution(host, scheduler, subscriber).start());
}

/** The mutable state of one subscribed attempt, as fields rather than a dozen closures. */
class AttemptExecution<T> {
  // Created only when the agent reads `signal`: an AbortController per task is measurable at 1M tasks.
  private controller: AbortController | undefined;
  // The agent's own subscription when it returned an Observable-like.
  private agentSubscription: Subscription | undefined;
  private timer: Subscription | undefined;
  private settled = false;
  /** Tasks its agent asked for through `spawn`, handed over with a successful outcome; made on the first call. */
  private spawned: SpawnedTasks | undefined;
  // what the signal fires with when the attempt is stopped from outside
  private stopReason: Error | undefined;
  // the attempt timed out or was cancelled before its agent read `signal`: the signal it reads
  // afterwards has fired already, with `lateReason` (a `TaskCancelledError` when undefined)
  private stoppedUnread = false;
  private lateReason: unknown;

  constructor(
    private readonly host: AttemptHost<T>,
    private readonly scheduler: SchedulerLike,
    private readonly subscriber: Subscriber<T>,
  ) {}

  start(): TeardownLogic {
    const scope = this.host.scope;
    return scope === undefined ? this.begin() : scope.runInAsyncScope(this.begin, this);
  }

  private begin(): TeardownLogic {
    const { host } = this;
    host.bindStop((reason) => {
      this.stopReason = reason;
      this.subscriber.complete();
    });
    const context = new AttemptContext(host, this);
    const timeoutMs = host.timeoutMs;
    if (timeoutMs !== undefined) {
      const due = this.scheduler.now() + timeoutMs;
      // the error names the task's own limit, also when this host enforces a later one
      const timeOut = () => this.settle(new Failure(new TaskTimeoutError(host.taskId, host.taskTimeoutMs ?? timeoutMs), timeoutMs));
      // a timer fired late hears the agent's end first, if it came meanwhile
      this.timer = this.scheduler.schedule(
        () => (this.timer = afterLateTimer(this.scheduler, this.scheduler.now() - due, timeOut)),
        timeoutMs,
      );
    }
    const early = host.abortedBeforeCall?.();
    if (early !== undefined) this.abort(early === true ? undefined : early);
    let result: unknown;
    try {
      result = host.call(context);
    } catch (error) {
      this.fail(error);
      return;
    }
    this.followSafely(result);
    return () => this.teardown();
  }

  /** Whether the attempt has its outcome, or was cancelled. */
  ended(): boolean {
    return this.settled;
  }

  keepSpawned(tasks: readonly TaskSpec[]): void {
    (this.spawned ??= new SpawnedTasks()).keep(tasks);
  }

  /** Whether the agent called `spawn` with any task. */
  private hasSpawned(): boolean {
    return this.spawned?.any === true;
  }

  private followSafely(result: unknown): void {
    try {
      this.follow(result);
    } catch (error) {
      // a thenable whose `then` throws, a proxy that refuses to be inspected: the attempt fails
      this.fail(error);
    }
  }

  /** Waits for what the agent returned, however it delivers it. */
  private follow(result: unknown): void {
    if (result instanceof SyncResult) {
      this.succeed(result.value);
    } else if (result instanceof CallWhenReady) {
      result.ready.then(
        (value) => {
          if (this.settled) return; // timed out or cancelled while waiting: the agent is not called
          let next: unknown;
          try {
            next = result.call(value);
          } catch (error) {
            this.fail(error);
            return;
          }
          this.followSafely(next);
        },
        (error: unknown) => this.fail(error),
      );
    } else if (isObservable(result) || isInteropOrAsyncIterable(result)) {
      let last: unknown;
      let emitted = false;
      this.agentSubscription = from(result as AsyncIterable<unknown>).subscribe({
        next: (value) => {
          last = value;
          emitted = true;
        },
        error: (error: unknown) => this.fail(error),
        complete: () => (emitted ? this.succeed(last) : this.completeEmpty()),
      });
    } else if (isPromiseLike(result)) {
      result.then(
        (value) => this.succeed(value),
        (error: unknown) => this.fail(error),
      );
    } else {
      this.succeed(result);
    }
  }

  /** The attempt's AbortSignal, made on first use (fired at once when the attempt was stopped before). */
  signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      noListenerLimit(this.controller.signal);
      if (this.stoppedUnread) this.controller.abort(this.lateReason ?? new TaskCancelledError(this.host.taskId));
    }
    return this.controller.signal;
  }

  /** Fires the signal with `reason`, or has it fire when first read. */
  private abort(reason: unknown): void {
    if (this.controller !== undefined) this.controller.abort(reason ?? new TaskCancelledError(this.host.taskId));
    else {
      this.stoppedUnread = true;
      this.lateReason = reason;
    }
  }

  private succeed(result: unknown): void {
    let worker: string | undefined;
    let output: unknown;
    try {
      worker = result instanceof WorkerResult ? result.worker : undefined;
      output = result instanceof WorkerResult ? result.output : result;
    } catch (error) {
      return this.fail(error); // a proxy that refuses to be inspected, resolved by a promise or emitted last: no stack trace from a callback
    }
    // outputs and spawned specs travel in events: keep a frozen JSON-safe copy, so nothing the
    // agent does with its objects afterwards changes what was emitted
    const checked = output === undefined ? NO_OUTPUT : toJsonSafe(output);
    if (!checked.ok) {
      this.settle(new Failure(new OutputNotJsonSafeError(`output of task "${this.host.taskId}" is not JSON-safe: ${checked.problem}`)));
      return;
    }
    if (!this.hasSpawned()) {
      if (worker !== undefined) this.settle(new Success(checked.value, undefined, undefined, worker));
      else this.settle(checked.value === undefined ? SUCCESS_WITHOUT_OUTPUT : new Success(checked.value));
      return;
    }
    this.succeedSpawning(checked.value, undefined, worker);
  }

  /**
   * A streaming agent completed without a value: a success with the `EmptyResult` warning, and,
   * as a warning is, with the tasks the agent spawned.
   */
  private completeEmpty(): void {
    if (!this.hasSpawned()) return this.settle(new Success(undefined, EMPTY_RESULT));
    this.succeedSpawning(undefined, EMPTY_RESULT);
  }

  /**
   * Fails the attempt with what the agent threw. A warning's output is checked like a returned
   * one: when it cannot travel in a JSON event, the attempt fails as if the agent had returned it.
   * A warning is a success with a note, so the tasks the agent spawned before it are kept.
   */
  private fail(error: unknown): void {
    if (this.settled) return; // a late error: the outcome is known
    // a remote attempt its worker stopped at the task's time limit (no scheduler timed it out: the
    // run's was down, and this one took the run up after) timed out, as it would have here
    const limit = this.host.taskTimeoutMs ?? this.host.timeoutMs;
    if (limit !== undefined && workerOf(error) !== undefined && (error as { name?: unknown }).name === 'TaskTimeoutError') {
      this.settle(new Failure(error, limit));
      return;
    }
    const warning = severityOf(error) === 'warning';
    const problem = warning ? warningOutputProblem(error) : undefined;
    if (problem !== undefined) {
      const message = `output of task "${this.host.taskId}" is not JSON-safe: ${problem}`;
      this.settle(new Failure(new OutputNotJsonSafeError(message, { cause: error })));
      return;
    }
    if (!warning || !this.hasSpawned()) {
      this.settle(new Failure(error));
      return;
    }
    this.succeedSpawning(warningOutput(error), errorInfo(error), workerOf(error));
  }

  /**
   * Settles a success with the tasks the agent spawned (copied as `spawn` was called); when they
   * cannot travel in an event the attempt fails instead (a bad spawn like any other: the spawner
   * fails with the detail, the run goes on). Called only once the agent spawned some.
   */
  private succeedSpawning(output: unknown, warning?: ErrorInfo, worker?: string): void {
    const spawned = this.spawned!;
    const message = spawned.problem;
    if (message === undefined) return this.settle(new Success(output, warning, spawned.kept(), worker));
    this.settle(
      new Failure(new DagValidationError([{ path: ['spawn'], code: 'invalid-value', message }], this.host.dagId, this.host.taskId)),
    );
  }

  private settle(outcome: AttemptOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.timer?.unsubscribe();
    // before the outcome goes out: the agent's abort listeners may add to the timeout's error
    if (!outcome.ok && outcome.timedOutAfterMs !== undefined) this.abort(outcome.error);
    this.subscriber.next(this.host.wrap(outcome));
    this.subscriber.complete();
  }

  private teardown(): void {
    this.timer?.unsubscribe();
    // the signal fires before the agent's own teardown runs, so that teardown can read why
    if (!this.settled) {
      this.settled = true;
      this.abort(this.stopReason);
    }
    try {
      this.agentSubscription?.unsubscribe();
    } catch {
      // the agent's own teardown threw (a client closing what was closed): ignored, as what
      // `dispose` throws is; the attempt has its outcome, and thrown here it would end the process
    }
  }
}

/** Lifts Node's limit of 10 listeners: a signal handed to many calls at once (an SDK's, a listener each) is no leak. */
function noListenerLimit(signal: AbortSignal): void {
  try {
    setMaxListeners(0, signal);
  } catch {
    // a signal of another realm (a test runner's sandbox), which Node's check refuses: its limit stays
  }
}
