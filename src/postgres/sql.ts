/**
 * The SQL of the PostgreSQL journal: its two tables in their schema (created on first use), the
 * statements that read and write them, and the advisory-lock keys that give a run's ownership.
 * It only builds statement texts; it runs nothing (see `postgresJournal.ts` and `writer.ts`).
 *
 * Events and headers are stored as `json`, not `jsonb`: `jsonb` refuses strings holding `\u0000`
 * or a lone surrogate, which an agent's output may contain, and reorders object keys; `json`
 * keeps the text as written (and `->`/`->>` still query it).
 */

import { holdsConnectionString, shownValue } from './connectionString';

/** PostgreSQL's longest identifier, in bytes. */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * What is wrong with `name` as a schema name, or undefined when PostgreSQL can hold it. The
 * CLI asks it before loading `pg` (this module needs none).
 *
 * @example
 * schemaNameProblem('') // 'must be 1 to 63 bytes without NUL, got ""'
 */
export function schemaNameProblem(name: string): string | undefined {
  const bytes = Buffer.byteLength(name);
  // PostgreSQL refuses to create such a schema ("unacceptable schema name")
  if (/^pg_/.test(name)) return `must not start with "pg_", which PostgreSQL keeps for its own schemas, got ${shownValue(name)}`;
  if (holdsConnectionString(name))
    return `must be a schema's name, got a connection string (${shownValue(name)}): give that as the connection string`;
  if (name !== '' && !name.includes('\0') && bytes <= MAX_IDENTIFIER_BYTES) return undefined;
  // a long name is counted, not repeated: it is in the message's connection string already
  const got = bytes > MAX_IDENTIFIER_BYTES ? `${bytes} bytes` : shownValue(name);
  return `must be 1 to ${MAX_IDENTIFIER_BYTES} bytes without NUL, got ${got}`;
}

/** A schema name as a quoted SQL identifier; throws on a name PostgreSQL cannot hold. */
export function quoteIdentifier(name: string): string {
  const problem = schemaNameProblem(name);
  if (problem !== undefined) throw new TypeError(`postgresJournal: schema ${problem}`);
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The columns of the journal's tables that its statements use: a table of that name without one
 * of them is not the journal's (someone else's `runs`), and the journal neither reads nor adopts it.
 */
const JOURNAL_COLUMNS = {
  runs: ['run_id', 'dag_id', 'header', 'created_at', 'outcome', 'started_at', 'ended_at', 'last_seq', 'counts'],
  events: ['run_id', 'seq', 'type', 'event'],
} as const;

/** Statement texts for one schema. */
export class JournalSql {
  private readonly runs: string;
  private readonly events: string;
  /**
   * Prefix of the text hashed into a run's advisory-lock key: `rxdag:<schema>:` (as it always
   * was), or for a schema with a colon `rxdag/<its length>/<schema>:`, so that schema `a:b` with
   * run `c` and schema `a` with run `b:c` do not share a lock.
   */
  readonly lockPrefix: string;
  /** Text hashed into the key of the transaction lock that serializes creating the tables. */
  readonly schemaLockName: string;

  constructor(readonly schema: string) {
    const quoted = quoteIdentifier(schema);
    this.runs = `${quoted}.runs`;
    this.events = `${quoted}.events`;
    this.lockPrefix = schema.includes(':') ? `rxdag/${schema.length}/${schema}:` : `rxdag:${schema}:`;
    this.schemaLockName = `rxdag-schema:${schema}`;
  }

  /**
   * A row per table of the journal (`name`, as in {@link JOURNAL_COLUMNS}): whether the schema
   * has a table of that name (`found`), and which of the journal's columns it lacks (`missing`:
   * none when it is the journal's, or when there is no such table). `to_regclass` and
   * `pg_attribute` need no privilege, unlike `CREATE SCHEMA`, and show every column, unlike
   * `information_schema.columns`.
   */
  get tablesFound(): string {
    return `SELECT t.name, c.oid IS NOT NULL AS found,
        ARRAY(SELECT wanted FROM unnest(t.columns) WITH ORDINALITY AS w (wanted, n)
          WHERE c.oid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_attribute a
            WHERE a.attrelid = c.oid AND a.attname = w.wanted AND a.attnum > 0 AND NOT a.attisdropped)
          ORDER BY w.n) AS missing
      FROM (VALUES ('runs', $1::text, $2::text[]), ('events', $3::text, $4::text[])) AS t (name, qualified, columns)
        CROSS JOIN LATERAL (SELECT to_regclass(t.qualified)::oid AS oid) c`;
  }

  /** Arguments of {@link tablesFound}. */
  get tablesFoundArguments(): readonly unknown[] {
    return [this.runs, JOURNAL_COLUMNS.runs, this.events, JOURNAL_COLUMNS.events];
  }

  /**
   * Creates the schema. Asked only when {@link SCHEMA_FOUND} found none: `CREATE SCHEMA IF NOT
   * EXISTS` needs the right to create schemas in the database even when the schema is there (one
   * an administrator made for the journal's user).
   */
  get createSchema(): string {
    return `CREATE SCHEMA ${quoteIdentifier(this.schema)}`;
  }

  /** Creates the tables that are missing; run after `pg_advisory_xact_lock` on {@link schemaLockName}. */
  get createTables(): string {
    const { runs, events } = this;
    return `
      CREATE TABLE IF NOT EXISTS ${runs} (
        run_id text PRIMARY KEY,
        dag_id text NOT NULL,
        header json NOT NULL,
        created_at timestamptz NOT NULL,
        outcome text CHECK (outcome IN ('succeeded', 'failed', 'cancelled')),
        started_at double precision,
        ended_at double precision,
        last_seq integer NOT NULL DEFAULT 0,
        counts jsonb NOT NULL
      );
      CREATE INDEX IF NOT EXISTS runs_created_at ON ${runs} (created_at DESC, run_id DESC);
      CREATE TABLE IF NOT EXISTS ${events} (
        run_id text NOT NULL REFERENCES ${runs} (run_id) ON DELETE CASCADE,
        seq integer NOT NULL,
        type text NOT NULL,
        event json NOT NULL,
        PRIMARY KEY (run_id, seq)
      );`;
  }

  /** `$1` run id, `$2` dag id, `$3` header, `$4` created at (ms), `$5` counts; no row when the run exists. */
  get insertRun(): string {
    return `INSERT INTO ${this.runs} (run_id, dag_id, header, created_at, counts)
      VALUES ($1, $2, $3::json, to_timestamp($4::double precision / 1000), $5::jsonb)
      ON CONFLICT (run_id) DO NOTHING RETURNING run_id`;
  }

  /**
   * One statement, so one transaction: inserts the events (`$2` seqs, `$3` types, `$4` events as
   * JSON texts) and brings the run's row up to date (`$5` last seq, `$6` counts, `$7` started at,
   * `$8` ended at, `$9` outcome). Either all of it is committed or nothing.
   */
  get append(): string {
    return `WITH appended AS (
        INSERT INTO ${this.events} (run_id, seq, type, event)
        SELECT $1, u.seq, u.type, u.event FROM unnest($2::integer[], $3::text[], $4::json[]) AS u (seq, type, event)
      )
      UPDATE ${this.runs} SET last_seq = $5, counts = $6::jsonb, started_at = $7, ended_at = $8, outcome = $9
      WHERE run_id = $1`;
  }

  /** `$1` run id, `$2` seqs, `$3` types, `$4` events as JSON texts: a piece of a group too big for one statement (see `writer.ts`). */
  get insertEvents(): string {
    return `INSERT INTO ${this.events} (run_id, seq, type, event)
      SELECT $1, u.seq, u.type, u.event FROM unnest($2::integer[], $3::text[], $4::json[]) AS u (seq, type, event)`;
  }

  /** `$1` run id, `$2` last seq, `$3` counts, `$4` started at, `$5` ended at, `$6` outcome: the row after a group's pieces. */
  get updateRun(): string {
    return `UPDATE ${this.runs} SET last_seq = $2, counts = $3::jsonb, started_at = $4, ended_at = $5, outcome = $6 WHERE run_id = $1`;
  }

  /** `$1` run id: its row (header, last seq), none when unknown. */
  get selectRun(): string {
    return `SELECT header, last_seq, outcome FROM ${this.runs} WHERE run_id = $1`;
  }

  /** `$1` run id: a row when the run is there (without its header, which may be large). */
  get selectRunId(): string {
    return `SELECT run_id FROM ${this.runs} WHERE run_id = $1`;
  }

  /** `$1` run id: deletes its events (before its row, which they reference). */
  get deleteEvents(): string {
    return `DELETE FROM ${this.events} WHERE run_id = $1`;
  }

  /** `$1` run id: deletes its row; returns it when there was one. */
  get deleteRun(): string {
    return `DELETE FROM ${this.runs} WHERE run_id = $1 RETURNING run_id`;
  }

  /** `$1` run id: its last event, none when it has no event. */
  get selectLastEvent(): string {
    return `SELECT seq, type, event FROM ${this.events} WHERE run_id = $1 ORDER BY seq DESC LIMIT 1`;
  }

  /** `$1` run id: its events in `seq` order. */
  get selectEvents(): string {
    return `SELECT seq, type, event FROM ${this.events} WHERE run_id = $1 ORDER BY seq`;
  }

  /**
   * `$1` run id: its last seq as its row says (`last_seq`) beside each of its events in `seq`
   * order, read in one statement (so from one snapshot, while its owner may append); one row with
   * a null `seq` for a run without events, none for an unknown run.
   */
  get selectEventsOfRun(): string {
    return `SELECT r.last_seq, r.outcome, e.seq, e.type, e.event
      FROM ${this.runs} r LEFT JOIN ${this.events} e ON e.run_id = r.run_id
      WHERE r.run_id = $1 ORDER BY e.seq`;
  }

  /**
   * Every run, newest first, with `held`: another session holds its advisory lock. A 64-bit key
   * shows in `pg_locks` as `classid` (high 32 bits) and `objid` (low 32 bits), `objsubid` 1.
   * `$1` is {@link lockPrefix}; `$2` a DAG id (null: every DAG's runs); `$3` true for ended runs only.
   * (`EXISTS`: one pass over the locks; a join per run would read them once per run.)
   */
  get selectRuns(): string {
    return `WITH held AS (${HELD_LOCKS})
      SELECT r.run_id, r.dag_id, r.outcome, r.started_at, r.ended_at, r.last_seq, r.counts,
        EXISTS (SELECT 1 FROM held h WHERE h.classid = (k.key >> 32) & 4294967295 AND h.objid = k.key & 4294967295) AS held
      FROM ${this.runs} r CROSS JOIN LATERAL (SELECT hashtextextended($1 || r.run_id, 0) AS key) k
      WHERE ($2::text IS NULL OR r.dag_id = $2) AND (NOT $3::boolean OR r.outcome IS NOT NULL)
      ORDER BY r.created_at DESC, r.run_id DESC`;
  }

  /** `$1` run ids: those that have ended, as {@link selectRuns} lists them (none is held: its owner let go). */
  get selectEndedAmong(): string {
    return `SELECT run_id, dag_id, outcome, started_at, ended_at, last_seq, counts, false AS held
      FROM ${this.runs} WHERE run_id = ANY($1::text[]) AND outcome IS NOT NULL`;
  }
}

/** Advisory locks on 64-bit keys in this database that another session holds. */
const HELD_LOCKS = `SELECT l.classid::bigint AS classid, l.objid::bigint AS objid, l.pid
  FROM pg_locks l
  WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.pid <> pg_backend_pid()
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

/** `$1` schema name: whether the database has it (`found`). */
export const SCHEMA_FOUND = `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS found`;

/** `$1` lock name: takes the session lock on its key now, or returns false. */
export const TRY_LOCK = `SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked`;

/**
 * `$1` lock name: takes the transaction lock on its key now, or returns false. It conflicts with
 * the session lock of the same key ({@link TRY_LOCK}, an owner's): taken, no session owns the
 * run until the transaction ends.
 */
export const TRY_XACT_LOCK = `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked`;

/** `$1` lock name: gives the session lock back. */
export const UNLOCK = `SELECT pg_advisory_unlock(hashtextextended($1, 0)) AS unlocked`;

/** `$1` lock name: waits for the transaction lock that serializes creating the tables. */
export const SCHEMA_LOCK = `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`;

/** `$1` {@link JournalSql.lockPrefix}, `$2` run ids: the session holding each one's lock, for those another session holds. */
export const LOCK_HOLDERS = `WITH held AS (${HELD_LOCKS})
  SELECT r.run_id, h.pid, a.application_name, host(a.client_addr) AS client_addr
  FROM unnest($2::text[]) AS r(run_id) CROSS JOIN LATERAL (SELECT hashtextextended($1 || r.run_id, 0) AS key) k
    JOIN held h ON h.classid = (k.key >> 32) & 4294967295 AND h.objid = k.key & 4294967295
    LEFT JOIN pg_stat_activity a ON a.pid = h.pid`;

/** Forgets what `pg_stat_activity` showed this transaction so far: it is kept until the transaction ends. */
export const CLEAR_STATS_SNAPSHOT = `SELECT pg_stat_clear_snapshot()`;

/** `$1` lock name: the session holding that lock (none when it was just released). */
export const LOCK_HOLDER = `WITH held AS (${HELD_LOCKS}), k AS (SELECT hashtextextended($1, 0) AS key)
  SELECT h.pid, a.application_name, host(a.client_addr) AS client_addr
  FROM held h CROSS JOIN k LEFT JOIN pg_stat_activity a ON a.pid = h.pid
  WHERE h.classid = (k.key >> 32) & 4294967295 AND h.objid = k.key & 4294967295
  LIMIT 1`;
