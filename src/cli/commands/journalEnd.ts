/**
 * How a run's journal is left at its end, in the CLI's words: the line for a journal that could
 * not be written (the run stopped, or only its end is missing), and, for a cancelled run, the
 * wait until the store no longer lists it as owned (bounded: a store that does not answer leaves
 * the run interrupted) and the line saying its cancellation was not recorded. It writes nothing
 * itself: `driveRun` prints what these return.
 */
import { type Journal, JournalWriteError } from '../../index';
import { resumeCommandLine } from '../store/resumeCommand';
import type { StoreLocation } from '../store/storeLocation';
import { describeIoError } from './writeTarget';

/**
 * `rxdag: cannot write the journal .rxdag/ (run "x"): EFBIG (file too large); run stopped (rxdag
 * resume x continues it once the store can be written)`. What the journal holds stays: the run
 * is `interrupted`. After the run's end (`ended`) only its last events are missing.
 */
export function journalFailureLine(
  error: JournalWriteError,
  store: StoreLocation | undefined,
  ended: boolean,
  /** The run's own resume command, when it has one (with its remote options: `--redis …`). */
  resumeCommand?: string,
): string {
  const where = `${store?.label ?? error.location} (run "${error.runId}")`;
  // the end was written: only closing the journal failed (what it still held goes with this process)
  if (error.endRecorded) {
    // the file it failed on (the run's lock file, left behind: a later command of this host takes it over)
    const file = (error.cause as NodeJS.ErrnoException | undefined)?.path;
    return `rxdag: the journal ${where} took the run's end, but closing it failed${file === undefined ? '' : ` (at ${file})`}: ${journalReason(error.cause)}`;
  }
  const then = ended ? 'its end is not recorded' : 'run stopped';
  const head = `rxdag: cannot write the journal ${where}: ${journalReason(error.cause)}; ${then}`;
  const lost = (error.cause as { journalLost?: unknown } | undefined)?.journalLost;
  // a record removed while the run went on (`rxdag prune`, by hand) is not there to resume; one moved resumes where it went
  if (lost === 'removed') return `${head}, and cannot be resumed from this store (a journal moved elsewhere resumes there: --store)`;
  // events cut from the file are gone: what the journal still holds is what a resume has
  if (lost === 'cut') return `${head}; a resume goes on from what the journal still holds, or refuses it as corrupt`;
  // another file in its place (a copy): a resume reads that one
  if (lost === 'replaced')
    return `${head}; a resume goes on from what the file now there holds (${resumeCommand ?? resumeCommandLine(error.runId, store)})`;
  const resume = resumeCommand ?? resumeCommandLine(error.runId, store);
  // its lock gone or another's: a resume takes the run if no one else has; a database session may
  // have ended with the server (a restart, the network), which must answer first
  if ((error.cause as { lockLost?: unknown } | undefined)?.lockLost === true) {
    const once = error.cause instanceof Error && error.cause.name === 'PostgresJournalError' ? ' once the store can be written,' : '';
    return `${head} (${resume} continues it${once} unless another process has)`;
  }
  return `${head} (${resume} continues it once the store can be written)`;
}

/** Why a journal could not be written, without naming the store again (the line names it as the user wrote it). */
function journalReason(cause: unknown): string {
  if (!(cause instanceof Error && cause.name === 'PostgresJournalError')) return describeIoError(cause);
  const { action, reason } = cause as Error & { action?: unknown; reason?: unknown };
  return typeof action === 'string' && typeof reason === 'string' ? `cannot ${action}: ${reason}` : cause.message;
}

/**
 * What a cancelled run whose end the journal did not take says (the exit code stays 130/143):
 * `rxdag: the cancellation of run "x" is not recorded (cannot write the journal …: …); the run
 * stays interrupted (rxdag resume x would finish it: the cancellation, if part of it was recorded,
 * else its tasks)`, or, when the journal did not answer in
 * time (its last transaction may still commit), that the run may stay interrupted.
 */
export function unrecordedCancelLine(
  runId: string,
  why: NotRecorded,
  store: StoreLocation | undefined,
  journal: Journal | undefined,
): string {
  // a resume finishes a cancellation the journal holds part of, and runs the tasks of one it holds none of
  const resume = `${resumeCommandLine(runId, store)} would finish it: the cancellation, if part of it was recorded, else its tasks`;
  const where = store?.label ?? journal?.location ?? 'the journal';
  if (why.failure === undefined) {
    return `rxdag: the cancellation of run "${runId}" was not recorded within ${RELEASE_TIMEOUT_MS / 1000} s (the journal ${where} did not answer); the run may stay interrupted (${resume})`;
  }
  const cause = why.failure instanceof JournalWriteError ? why.failure.cause : why.failure;
  return `rxdag: the cancellation of run "${runId}" is not recorded (cannot write the journal ${where}: ${journalReason(cause)}); the run stays interrupted (${resume})`;
}

/** How long a cancelled run's journal may take to record its end (a database's last transaction). */
const RELEASE_TIMEOUT_MS = 10_000;

/** A cancelled run whose end the journal did not take: the failure, when one is known (else no answer in time). */
export interface NotRecorded {
  readonly failure: unknown;
}

/**
 * Waits until the journal no longer lists the run as owned: a cancelled run's last events are
 * committed and its ownership given up (at once for the file journal, a transaction later for
 * PostgreSQL), so the CLI does not exit before the run is recorded `cancelled`. Every wait,
 * reads included, ends by {@link RELEASE_TIMEOUT_MS}. Resolves with true once the run is
 * recorded ended, else with why not: the run then stays `interrupted` (resumable).
 */
export async function released(
  journal: Journal | undefined,
  runId: string,
  dagId: string,
  failure: (() => unknown) | undefined,
): Promise<true | NotRecorded> {
  if (journal === undefined) return true;
  const failed = () => failure?.();
  const deadline = Date.now() + RELEASE_TIMEOUT_MS;
  while (failed() === undefined && Date.now() < deadline) {
    // its DAG's runs only: another DAG's run that has not ended is not read whole
    const runs = await beforeDeadline(journal.runs({ onUnreadable: () => undefined, dagId }), deadline);
    const status = runs?.find((run) => run.runId === runId)?.status;
    // a run the store does not hold has nothing to be recorded as
    if (status === 'cancelled' || status === 'succeeded' || status === 'failed' || (runs !== undefined && status === undefined))
      return true;
    if (status === 'interrupted') break; // given up without its end: the failure comes with it
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { failure: failed() };
}

/** What `promise` resolves with, or undefined when it fails or is not settled by `deadline`. */
function beforeDeadline<T>(promise: Promise<T>, deadline: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()))));
  return Promise.race([promise.catch(() => undefined), late]).finally(() => clearTimeout(timer));
}
