/**
 * The errors an attempt ends with that its agent did not raise: its time limit passed, its run
 * was cancelled, its worker handed it back, its output would not keep as JSON. Classes only; raising them is `runAttempt.ts`'s.
 * Why apart: code that only recognises them (the CLI's shell agent) loads no RxJS.
 */

/**
 * Raised in an attempt's `AbortSignal` and its outcome when it passes its time limit. The same
 * error is both: an agent that knows where its attempt was when the time ran out (the last lines
 * a command wrote) says so with {@link TaskTimeoutError.addDetail} from the signal's `abort`
 * listener, which runs before the attempt's failure is recorded, and its `task.failed` carries it.
 *
 * @example
 * task.signal.addEventListener('abort', () => {
 *   const reason: unknown = task.signal.reason;
 *   if (reason instanceof TaskTimeoutError) reason.addDetail(`last step: ${step}`);
 * });
 */
export class TaskTimeoutError extends Error {
  override readonly name = 'TaskTimeoutError';
  constructor(
    readonly taskId: string,
    readonly timeoutMs: number,
  ) {
    super(`task "${taskId}" timed out after ${timeoutMs} ms`);
  }

  /**
   * Adds `detail` to the message, on a line of its own (`task "x" timed out after 800 ms\n…`).
   * Recorded when added from the `abort` listener of the attempt's signal; what is added later
   * reaches no event.
   */
  addDetail(detail: string): void {
    this.message += `\n${detail}`;
  }
}

/** Raised in an attempt's `AbortSignal` when its run is cancelled. */
export class TaskCancelledError extends Error {
  override readonly name = 'TaskCancelledError';
  constructor(readonly taskId: string) {
    super(`task "${taskId}" was cancelled`);
  }
}

/**
 * Raised in an attempt's `AbortSignal` when the attempt stops here to run again elsewhere: the
 * remote worker running it was closed by force (`close({ force: true })`, a second SIGTERM), or
 * it lost the attempt's lease, and another worker takes the job. Not a cancel: the same attempt
 * runs again, with the same attempt number and idempotency key, so an agent that undoes its work
 * when cancelled should not undo it for this ({@link stoppedForResume} is true).
 *
 * An agent on a worker (`rxdag/bullmq`) may throw it too, when this worker cannot run the attempt
 * now (the CLI's shell agent, when the worker has no room to start a process): its job goes back
 * to the queue for any worker, not counted as an attempt, and that worker takes no job of the
 * queue for a few seconds. A job taken several times and handed back fails its attempt, saying
 * so, with `why` and the error's `cause`. Elsewhere it fails the attempt like any error.
 */
export class AttemptHandedBackError extends Error {
  override readonly name = 'AttemptHandedBackError';
  constructor(
    readonly taskId: string,
    /** Why, in a few words: `the worker shut down`, `its lease lapsed`. */
    readonly why: string,
    options?: { readonly cause?: unknown },
  ) {
    super(`task "${taskId}" was handed back to run again on another worker: ${why}`, options);
  }
}

/**
 * Raised when an agent's output (returned, or carried by a warning) cannot travel in a JSON event
 * (a `Date`, a cycle, text longer than a string holds). Not retried (`retry: false`): an agent
 * gives such a value again on its next attempt, and for a paid call each one costs.
 */
export class OutputNotJsonSafeError extends TypeError {
  override readonly name = 'OutputNotJsonSafeError';
  readonly retry = false;
}
