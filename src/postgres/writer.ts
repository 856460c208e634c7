/**
 * The writer of a run the PostgreSQL journal gave ownership of: appends each flush's events in
 * one transaction (one statement, or for a big group a few: see {@link PIECE_EVENTS}) on the
 * session that holds the run's advisory lock, says at once when that session was lost (the server released the lock: the run may have another owner
 * now), and on `close` gives the lock and the session back, without waiting long on a server
 * that does not answer. It does not read runs, and it checks of the events only that their
 * `seq` continues the run's (a gap would make the record unresumable).
 *
 * An append whose answer did not come (a timeout, a lost connection) may still commit on the
 * server: its session is then broken and nothing more is appended through it, so the record
 * holds each event at most once (and in order: `(run_id, seq)` is its key). Resuming re-reads
 * what the server holds.
 */

import type { DagEvent } from '../events';
import type { JournalWriter } from '../journal/journal';
import type { Connection } from './connection';
import { PostgresJournalError } from './journalError';
import type { Session } from './session';
import { type JournalSql, UNLOCK } from './sql';
import { addToTally, type RunTally } from '../journal/tally';

/**
 * How long giving a run up may wait for its queued appends and the unlock. Then its session is
 * closed instead: the server drops the lock with the connection (a process stopping on SIGTERM
 * must not hang on a server that stopped answering).
 */
const CLOSE_TIMEOUT_MS = 5000;

/** Appends to one run through the session that owns it. */
export class PostgresWriter implements JournalWriter {
  /** The last append (or close) queued: appends run one after the other, in call order. */
  private tail: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly connection: Connection,
    private readonly sql: JournalSql,
    private readonly session: Session,
    private readonly runId: string,
    /** The run as stored: appends continue at `lastSeq + 1`. */
    private tally: RunTally,
  ) {}

  /** Commits `events` (the next `seq`s of the run) in one transaction; resolves once committed. */
  append(events: readonly DagEvent[]): Promise<void> {
    if (this.closing !== undefined) {
      return Promise.reject(new Error(`journal writer of run "${this.runId}" is closed: appending after close is a bug`));
    }
    const batch = [...events];
    const run = this.tail.then(() => this.write(batch));
    // a statement the server refused fails its caller only: the next append still runs (and finds
    // the seq it expects); any other failure broke the session, and the next one fails too
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Gives up the run once the appends queued before are stored: releases its advisory lock and
   * the session (see {@link CLOSE_TIMEOUT_MS}). Later calls return the same promise.
   */
  close(): Promise<void> {
    this.closing ??= this.release();
    return this.closing;
  }

  /** Calls `listener` once if the session holding the run's lock is lost before `close` (see `JournalWriter.onLost`). */
  onLost(listener: (error: Error) => void): void {
    this.session.onLost((error) => {
      // its lock went with the session: another process may take the run now (`lockLost`, as a file journal's lost lock)
      if (this.closing === undefined)
        listener(
          Object.assign(this.connection.fail(`keep the lock of run "${this.runId}" (its session ended)`, error), { lockLost: true }),
        );
    });
  }

  private async write(events: readonly DagEvent[]): Promise<void> {
    if (events.length === 0) return;
    const first = this.tally.lastSeq + 1;
    // what broke the session says why, before any check of the events: nothing is sent any more
    if (this.session.broken !== undefined)
      throw Object.assign(this.connection.fail(`append to run "${this.runId}"`, this.session.broken), { lockLost: true });
    events.forEach((event, index) => {
      if (event.seq !== first + index) {
        throw new Error(`journal append to run "${this.runId}" out of order: expected seq ${first + index}, got ${event.seq}`);
      }
    });
    const next = addToTally(this.tally, events);
    const action = `append seq ${first}..${next.lastSeq} to run "${this.runId}"`;
    const texts = events.map((event) => JSON.stringify(event));
    const row = [next.lastSeq, JSON.stringify(next.counts), next.startedAt, next.endedAt, next.outcome];
    // `$2`–`$4` of a statement that inserts the events from `start` to `end`
    const columns = ([start, end]: Piece) => {
      const part = events.slice(start, end);
      return [part.map((event) => event.seq), part.map((event) => event.type), texts.slice(start, end)];
    };
    const pieces = piecesOf(texts);
    try {
      if (pieces.length === 1) await this.session.query(this.sql.append, [this.runId, ...columns(pieces[0]!), ...row]);
      else
        await this.inOneTransaction([
          ...pieces.map((piece) => [this.sql.insertEvents, [this.runId, ...columns(piece)]] as const),
          [this.sql.updateRun, [this.runId, ...row]] as const,
        ]);
    } catch (error) {
      const failure = this.connection.fail(action, error);
      if (failure.serverAnswered) throw failure;
      // no answer: the server may still have written the group (its transaction goes on without us)
      const { location, reason, code } = failure;
      throw new PostgresJournalError(
        location,
        action,
        `${reason}; the server may still write them (a resume reads what it holds)`,
        code,
        error,
        false,
      );
    }
    this.tally = next;
  }

  /**
   * `statements` (a group too big for one: its pieces, then the run's row), each with the query
   * time limit, in one transaction. Rolled back when the server refuses one; an unanswered one
   * broke the session, whose end makes the server roll it back.
   */
  private async inOneTransaction(statements: readonly (readonly [string, readonly unknown[]])[]): Promise<void> {
    await this.session.query('BEGIN');
    try {
      for (const [text, values] of statements) await this.session.query(text, values);
      await this.session.query('COMMIT');
    } catch (error) {
      if (this.session.broken === undefined) await this.session.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  private async release(): Promise<void> {
    const deadline = Date.now() + CLOSE_TIMEOUT_MS;
    const stored = await settlesWithin(this.tail, CLOSE_TIMEOUT_MS);
    let unlocked = false;
    if (stored && this.session.broken === undefined) {
      // a session that fails here is unusable: closing it (below) makes the server drop the lock
      unlocked = await this.session.query(UNLOCK, [this.sql.lockPrefix + this.runId], Math.max(1, deadline - Date.now())).then(
        () => true,
        () => false,
      );
    }
    // an append still out fails as its connection closes (and whatever was queued after it, on the broken session)
    await this.session.release(!unlocked);
  }
}

/**
 * Most events, and most characters of their JSON texts, in one statement. Why: a wide run's group
 * can hold tens of thousands of events (all it recorded while the last group was stored), which
 * one statement took longer to store than the query time limit allows; and pg sends an array
 * as one string, its quotes escaped, which a group of big outputs made longer than a string holds.
 */
const PIECE_EVENTS = 5_000;
const PIECE_CHARS = 16 * 1024 * 1024;

/** The events of a group one statement stores: from `start` to `end` (indexes into the group). */
type Piece = readonly [start: number, end: number];

/** The pieces of a group whose JSON texts are `texts`: one for most groups. */
function piecesOf(texts: readonly string[]): Piece[] {
  const pieces: Piece[] = [];
  let start = 0;
  let chars = 0;
  texts.forEach((text, i) => {
    if (i > start && (i - start >= PIECE_EVENTS || chars + text.length > PIECE_CHARS)) {
      pieces.push([start, i]);
      start = i;
      chars = 0;
    }
    chars += text.length;
  });
  pieces.push([start, texts.length]);
  return pieces;
}

/** Whether `promise` settles within `ms`. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false)));
  return Promise.race([promise.then(() => true), late]).finally(() => clearTimeout(timer));
}
