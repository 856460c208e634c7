/**
 * `postgresJournal`: the journal of durable runs in PostgreSQL, for runs shared between
 * machines. A run is a row of `<schema>.runs` (header, summary fields kept up to date) and its
 * events are rows of `<schema>.events`; a run is owned by the session holding its advisory lock,
 * which the server releases when that session's connection dies. This module creates the tables,
 * takes and refuses ownership, reads runs and removes them; appending is the writer's
 * (`writer.ts`). What it reads of a run is checked (`rows.ts`) as the file journal checks its files: a header
 * of a run header's shape, events in `seq` 1..n ending at the run's last seq, or a
 * `JournalCorruptError`. It never interprets events beyond the summary fields and the `seq`
 * sequence (the reducer checks them), and never changes a record it finds corrupt.
 */

import type { DagEvent } from '../events';
import {
  type Journal,
  JournalCorruptError,
  type JournaledRun,
  type JournaledRunSummary,
  type JournalHeader,
  type JournalWriter,
  RunExistsError,
  RunLockedError,
  RunNotResumableError,
  type RunsOptions,
} from '../journal/journal';
import { Connection, POOL_NAME_PREFIX, type PostgresJournalOptions, type TransactionQuery } from './connection';
import { redactConnectionString, shownValue } from './connectionString';
import { PostgresJournalError } from './journalError';
import {
  checkedEvents,
  type EventRow,
  foreignTablesProblem,
  headerOf,
  type RunEventRow,
  type RunRow,
  type SummaryRow,
  summaryOfRow,
  type HolderRow,
  lockedBy,
  RACING_OWNER,
  type TableRow,
} from './rows';
import type { Session } from './session';
import {
  CLEAR_STATS_SNAPSHOT,
  JournalSql,
  LOCK_HOLDER,
  LOCK_HOLDERS,
  SCHEMA_FOUND,
  SCHEMA_LOCK,
  TRY_LOCK,
  TRY_XACT_LOCK,
  UNLOCK,
} from './sql';
import { addToTally, emptyTally } from '../journal/tally';
import { PostgresWriter } from './writer';

/** A journal in PostgreSQL: a {@link Journal} that can also end its connections. */
export interface PostgresJournal extends Journal {
  /** The schema of its tables. */
  readonly schema: string;
  /** As {@link Journal.create}; always asynchronous. */
  create(header: JournalHeader): Promise<JournalWriter>;
  /** As {@link Journal.resume}; always asynchronous. */
  resume(runId: string): Promise<JournaledRun>;
  /** As {@link Journal.remove}, which the PostgreSQL journal always has. */
  remove(runId: string): Promise<void>;
  /**
   * Whether its schema holds the journal's tables: false until a run was journaled there (an
   * empty list of runs from a schema never used, a misspelt name, rather than one pruned empty).
   * Creates nothing. A schema whose `runs` or `events` are someone else's (without the journal's
   * columns) is not said to hold no journal, since a run there would fail: it throws the
   * `PostgresJournalError` every use of such a schema throws, naming the schema and the table.
   */
  hasJournal(): Promise<boolean>;
  /**
   * Ends the connections the journal opened for a `connectionString` (a `pool` given by the
   * application is left open) and refuses every later use; runs open before it keep their
   * sessions to their end. Idle connections do not keep the process alive, so calling it is
   * optional.
   */
  end(): Promise<void>;
}

/**
 * A journal of durable runs in PostgreSQL (`pg`), shared by every process that reaches the
 * database: any of them can list the runs and resume one whose owner died. Its tables are
 * created in `schema` (default `rxdag`) by the first run journaled there; listing or reading a
 * schema without them creates nothing (no runs; a run id is unknown). A schema holding someone
 * else's `runs` or `events` is refused by every use (`PostgresJournalError`), and left unchanged.
 *
 * @example
 * const journal = postgresJournal({ connectionString: process.env.DATABASE_URL });
 * runDag(dag, { agents, journal, runId: 'nightly-42' }).subscribe(log);
 */
export function postgresJournal(options: PostgresJournalOptions): PostgresJournal {
  return new PostgresJournalImpl(options);
}

/** What came of removing a run: removed, unknown, or refused since a session holds its lock. */
type Removal = 'removed' | 'unknown' | RunLockedError;

class PostgresJournalImpl implements PostgresJournal {
  readonly location: string;
  readonly schema: string;
  private readonly connection: Connection;
  private readonly sql: JournalSql;
  private tables: Promise<void> | undefined;
  private tablesFound = false;

  constructor(options: PostgresJournalOptions) {
    this.connection = new Connection(options);
    const { schemaParameter } = this.connection;
    if (options.schema !== undefined && schemaParameter !== undefined && options.schema !== schemaParameter) {
      throw new TypeError(
        `postgresJournal: two schemas given, \`schema\` ${shownValue(options.schema)} and schema=${redactConnectionString(schemaParameter)} in the connection string; give one`,
      );
    }
    this.schema = options.schema ?? schemaParameter ?? 'rxdag';
    this.sql = new JournalSql(this.schema);
    this.location = this.connection.location;
  }

  async create(header: JournalHeader): Promise<PostgresWriter> {
    await this.ready();
    const { runId } = header;
    const action = `create run "${runId}"`;
    const tally = emptyTally(header.spec.tasks.length);
    const session = await this.connection.session(action);
    let locked = false;
    let inTransaction = false;
    try {
      // the lock first: between the insert and the lock, a resume could take the new run
      if ((await this.tryOwn(session, runId)) !== true) throw new RunExistsError(runId);
      locked = true;
      // in a transaction: a caller that stopped waiting (query_timeout) closes the connection
      // before its COMMIT, and the server then drops the insert rather than keep a run it refused
      await session.query('BEGIN');
      inTransaction = true;
      const inserted = await session.query(this.sql.insertRun, [
        runId,
        header.dagId,
        JSON.stringify(header),
        header.createdAt,
        JSON.stringify(tally.counts),
      ]);
      if (inserted.length === 0) throw new RunExistsError(runId);
      await session.query('COMMIT');
      inTransaction = false;
      return new PostgresWriter(this.connection, this.sql, session, runId, tally);
    } catch (error) {
      if (inTransaction && session.broken === undefined) await session.query('ROLLBACK').catch(() => undefined);
      await this.giveUp(session, runId, locked);
      throw this.failure(action, error);
    }
  }

  async resume(runId: string): Promise<JournaledRun> {
    const action = `resume run "${runId}"`;
    if (!(await this.hasTables(action))) throw new RunNotResumableError(runId, 'unknown');
    // unknown and ended runs are refused without taking a session
    refuseEnded(runId, await this.lastEvent(runId, action));
    const session = await this.connection.session(action);
    let locked = false;
    try {
      const owned = await this.tryOwn(session, runId);
      if (owned !== true) throw owned;
      locked = true;
      // owned now: nothing is appended behind our back while the record is read
      const [run] = await session.query<RunRow>(this.sql.selectRun, [runId]);
      if (run === undefined) throw new RunNotResumableError(runId, 'unknown');
      const header = headerOf(runId, run);
      const events = checkedEvents(runId, await session.query<EventRow>(this.sql.selectEvents, [runId]), run);
      refuseEnded(runId, events.at(-1) ?? null);
      const writer = new PostgresWriter(
        this.connection,
        this.sql,
        session,
        runId,
        addToTally(emptyTally(header.spec.tasks.length), events),
      );
      return { header, events, writer };
    } catch (error) {
      await this.giveUp(session, runId, locked);
      throw this.failure(action, error);
    }
  }

  /**
   * As {@link Journal.runs}; `dagId` and `endedOnly` choose the rows read. A run listed without
   * an end and without an owner, or with an owner gone when asked who it is, is read again: its
   * owner may have ended it while the listing ran (its row read before the end was committed, the
   * locks after its owner let go).
   */
  async runs(options: RunsOptions = {}): Promise<readonly JournaledRunSummary[]> {
    const { dagId, endedOnly } = options;
    const action = dagId === undefined ? 'list runs' : `list the runs of DAG ${JSON.stringify(dagId)}`;
    if (!(await this.hasTables(action))) return [];
    const rows = await this.connection.query<SummaryRow>(action, this.sql.selectRuns, [
      this.sql.lockPrefix,
      dagId ?? null,
      endedOnly === true,
    ]);
    const unowned = rows.filter((row) => row.outcome === null && !row.held).map((row) => row.run_id);
    const owned = rows.filter((row) => row.outcome === null && row.held).map((row) => row.run_id);
    const [ended, holders] = await Promise.all([
      unowned.length === 0 ? [] : this.connection.query<SummaryRow>(action, this.sql.selectEndedAmong, [unowned]),
      owned.length === 0 ? [] : this.connection.query<HolderRow & { run_id: string }>(action, LOCK_HOLDERS, [this.sql.lockPrefix, owned]),
    ]);
    const holderById = new Map(holders.map((row) => [row.run_id, row]));
    // held at the listing, let go before its holder was asked: ended since, or else not owned then
    const letGo = new Set(owned.filter((runId) => !holderById.has(runId)));
    const endedSince = letGo.size === 0 ? [] : await this.connection.query<SummaryRow>(action, this.sql.selectEndedAmong, [[...letGo]]);
    const endedById = new Map([...ended, ...endedSince].map((row) => [row.run_id, row]));
    return rows.map((row) =>
      summaryOfRow(endedById.get(row.run_id) ?? (letGo.has(row.run_id) ? { ...row, held: false } : row), holderById.get(row.run_id)),
    );
  }

  /** As {@link Journal.events}: checked as `resume` checks them (`seq` 1..n, ending at the run's last seq). */
  async events(runId: string): Promise<readonly DagEvent[]> {
    const action = `read the events of run "${runId}"`;
    if (!(await this.hasTables(action))) throw new RunNotResumableError(runId, 'unknown');
    const rows = await this.connection.query<RunEventRow>(action, this.sql.selectEventsOfRun, [runId]);
    const [first] = rows;
    if (first === undefined) throw new RunNotResumableError(runId, 'unknown');
    const stored = first.seq === null ? [] : (rows as readonly EventRow[]);
    return checkedEvents(runId, stored, first);
  }

  /** As {@link Journal.header}: checked to be a run's header, the one of this run. */
  async header(runId: string): Promise<JournalHeader> {
    const action = `read the header of run "${runId}"`;
    if (!(await this.hasTables(action))) throw new RunNotResumableError(runId, 'unknown');
    const [run] = await this.connection.query<RunRow>(action, this.sql.selectRun, [runId]);
    if (run === undefined) throw new RunNotResumableError(runId, 'unknown');
    return headerOf(runId, run);
  }

  /**
   * As {@link Journal.remove}: in one transaction, the run's lock taken without waiting (an
   * owner's session lock refuses it), then its events and its row deleted; the lock goes with
   * the transaction. A schema without the journal's tables holds no run.
   */
  async remove(runId: string): Promise<void> {
    const action = `remove run "${runId}"`;
    const unknown = () => new RunNotResumableError(runId, 'unknown', undefined, this.location);
    if (!(await this.hasTables(action))) throw unknown();
    const removal = await this.connection.transaction(action, (query) => this.removeRun(query, runId));
    if (removal === 'unknown') throw unknown();
    if (removal !== 'removed') throw removal;
  }

  end(): Promise<void> {
    return this.connection.end();
  }

  hasJournal(): Promise<boolean> {
    return this.hasTables(`check the journal's tables in schema "${this.schema}"`);
  }

  /**
   * The statements of {@link remove}, in its transaction: what came of it. A lock held by a
   * connection of a journal's own pool (named `rxdag-pool HOST:PID`; an owner's session is
   * `rxdag HOST:PID`) is another remover's, for the moment of its transaction (two prunes at
   * once): waited for, the run looked for again. Any other holder is refused at once.
   */
  private async removeRun(query: TransactionQuery, runId: string): Promise<Removal> {
    // each statement then sees what committed before it (a server's default may be stricter)
    await query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
    const name = this.sql.lockPrefix + runId;
    const waitUntil = Date.now() + REMOVER_WAIT_MS;
    let holder: HolderRow | undefined;
    let vanished = 0; // looks in a row that found no holder (it let go between the two queries): looked at again at once
    for (;;) {
      if ((await query(this.sql.selectRunId, [runId])).length === 0) return 'unknown';
      const [row] = await query<{ locked: boolean }>(TRY_XACT_LOCK, [name]);
      if (row?.locked === true) {
        await query(this.sql.deleteEvents, [runId]);
        return (await query(this.sql.deleteRun, [runId])).length === 0 ? 'unknown' : 'removed';
      }
      // the server shows a transaction its sessions as they were at its first look: each look is afresh
      await query(CLEAR_STATS_SNAPSHOT);
      [holder] = await query<HolderRow>(LOCK_HOLDER, [name]);
      if (holder !== undefined && holder.application_name?.startsWith(POOL_NAME_PREFIX) !== true)
        return lockedBy(runId, holder, this.connection.ownerTag);
      vanished = holder === undefined ? vanished + 1 : 0;
      if (vanished > 2 || (holder !== undefined && Date.now() > waitUntil)) break;
      if (holder !== undefined) await new Promise((resolve) => setTimeout(resolve, REMOVER_LOOK_MS));
    }
    return holder === undefined ? new RunLockedError(runId, RACING_OWNER) : lockedBy(runId, holder, this.connection.ownerTag);
  }

  /**
   * Creates the tables once per journal (again after a failure); two processes at once wait on a
   * lock. Only a new run creates them: reading a schema without them changes nothing.
   */
  private ready(): Promise<void> {
    this.tables ??= this.createTables().catch((error: unknown) => {
      this.tables = undefined;
      throw error;
    });
    return this.tables;
  }

  /**
   * Whether the tables are there (a schema without them holds no run); asked until they are. The
   * same query checks them to be the journal's: someone else's `runs` would fail every statement.
   */
  private async hasTables(action: string): Promise<boolean> {
    if (this.tablesFound) return true;
    const tables = await this.connection.query<TableRow>(action, this.sql.tablesFound, this.sql.tablesFoundArguments);
    this.tablesFound = this.journalTables(action, tables);
    return this.tablesFound;
  }

  /** Whether `tables` are all there; a `PostgresJournalError` for `action` when one is not the journal's. */
  private journalTables(action: string, tables: readonly TableRow[]): boolean {
    const problem = foreignTablesProblem(this.schema, tables);
    if (problem !== undefined) throw new PostgresJournalError(this.location, action, problem, undefined, undefined, true);
    return tables.length > 0 && tables.every((table) => table.found);
  }

  private async createTables(): Promise<void> {
    // a failing check is told as what it is: the tables may well be there
    const check = `check the journal's tables in schema "${this.schema}"`;
    const found = await this.hasTables(check).catch((error: unknown) => {
      // tables another journal commits during this check are found (`to_regclass`) before their
      // columns are seen (the query's snapshot): they look foreign here, and are judged again under the lock
      // a user without the right to look is told so, not that the tables could not be made
      if (error instanceof PostgresJournalError && error.serverAnswered && error.code !== INSUFFICIENT_PRIVILEGE) return false;
      throw error;
    });
    if (found) return;
    const action = `create the journal's tables in schema "${this.schema}"`;
    await this.connection.transaction(action, async (query) => {
      await query(SCHEMA_LOCK, [this.sql.schemaLockName]);
      // looked at again under the lock: what was made since is not adopted unchecked
      if (this.journalTables(check, await query<TableRow>(this.sql.tablesFound, this.sql.tablesFoundArguments))) return;
      const [schema] = await query<{ found: boolean }>(SCHEMA_FOUND, [this.schema]);
      if (schema?.found !== true) await query(this.sql.createSchema);
      await query(this.sql.createTables);
    });
  }

  /** The run's last event (null for a run without events); `RunNotResumableError` when unknown. */
  private async lastEvent(runId: string, action: string): Promise<DagEvent | null> {
    const [last] = await this.connection.query<EventRow>(action, this.sql.selectLastEvent, [runId]);
    if (last === undefined) await this.header(runId);
    return (last?.event as DagEvent | undefined) ?? null;
  }

  /** Takes the run's advisory lock on `session`: true, or the refusal naming who holds it. */
  private async tryOwn(session: Session, runId: string): Promise<true | RunLockedError> {
    const name = this.sql.lockPrefix + runId;
    // the holder may let go between the two queries: then try again
    for (let round = 0; round < 3; round += 1) {
      const [row] = await session.query<{ locked: boolean }>(TRY_LOCK, [name]);
      if (row?.locked === true) return true;
      const [holder] = await session.query<HolderRow>(LOCK_HOLDER, [name]);
      if (holder !== undefined) return lockedBy(runId, holder, this.connection.ownerTag);
    }
    return new RunLockedError(runId, RACING_OWNER);
  }

  /** After a failed create or resume: the lock and the session go back, nothing else changed. */
  private async giveUp(session: Session, runId: string, locked: boolean): Promise<void> {
    let unlocked = !locked;
    if (locked && session.broken === undefined) {
      unlocked = await session.query(UNLOCK, [this.sql.lockPrefix + runId]).then(
        () => true,
        () => false,
      );
    }
    await session.release(!unlocked);
  }

  /** The journal's own errors as they are; anything else as a `PostgresJournalError`. */
  private failure(action: string, error: unknown): Error {
    const own =
      error instanceof RunExistsError ||
      error instanceof RunLockedError ||
      error instanceof RunNotResumableError ||
      error instanceof JournalCorruptError;
    return own ? error : this.connection.fail(action, error);
  }
}

/** An ended run (its last event is `dag.completed`) is not resumed: `RunNotResumableError`. */
function refuseEnded(runId: string, last: DagEvent | null): void {
  if (last?.type === 'dag.completed') throw new RunNotResumableError(runId, 'ended', last.outcome);
}

/** How long a removal waits for another remover's lock (deleting a run of a million events takes ~1 s), and how often it looks. */
const REMOVER_WAIT_MS = 30_000;
const REMOVER_LOOK_MS = 50;

/** The SQLSTATE of a statement refused for the user's rights (`permission denied for schema …`). */
const INSUFFICIENT_PRIVILEGE = '42501';
