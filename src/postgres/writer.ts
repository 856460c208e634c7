/**
 * The writer of a run the PostgreSQL journal gave ownership of: appends each flush's events in
 * one statement (so one transaction) on the session that holds the run's advisory lock, and on
 * `close` gives the lock and the session back. It does not read runs, and it checks of the
 * events only that their `seq` continues the run's (a gap would make the record unresumable).
 */

import type { DagEvent } from '../events';
import type { JournalWriter } from '../journal/journal';
import type { Connection, Session } from './connection';
import { type JournalSql, UNLOCK } from './sql';
import { addToTally, type RunTally } from '../journal/tally';

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
    // a failed append fails its caller; the next one still runs (and finds the seq it expects)
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Gives up the run: releases its advisory lock and the session. Later calls return the same promise. */
  close(): Promise<void> {
    this.closing ??= this.tail.then(() => this.release());
    return this.closing;
  }

  private async write(events: readonly DagEvent[]): Promise<void> {
    if (events.length === 0) return;
    const first = this.tally.lastSeq + 1;
    events.forEach((event, index) => {
      if (event.seq !== first + index) {
        throw new Error(`journal append to run "${this.runId}" out of order: expected seq ${first + index}, got ${event.seq}`);
      }
    });
    const next = addToTally(this.tally, events);
    const action = `append seq ${first}..${next.lastSeq} to run "${this.runId}"`;
    if (this.session.broken !== undefined) throw this.connection.fail(action, this.session.broken);
    try {
      await this.session.query(this.sql.append, [
        this.runId,
        events.map((event) => event.seq),
        events.map((event) => event.type),
        events.map((event) => JSON.stringify(event)),
        next.lastSeq,
        JSON.stringify(next.counts),
        next.startedAt,
        next.endedAt,
        next.outcome,
      ]);
    } catch (error) {
      throw this.connection.fail(action, error);
    }
    this.tally = next;
  }

  private async release(): Promise<void> {
    let unlocked = false;
    if (this.session.broken === undefined) {
      try {
        await this.session.query(UNLOCK, [this.sql.lockPrefix + this.runId]);
        unlocked = true;
      } catch {
        // the session is unusable: closing it (below) makes the server drop the lock
      }
    }
    await this.session.release(!unlocked);
  }
}
