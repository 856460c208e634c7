/**
 * What the scheduler side of a queue keeps of one attempt while its job is out: how to settle it,
 * and what it heard of the job so far. State only: `remoteQueue.ts` acts on it.
 */
import type { TaskContext, WorkerResult } from '../index';
import type { CancelReason } from './cancelSignals';
import type { JobData } from './jobFormat';

/** One attempt waiting for its job's outcome. */
export interface Waiter {
  readonly jobId: string;
  readonly task: TaskContext;
  readonly data: JobData;
  resolve(result: WorkerResult): void;
  reject(error: unknown): void;
  // the check of a job nothing was heard of for a lease period
  timer: NodeJS.Timeout | undefined;
  // its attempt was aborted: a job added after that must be cancelled again, for this reason
  aborted: CancelReason | undefined;
  // a worker took its job (read from the event stream)
  taken: boolean;
  /**
   * Its add found a job of its id in Redis (`duplicated`): a resumed run's attempt, or another
   * run's of the same id on this prefix. Until its data is found to be this attempt's, no outcome
   * is taken from it.
   */
  reattached: 'unchecked' | 'checked' | undefined;
}
