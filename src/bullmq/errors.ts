/**
 * The errors of remote attempts, each with the `severity` that routes it like a local agent's
 * error: a worker lost too often (`WorkerLostError`), a job or result refused for its signature
 * (`UnauthorizedJobError`), a job a worker cannot run (`UnknownAgentError`, `InvalidJobError`), a
 * job id another run's job already has (`RunIdTakenError`), a job too big to send (`JobTooLargeError`),
 * an agent's error carried back from a worker (`RemoteAgentError`), and a job that BullMQ failed
 * or lost (`RemoteJobError`). Classes only.
 */
import type { Severity } from '../index';

/**
 * The attempt's worker stopped renewing its lease (it died, hung, or lost Redis) more than
 * `maxLeaseLosses` times. `error`: the task's retry policy applies.
 */
export class WorkerLostError extends Error {
  override readonly name = 'WorkerLostError';
  readonly severity: Severity = 'error';
  constructor(
    readonly jobId: string,
    /** How many times the lease lapsed, when known. */
    readonly leaseLosses: number | undefined,
  ) {
    const times = leaseLosses === undefined ? 'more times than allowed' : `${leaseLosses} time${leaseLosses === 1 ? '' : 's'}`;
    super(
      `job "${jobId}": the workers running it stopped renewing its lease ${times} (a worker died, hung, lost Redis, or paused longer than two thirds of its lease)`,
    );
  }
}

/**
 * A job refused by a worker, or a result refused by the scheduler, because it is unsigned,
 * signed with another key, altered, or expired. Nothing ran. `critical`: the run ends at once.
 * The contract says such an attempt is not retried, and a retry could not help: it would be
 * signed with the same key; a wrong key or a tampered Redis is a fault of the deployment,
 * where carrying on with other branches would only fail them the same way.
 */
export class UnauthorizedJobError extends Error {
  override readonly name = 'UnauthorizedJobError';
  readonly severity: Severity = 'critical';
}

/**
 * An attempt whose job id (`run|task|attempt`) already names another run's job on the queue: two
 * schedulers give runs the same id on one prefix (a fixed `runId`), or a run of that id left its
 * jobs there (kept for `retainMs`). Its outcome is not taken, and the job is left alone.
 * `critical`: every task of the run would meet the other's jobs; the run needs an id of its own.
 */
export class RunIdTakenError extends Error {
  override readonly name = 'RunIdTakenError';
  readonly severity: Severity = 'critical';
  constructor(jobId: string, where: { readonly queue: string; readonly prefix: string }, other: string) {
    super(
      `job "${jobId}" of queue "${where.queue}" (prefix "${where.prefix}") is another run's (${other}), not this attempt's: ` +
        'another scheduler runs a run of the same id on this prefix, or one did recently; give each run an id of its own there',
    );
  }
}

/**
 * An attempt whose job would carry more JSON than a job may (`MAX_JOB_CHARS`): its task's input
 * and, with context injection, every dependency's output; or whose result would, back from its
 * worker (`MAX_RESULT_BYTES`). `error` with `retry: false`: every attempt would carry the same.
 */
export class JobTooLargeError extends RangeError {
  override readonly name = 'JobTooLargeError';
  readonly severity: Severity = 'error';
  readonly retry = false;
}

/**
 * An attempt whose task input JSON would not keep as it is (a `Date`, a `Map`, `NaN`, a BigInt,
 * a cycle): a job carries its task's input to the worker as JSON, so the worker's agent would be
 * given another value. `error` with `retry: false`: every attempt would send the same input.
 */
export class InputNotJsonSafeError extends TypeError {
  override readonly name = 'InputNotJsonSafeError';
  readonly severity: Severity = 'error';
  readonly retry = false;
}

/**
 * A worker has no agent of the job's name, or does not allow it. `error`: another worker of the
 * same queue may have it, so the retry policy applies.
 */
export class UnknownAgentError extends Error {
  override readonly name = 'UnknownAgentError';
  readonly severity: Severity = 'error';
}

/**
 * A job whose data is not what a worker expects (another rxdag version, or not written by
 * rxdag), or a result that is not an rxdag outcome. `critical`: retrying sends the same data.
 */
export class InvalidJobError extends Error {
  override readonly name = 'InvalidJobError';
  readonly severity: Severity = 'critical';
}

/**
 * An agent's error, as a worker reported it: the remote error's `name`, `message` and
 * `severity` (and a `warning`'s `output`, and the retry hint: `retry`, `retryAfterMs`, `pauseLimits`), plus
 * the `worker` that ran the attempt.
 */
export class RemoteAgentError extends Error {
  override readonly name: string;
  readonly severity: Severity;
  /** With `warning`: the task's output. */
  readonly output: unknown;
  /** `false` when the remote error asked for no other attempt. */
  readonly retry: boolean;
  /** The wait before the next attempt the remote error asked for. */
  readonly retryAfterMs: number | undefined;
  /** The remote error asked to pause the task's limits for `retryAfterMs`. */
  readonly pauseLimits: boolean;
  constructor(
    remote: {
      readonly name: string;
      readonly message: string;
      readonly severity: Severity;
      readonly output?: unknown;
      readonly retry?: false | undefined;
      readonly retryAfterMs?: number | undefined;
      readonly pauseLimits?: true | undefined;
    },
    /** `host:pid` of the worker. */
    readonly worker: string,
  ) {
    super(remote.message);
    this.name = remote.name;
    this.severity = remote.severity;
    this.output = remote.output;
    this.retry = remote.retry ?? true;
    this.retryAfterMs = remote.retryAfterMs;
    this.pauseLimits = remote.pauseLimits === true;
  }
}

/**
 * A job BullMQ failed on a worker (not an agent's error: those come back as outcomes), or that
 * is no longer in Redis. `error`: the retry policy applies.
 */
export class RemoteJobError extends Error {
  override readonly name = 'RemoteJobError';
  readonly severity: Severity = 'error';
}

/** What the timeout of an attempt that waited out an earlier, cancelled job of its id adds to its error. */
export const STOPPED_JOB_DETAIL =
  'its job waited for an earlier job of the same id (of a run of the same id, cancelled) to end on its worker: a cancel stopped that one';

/**
 * What a timed-out attempt whose job no worker took adds to its error: that its workers were busy,
 * when they took `taken` of this scheduler's jobs (`running` of them now), else that none may
 * serve the queue (a wrong prefix, queue or key, or no worker started), which a time limit alone
 * cannot tell from a slow attempt.
 */
export function notTakenDetail(
  where: { readonly queue: string; readonly prefix: string; readonly database: number },
  taken: number,
  running: number,
): string {
  // a database of its own is named: a worker on database 0 of the same Redis sees none of its jobs
  const database = where.database === 0 ? '' : `, Redis database ${where.database}`;
  return (
    `no worker took its job (queue "${where.queue}", prefix "${where.prefix}"${database}) as far as this scheduler heard: ` +
    (taken > 0
      ? `its workers were busy (they took ${taken} of this scheduler's jobs, ${running} running now; other schedulers' jobs may be ahead in the queue)`
      : `is a worker serving that queue, with the same prefix${database === '' ? '' : ', database'} and key? (or were they all busy with other schedulers' jobs)`)
  );
}
