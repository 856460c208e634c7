import type { DagSpec } from '../dag/schema';
import type { DagEvent, RunOutcome, TaskCounts } from '../events';
import type { FailurePolicy } from '../state/runState';
import type { LimitSpec } from '../scheduler/limits';
import type { SchedulingMode } from '../scheduler/options';
import { AttemptHandedBackError } from '../agents/attemptErrors';

/**
 * The journal contract: where a durable run's record lives. A run's record is a header (the DAG
 * spec it ran and the run options that are data) followed by every event in `seq` order. A
 * backend stores records, gives one process at a time the ownership of a run, and appends each
 * flush's events as one durable group; it does not interpret events (the reducer checks them on
 * resume) and never rewrites what it stored. Backends: `fileJournal` (embedded default) and
 * `postgresJournal` in `rxdag/postgres`.
 *
 * The guarantee a journal gives a run: an attempt may run more than once (at-least-once
 * execution); each task's outcome is recorded exactly once.
 */

/** The run options a journal keeps with a run (data only: no agents, no clock). */
export interface JournaledOptions {
  readonly failurePolicy: FailurePolicy;
  readonly contextInjection: boolean;
  /** Absent when the run had none. */
  readonly taskTimeoutMs?: number | undefined;
  /** The named limits of its scheduler, when it had any (a resumed run keeps to them). */
  readonly limits?: Readonly<Record<string, LimitSpec>> | undefined;
  /**
   * Its scheduler's settings when it began. Recorded, not imposed: a run resumed on a scheduler
   * runs under that scheduler's settings; the CLI's `resume` takes these unless told otherwise.
   * Absent in journals written before they were recorded.
   */
  readonly maxConcurrency?: number | undefined;
  readonly mode?: SchedulingMode | undefined;
  readonly pollIntervalMs?: number | undefined;
  /** The run's `metadata` option, when it had one (journals written before it have none). */
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
}

/** The first record of a journaled run. */
export interface JournalHeader {
  readonly runId: string;
  readonly dagId: string;
  /** The DAG as it was defined; tasks spawned during the run come back from their events. */
  readonly spec: DagSpec;
  readonly options: JournaledOptions;
  /** Wall-clock milliseconds when the run's record was created. */
  readonly createdAt: number;
}

/** Where a journaled run stands. */
export type JournaledRunStatus = 'running' | 'interrupted' | RunOutcome;

/** One line of `journal.runs()`. */
export interface JournaledRunSummary {
  readonly runId: string;
  readonly dagId: string;
  /**
   * `running`: a live process owns it; `interrupted`: no owner and not ended (resumable);
   * `succeeded` / `failed` / `cancelled`: ended.
   */
  readonly status: JournaledRunStatus;
  /** `at` of its `dag.created` (absent before it). */
  readonly startedAt?: number | undefined;
  /** `at` of its `dag.completed` (absent while not ended). */
  readonly endedAt?: number | undefined;
  /** `seq` of its last event (0 for none). */
  readonly lastSeq: number;
  /** How its tasks ended so far; `total` counts spawned tasks. */
  readonly counts: TaskCounts;
  /**
   * Who owns a `running` run, as a `RunLockedError` names it (`host:pid`; of the PostgreSQL
   * journal, the session and its backend pid), when the backend says (both built-in ones do).
   */
  readonly owner?: string | undefined;
}

/** What the owner of a run appends through. */
export interface JournalWriter {
  /**
   * Appends the events of one flush as one durable group (for the file journal one write and
   * one fsync; for PostgreSQL one transaction). Returns when they are durable: at once (void)
   * for a synchronous backend, or a promise. Events are appended in `seq` order, never twice.
   * With `durable: false` the group need only be stored in order (the file journal then skips
   * its fsync: the next durable group covers it); a backend may ignore the hint. An empty
   * durable group makes durable what was appended before it.
   */
  append(events: readonly DagEvent[], durable?: boolean): void | Promise<void>;
  /**
   * Gives up the run's ownership. Called while an append is out, it gives the run up once that
   * append settled (a backend may bound that wait). Appending afterwards is a bug.
   */
  close(): void | Promise<void>;
  /**
   * For a backend whose ownership can end without an append failing: calls `listener` once,
   * as soon as the run's ownership ended before `close` (PostgreSQL: the session holding the
   * run's lock was lost, so another process may resume the run now). The run then stops as on a
   * failed append. The file journal has none: its lock is a file, held until it is removed.
   */
  readonly onLost?: ((listener: (error: Error) => void) => void) | undefined;
}

/** A run taken over for resuming: its record so far, and the writer that continues it. */
export interface JournaledRun {
  readonly header: JournalHeader;
  /** Every event stored, in `seq` order (a torn last line, never acknowledged, left out). */
  readonly events: readonly DagEvent[];
  readonly writer: JournalWriter;
  /**
   * Where the event of `seq` is stored, for the message of one the reducer refuses (`<file>:12`
   * for the file journal). Optional: without it, such an event is placed at `seq 11`.
   */
  readonly placeOf?: ((seq: number) => string) | undefined;
}

/** Options of {@link Journal.runs}. */
export interface RunsOptions {
  /** Called with the error of each record that cannot be read; that record is left out of the list. */
  readonly onUnreadable?: ((error: JournalCorruptError) => void) | undefined;
  /**
   * Only the runs of this DAG. A backend may list others too (one that does not know this
   * option): a caller that needs only these filters the list again. The file journal then reads
   * only the first line of another DAG's run that has not ended.
   */
  readonly dagId?: string | undefined;
  /**
   * Only the runs that ended (`succeeded`, `failed`, `cancelled`), as `dagId` a hint a caller
   * filters again. The file journal then never reads a run that has not ended, whose whole
   * record it would otherwise parse (a 100k-task run: ~0.5 s).
   */
  readonly endedOnly?: boolean | undefined;
}

/** A store of journaled runs. */
export interface Journal {
  /** Where the journal is, for messages (a folder, a redacted connection string). */
  readonly location: string;
  /**
   * Creates the record of a new run and takes its ownership. Fails when the run id is already
   * in the journal (`RunExistsError`).
   */
  create(header: JournalHeader): JournalWriter | Promise<JournalWriter>;
  /**
   * Takes over a run to resume it: fails with `RunLockedError` when a live process owns it,
   * `RunNotResumableError` when it is unknown or ended, `JournalCorruptError` when its record
   * cannot be read; then nothing is changed.
   */
  resume(runId: string): JournaledRun | Promise<JournaledRun>;
  /**
   * Every run of the journal, the newest first. A record that cannot be read (a file journal's
   * file whose header is not a run header) fails the listing with `JournalCorruptError`, unless
   * `onUnreadable` takes it: then it is left out and the others are listed. A listing reads only
   * what it needs of each record: a run whose record is corrupt further in may be listed (as
   * `interrupted`) and refused only by `resume` and `events`.
   */
  runs(options?: RunsOptions): Promise<readonly JournaledRunSummary[]>;
  /**
   * A run's events in `seq` order, 1 to its last without a gap (`RunNotResumableError` with reason
   * `unknown` when there is none). A record that cannot be trusted (a gap in `seq`, an event of
   * another run, a line that is not JSON) is a `JournalCorruptError`, as on `resume`; a torn
   * last line, never acknowledged, is left out.
   */
  events(runId: string): Promise<readonly DagEvent[]>;
  /**
   * The header of a run (`RunNotResumableError` with reason `unknown` when there is none); one
   * that is not a run header (a field missing or of another type) is a `JournalCorruptError`
   * naming the field and what was expected.
   */
  header(runId: string): Promise<JournalHeader>;
  /**
   * Forgets a run: removes its whole record (header, events, and what the backend keeps beside
   * them, like the file journal's torn tail), so that `runs()` no longer lists it and `events()`,
   * `header()` and `resume()` call it unknown. Refused, with nothing removed: `RunLockedError`
   * when a live process owns the run (an owner that is gone is not one: its ownership is taken
   * over first, as `resume` does), `RunNotResumableError` with reason `unknown` when there is no
   * such run. The record goes as a whole or not at all: never half-removed, so never listed as
   * corrupt.
   *
   * It removes an ended run and an interrupted one alike: whether a run that could still be
   * resumed may go is the caller's to decide (`rxdag prune` keeps them unless told). It does not
   * read the record (one that cannot be read is removed too) and does not shrink the storage
   * beyond the run's own (a database reclaims the space with its own `VACUUM`).
   *
   * Optional, so that other backends need not have it; `fileJournal` and `postgresJournal` do.
   *
   * @example
   * for (const run of await journal.runs()) {
   *   if (run.status === 'succeeded' && run.endedAt! < Date.now() - 30 * 86_400_000) await journal.remove?.(run.runId);
   * }
   */
  readonly remove?: ((runId: string) => Promise<void>) | undefined;
}

/** A run that a live process owns: resuming it is refused. */
export class RunLockedError extends Error {
  override readonly name = 'RunLockedError';
  constructor(
    readonly runId: string,
    /** Who owns it, e.g. `host:pid` (`host:pid (this process)` when it is this one). */
    readonly owner: string,
    /**
     * The lock file, when this process cannot tell whether its owner still runs (a lock of
     * another host, or one it cannot read): the file to remove once the owner is known to be gone.
     */
    readonly lockFile?: string,
    /**
     * The PostgreSQL journal: the server process of the session that holds the run. The session
     * stays open until the server sees its client gone: `pg_terminate_backend(backendPid)` ends it.
     */
    readonly backendPid?: number,
  ) {
    super(
      lockFile !== undefined
        ? `run "${runId}" is locked by ${owner}, which this host cannot check; if that process is gone ` +
            `(its machine or container no longer runs), remove ${lockFile} and resume again`
        : backendPid !== undefined
          ? `run "${runId}" is owned by ${owner}, whose session is still open; wait for it to end or stop it first ` +
            `(if that process is gone, SELECT pg_terminate_backend(${backendPid}) ends its session)`
          : `run "${runId}" is owned by a live process (${owner}); wait for it to end or stop it first`,
    );
  }
}

/**
 * A run that cannot be resumed: unknown to the journal, already ended, or held in a file this
 * process does not take up (`untrusted`: another user's, or one other users can write to; the
 * file journal's check).
 */
export class RunNotResumableError extends Error {
  override readonly name = 'RunNotResumableError';
  constructor(
    readonly runId: string,
    readonly reason: 'unknown' | 'ended' | 'untrusted',
    /** For an ended run, how it ended. */
    readonly outcome?: RunOutcome,
    /** The journal's location, for the message. */
    location?: string,
    /** For an untrusted run, why its file is not taken up and what to do. */
    because?: string,
  ) {
    const journal = location === undefined ? 'the journal' : `the journal at ${location}`;
    super(
      reason === 'unknown'
        ? `run "${runId}" is not in ${journal}`
        : reason === 'untrusted'
          ? `run "${runId}" is not resumed from ${journal}: ${because ?? 'its file is not trusted'}`
          : `run "${runId}" already ended (${outcome ?? 'ended'}); there is nothing to resume`,
    );
  }
}

/**
 * A journaled run stopped by `scheduler.shutdown({ interrupt: true })`: its record was left as it
 * was, `interrupted`, for `resumeRun` (or another scheduler's `resume`) to continue.
 */
export class RunInterruptedError extends Error {
  override readonly name = 'RunInterruptedError';
  constructor(readonly runId: string) {
    super(
      `run "${runId}" was interrupted by the scheduler's shutdown; its journal keeps it resumable: ` +
        `scheduler.resume(${JSON.stringify(runId)}) on a scheduler with that journal, or resumeRun(journal, ${JSON.stringify(runId)}, options)`,
    );
  }
}

/** A run id the journal already holds: a new run must have its own. */
export class RunExistsError extends Error {
  override readonly name = 'RunExistsError';
  constructor(readonly runId: string) {
    super(`run "${runId}" is already in the journal; give the new run another runId, or resume it`);
  }
}

/**
 * The journal could not store a run's events: the run is stopped, its agents aborted; or, when
 * `beforeStart`, nothing ran: it could not make the run's record, or store the run's first
 * events (a resume's `run.resumed`), which every start waits for.
 */
export class JournalWriteError extends Error {
  override readonly name = 'JournalWriteError';
  constructor(
    readonly runId: string,
    readonly location: string,
    cause: unknown,
    readonly beforeStart = false,
    /** The run's end was written, and only closing its writer (giving up its ownership) failed. */
    readonly endRecorded = false,
  ) {
    const message = (cause as { message?: unknown } | null)?.message;
    const reason = typeof message === 'string' ? message : String(cause);
    const then = beforeStart ? 'nothing ran' : endRecorded ? "the run's end was written, closing the journal failed" : 'run stopped';
    super(`cannot write the journal of run "${runId}" at ${location}: ${reason}; ${then}`, { cause });
  }
}

/**
 * What a failed `journal.create` gives the run's subscriber, whatever the backend: its refusal
 * of a taken run id (`RunExistsError`) and a `JournalWriteError` as they are, anything else (a
 * full disk, an unreachable server) as a `JournalWriteError` with `beforeStart`: nothing ran.
 */
export function recordNotMade(runId: string, location: string, error: unknown): unknown {
  if (error instanceof RunExistsError || error instanceof JournalWriteError) return error;
  return new JournalWriteError(runId, location, error, true);
}

/**
 * Whether an attempt's `signal` fired because the attempt stopped to be taken up again, not
 * cancelled: its run stopped without ending, to be resumed (its journal failed, or a shutdown
 * interrupted it), or the remote worker running it handed it back to another
 * (`AttemptHandedBackError`). An agent whose work lives outside this process (a remote job) may
 * then leave that work running for the resume to find, rather than cancel it, and one that
 * undoes its work when cancelled should not undo it.
 */
export function stoppedForResume(signal: AbortSignal): boolean {
  const reason: unknown = signal.reason;
  return (
    signal.aborted &&
    (reason instanceof JournalWriteError || reason instanceof RunInterruptedError || reason instanceof AttemptHandedBackError)
  );
}

/** A journal record that cannot be trusted: nothing was run. */
export class JournalCorruptError extends Error {
  override readonly name = 'JournalCorruptError';
  constructor(
    readonly runId: string,
    /** Where: `<file>:12` (the file journal), `seq 40`, … */
    readonly where: string,
    readonly problem: string,
  ) {
    super(`journal of run "${runId}" is corrupt at ${where}: ${problem}`);
  }
}
