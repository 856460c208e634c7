/**
 * What the scheduler side of a queue keeps of one attempt while its job is out: how to settle it,
 * what it heard of the job so far, and so whether the job in Redis under its id is its own, and
 * whether a job that vanished from Redis is added again.
 * `remoteQueue.ts` acts on it.
 */
import type { TaskContext, WorkerResult } from '../index';
import type { CancelReason } from './cancelSignals';
import type { OwnershipCheck } from './jobCancels';
import { RemoteJobError } from './errors';
import { type JobData, otherRunsJob } from './jobFormat';

/** One attempt waiting for its job's outcome. */
export interface Waiter {
  readonly jobId: string;
  readonly task: TaskContext;
  // signed again when its job is added again (see `vanished`)
  data: JobData;
  resolve(result: WorkerResult): void;
  reject(error: unknown): void;
  // the check of a job nothing was heard of for a lease period
  timer: NodeJS.Timeout | undefined;
  // its attempt was aborted: a job added after that must be cancelled again, for this reason
  aborted: CancelReason | undefined;
  // an add of its job went out to Redis (it may be there, even if the add failed): else nothing is to cancel
  sent: boolean;
  // Redis took the add of its job: a job missing since then vanished (whatever its add did)
  added: boolean;
  // a worker took its job (read from the event stream)
  taken: boolean;
  // how often its job vanished from Redis after its add (a Redis restarted without its data) and was added again
  vanished: number;
  /**
   * What its add did, as the event stream tells it (the add writes one entry, in order with the
   * job's later ones): undefined until then, so an earlier entry of its id is another job's;
   * `fresh`, a job of its own (`waiting`); `unchecked`, a job of its id was there already
   * (`duplicated`: a resumed run's attempt, or another run's of the same id on this prefix), whose
   * outcome is not taken until its data is found to be this attempt's (`checked`).
   */
  origin: 'fresh' | 'unchecked' | 'checked' | undefined;
}

/**
 * How to tell, before cancelling `waiter`'s job, that it is this attempt's: undefined when known
 * (its add made it, or its data was checked), else a look at its data, so that an attempt of a
 * run whose id another run on this prefix has never cancels that run's job.
 */
export function ownershipOf(waiter: Waiter): OwnershipCheck | undefined {
  if (waiter.origin === 'fresh' || waiter.origin === 'checked') return undefined;
  return async (queue) => {
    const job = await queue.getJob(waiter.jobId);
    return job === undefined || otherRunsJob(waiter.data, job.data) === undefined;
  };
}

/**
 * For an attempt whose add never went out: whether a job of its id is in Redis all the same and
 * is its run's (a resumed run's, added by the run's earlier process), so that its cancel is sent.
 */
export function existingOwnJob(waiter: Waiter): OwnershipCheck {
  return async (queue) => {
    const job = await queue.getJob(waiter.jobId);
    return job !== undefined && otherRunsJob(waiter.data, job.data) === undefined;
  };
}

/** How often a job that vanished from Redis untaken is added again for its attempt before the attempt fails. */
const MOST_VANISHINGS = 3;

/**
 * Whether `waiter`'s job, found missing from Redis after its add (a Redis restarted without its
 * data, a queue emptied by hand), is added again for the same attempt rather than the attempt
 * failing for what befell Redis: only if no worker took it, {@link MOST_VANISHINGS} times at most.
 * A worker that took it may still run it, and BullMQ keys a worker's locks and runs by job id, so
 * two copies of one id would confuse them; such an attempt fails, and its task's retry policy
 * applies (a new attempt, a new id).
 */
export function mayAddAgain(waiter: Waiter): boolean {
  return !waiter.taken && waiter.vanished < MOST_VANISHINGS;
}

/** Makes `waiter` (whose job no worker took) an attempt whose job is to be added again, with `data` (signed again: its first signature may be near its end). */
export function readyToAddAgain(waiter: Waiter, data: JobData): void {
  waiter.vanished++;
  waiter.sent = false;
  waiter.added = false;
  waiter.origin = undefined;
  waiter.data = data;
}

/** The error of an attempt whose job is no longer in Redis, and is not added again. */
export function vanishedError(waiter: Waiter, queue: string): RemoteJobError {
  const again =
    waiter.vanished === 0 ? '' : `; it was added again ${waiter.vanished} time${waiter.vanished === 1 ? '' : 's'} and vanished each time`;
  return new RemoteJobError(
    `job "${waiter.jobId}" on queue "${queue}" is no longer in Redis (removed by someone else, or Redis lost its data)${again}`,
  );
}
