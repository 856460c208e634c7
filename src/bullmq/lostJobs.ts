/**
 * What a worker says of a job it can no longer finish, once per job in its own words rather than
 * BullMQ's (which repeats itself once per command that finds the job lost): its lease lapsed (the
 * job goes to another worker, or the scheduler fails it after too many lost leases), or the job is
 * no longer in Redis at all (its scheduler ended the attempt and removed it, or Redis restarted
 * without its data: what this worker did with it has nowhere to go). It also reads BullMQ's error messages for the job they are about. It decides nothing:
 * `startWorker` stops the attempt and writes nothing more for its job.
 */

/** How a job was lost: its lease (another worker may run it) or the job itself (gone from Redis). */
export type JobLoss = 'lease' | 'gone';

/** A BullMQ error about one job this worker lost. */
export interface LostJobError {
  readonly jobId: string;
  /**
   * `renewal`: a lease not renewed (BullMQ also says it with `lockRenewalFailed`, which the worker
   * acts on); otherwise what a command to finish the job found.
   */
  readonly loss: JobLoss | 'renewal';
}

/** BullMQ's words for a job whose lock this worker lost: its renewal came late, or another worker took the job. */
const LOST_LOCK = /\b(could not renew lock|Lock mismatch|Missing lock) for job (\S+?)\.?(?=\s|$)/;
/** BullMQ's words for a command on a job whose key is not in Redis. */
const MISSING_JOB = /\bMissing key for job (\S+?)\.?(?=\s|$)/;

/** The job and the loss a BullMQ error tells of, if it tells of one. */
export function lostJobOf(message: string): LostJobError | undefined {
  const missing = MISSING_JOB.exec(message);
  if (missing !== null) return { jobId: missing[1]!, loss: 'gone' };
  const lock = LOST_LOCK.exec(message);
  if (lock === null) return undefined;
  return { jobId: lock[2]!, loss: lock[1] === 'could not renew lock' ? 'renewal' : 'lease' };
}

/** A worker's log of the jobs it lost: one line a job, whichever way and however often it is found lost. */
export class LostJobs {
  // jobs said lately (the last 1,000), by queue and job id
  private readonly said = new Set<string>();
  private readonly lapsed: string;

  constructor(
    private readonly log: (line: string) => void,
    /** How the worker names itself in its lines. */
    private readonly worker: string,
    leaseMs: number,
  ) {
    this.lapsed =
      `(not renewed within ${leaseMs} ms: another worker takes the attempt, or after too many lost leases the scheduler ` +
      'fails it; what this worker did with it is not recorded)';
  }

  /** Says, once for the job, that it was lost that way. */
  lost(queue: string, jobId: string, loss: JobLoss): void {
    const key = `${queue}\n${jobId}`;
    if (this.said.has(key)) return;
    if (this.said.size >= 1000) this.said.clear();
    this.said.add(key);
    const what =
      loss === 'gone'
        ? `job ${JSON.stringify(jobId)} is no longer in Redis (its scheduler ended the attempt and removed it, as after lost leases ` +
          'or a cancel, or Redis restarted without its data): what this worker did with it is dropped'
        : `lost the lease of job ${JSON.stringify(jobId)} ${this.lapsed}`;
    this.log(`rxdag worker ${this.worker}: queue "${queue}": ${what}`);
  }
}
