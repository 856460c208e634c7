/**
 * What the scheduler side of a queue keeps of one attempt while its job is out: how to settle it,
 * what it heard of the job so far, and so whether the job in Redis under its id is its own, and
 * whether a job that vanished from Redis is added again.
 * `remoteQueue.ts` acts on it.
 */
import type { Subscriber } from 'rxjs';
import type { TaskContext, WorkerResult } from '../index';
import { type CancelReason, issuedAtOf } from './cancelSignals';
import type { OwnershipCheck } from './jobCancels';
import { RemoteJobError } from './errors';
import { type JobData, otherRunsJob } from './jobFormat';
import type { LeaseLapse } from './options';
import { tell } from './listeners';

/** One attempt waiting for its job's outcome. */
export interface Waiter {
  readonly jobId: string;
  readonly task: TaskContext;
  // signed again when its job is added again (see `vanished`)
  data: JobData;
  // which add of its job id it waits on (that job's `issuedAt`): its own, or the one it re-attached to
  issuedAt: number;
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
   * outcome is not taken until its data is found to be this attempt's (`checked`), or to be an add
   * a cancel stopped (`stopped`: an earlier run of the same id cancelled it, or the run did before
   * a resume that its journal did not record), whose outcome is not this attempt's: once that job
   * is gone the attempt's own is added.
   */
  origin: 'fresh' | 'unchecked' | 'checked' | 'stopped' | undefined;
  // a look at its job in Redis is under way; another was asked for meanwhile (see `lookInTurn`)
  looking: boolean;
  lookAgain: boolean;
}

/** A new attempt's waiter, for its job of `data`, settling `subscriber`. */
export function waiterFor(task: TaskContext, jobId: string, data: JobData, subscriber: Subscriber<WorkerResult>): Waiter {
  return {
    jobId,
    task,
    data,
    issuedAt: data.issuedAt,
    resolve: (result) => {
      subscriber.next(result);
      subscriber.complete();
    },
    reject: (error) => subscriber.error(error),
    timer: undefined,
    aborted: undefined,
    sent: false,
    added: false,
    taken: false,
    vanished: 0,
    origin: undefined,
    looking: false,
    lookAgain: false,
  };
}

/** Notes that a worker took `waiter`'s job: true the first time. */
export function markTaken(waiter: Waiter): boolean {
  if (waiter.taken) return false;
  return (waiter.taken = true);
}

/**
 * Runs `look` at `waiter`'s job, one at a time: a look asked for while one is under way (an
 * event of its job, a timer) comes once that one ended, as two at once could both add its job again.
 */
export async function lookInTurn(waiter: Waiter, look: () => Promise<void>): Promise<void> {
  if (waiter.looking) return void (waiter.lookAgain = true);
  waiter.looking = true;
  try {
    do {
      waiter.lookAgain = false;
      await look();
    } while (waiter.lookAgain);
  } finally {
    waiter.looking = false;
  }
}

/**
 * How to tell, before cancelling `waiter`'s job, that it is this attempt's: undefined when known
 * (its add made it, or its data was checked), else a look at its data, so that an attempt of a
 * run whose id another run on this prefix has never cancels that run's job.
 */
export function ownershipOf(waiter: Waiter): OwnershipCheck | undefined {
  if (waiter.origin === 'fresh' || waiter.origin === 'checked' || waiter.origin === 'stopped') return undefined;
  return async (queue) => {
    const job = await queue.getJob(waiter.jobId);
    if (job === undefined) return waiter.issuedAt;
    return otherRunsJob(waiter.data, job.data) === undefined ? ownStamp(waiter, job.data) : false;
  };
}

/**
 * For an attempt whose add never went out: whether a job of its id is in Redis all the same and
 * is its run's (a resumed run's, added by the run's earlier process), so that its cancel is sent.
 */
export function existingOwnJob(waiter: Waiter): OwnershipCheck {
  return async (queue) => {
    const job = await queue.getJob(waiter.jobId);
    return job !== undefined && otherRunsJob(waiter.data, job.data) === undefined ? ownStamp(waiter, job.data) : false;
  };
}

/** When this process began, in ms since the epoch. */
const PROCESS_BEGAN = performance.timeOrigin;

/**
 * The `issuedAt` of the job of `waiter`'s run and id found in Redis, when it is the attempt's to
 * cancel; false for a job issued after the attempt's own data, since this process began: the
 * next run's of the same id (a run left in the step that started it, run again at once), which
 * this process issued. A resumed run's job, issued before (by the run's earlier process), is its own.
 */
function ownStamp(waiter: Waiter, data: unknown): number | false {
  const issuedAt = issuedAtOf(data) ?? waiter.issuedAt;
  return issuedAt > waiter.issuedAt && issuedAt >= PROCESS_BEGAN ? false : issuedAt;
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
  waiter.issuedAt = data.issuedAt;
}

/** The error of an attempt whose job is no longer in Redis, and is not added again. */
export function vanishedError(waiter: Waiter, queue: string): RemoteJobError {
  const again =
    waiter.vanished === 0 ? '' : `; it was added again ${waiter.vanished} time${waiter.vanished === 1 ? '' : 's'} and vanished each time`;
  return new RemoteJobError(
    `job "${waiter.jobId}" on queue "${queue}" is no longer in Redis (removed by someone else, or Redis lost its data)${again}`,
  );
}

/** Tells `onLeaseLapsed` of the attempt of `waiter`, whose worker's lease lapsed (what it throws is ignored). */
export function tellLeaseLapse(listener: ((lapse: LeaseLapse) => void) | undefined, queue: string, { task }: Waiter): void {
  tell(listener, { queue, runId: task.runId, taskId: task.id, attempt: task.attempt });
}
