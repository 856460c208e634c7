/**
 * Why a scheduler refuses to start a run it is given (the run's stream errors with one of these,
 * and nothing runs): it was shut down, or a run of the same id is going on on it. What a bad DAG
 * or bad options get is `DagValidationError` and `TypeError`; what a journal refuses (an id it
 * holds, a run locked elsewhere) is the journal's errors'.
 */
import { quoted } from '../dag/text';

/** The scheduler was shut down (`scheduler.shutdown()`): it starts no run and resumes none. */
export class SchedulerShutDownError extends Error {
  override readonly name = 'SchedulerShutDownError';
  /** @param what the run refused, in words (`run of DAG "etl"`, `resume of run "r1"`). */
  constructor(what: string) {
    super(`rxdag: scheduler is shut down; ${what} refused`);
  }
}

/**
 * A run with this id is going on on this scheduler: two runs under one id would interleave their
 * events' `seq` and share one entry of `state$`. Give each run its own `runId`, or wait for the
 * run to end before resuming it.
 */
export class RunActiveError extends Error {
  override readonly name = 'RunActiveError';
  constructor(
    readonly runId: string,
    /** Whether the refused run was a resume of it (`scheduler.resume`). */
    readonly resuming = false,
  ) {
    super(
      resuming
        ? `rxdag: run ${quoted(runId)} is going on on this scheduler; there is nothing to resume while it runs`
        : `rxdag: runId ${quoted(runId)} is already used by a run going on on this scheduler; give each run its own runId`,
    );
  }
}
