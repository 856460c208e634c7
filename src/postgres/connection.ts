/**
 * How the PostgreSQL journal reaches its server: the location it names in messages (the
 * connection string with its password replaced by `***`), the pool its reads go through, the
 * dedicated sessions that own runs (`session.ts`; at most `maxSessions` of its own connections
 * at once, more runs waiting for one), the time every query may wait for an answer,
 * and one error, {@link PostgresJournalError} (`journalError.ts`), for every failure of the server
 * or the network. It does not know the journal's tables or what a run is.
 */

import { hostname, userInfo } from 'node:os';
import { Client, Pool, type PoolClient, type QueryConfig, type QueryResult, type QueryResultRow } from 'pg';
import {
  connectionStringProblem,
  parameterProblem,
  postgresConnection,
  redactConnectionString,
  schemaParameterProblem,
} from './connectionString';
import { messageOf, noPasswordFailure, PostgresJournalError } from './journalError';
import { refuseMistypedOptions } from './options';
import { endClient, isQueryTimeout, OWN_CONNECTION_SETTINGS, OWNER_SETTINGS, type Session, sessionOf, timedStatement } from './session';

/** Options of `postgresJournal`: exactly one of `connectionString` and `pool`. */
export interface PostgresJournalOptions {
  /**
   * `postgres://user:password@host:port/database`; the journal then opens and ends its own
   * connections. A `schema=NAME` parameter chooses the schema, as in the CLI's `--store`.
   */
  readonly connectionString?: string | undefined;
  /** A pool the application already has; the journal never ends it. Each open run holds one of its clients. */
  readonly pool?: Pool | undefined;
  /** The schema of the journal's tables, created on first use; case-sensitive (quoted as given). Default `rxdag`. */
  readonly schema?: string | undefined;
  /**
   * With `connectionString`: how many runs may hold a connection of their own at once (each open
   * run holds one, for its lock, from its start to its end); more runs wait for one before they
   * start. Not with `pool`, whose own `max` less one bounds them (one client stays for reads). Default 20.
   */
  readonly maxSessions?: number | undefined;
}

/** Runs that hold a connection of the journal's own at once, unless `maxSessions` says otherwise. */
export const DEFAULT_MAX_SESSIONS = 20;

/** A count of free places and the callers waiting for one, first come first served. */
class Places {
  private readonly waiting: (() => void)[] = [];
  constructor(private free: number) {}

  async take(): Promise<void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  give(): void {
    const next = this.waiting.shift();
    if (next === undefined) this.free++;
    else next();
  }
}

/** pg's `max` of a pool whose options give none. */
const PG_POOL_MAX = 10;

/** How long connecting may take before it fails (the server or network does not answer). */
const CONNECT_TIMEOUT_MS = 15_000;

/**
 * How long each query of the journal waits for the server's answer before it fails: long enough
 * for a busy server, short enough that a run whose journal stopped answering stops (and can be
 * resumed) and a read fails, instead of either hanging forever. pg's `query_timeout` (a
 * parameter of the connection string, or an option of the application's pool) overrides it.
 */
export const QUERY_TIMEOUT_MS = 30_000;

/** How a journal's own pool names its connections (`rxdag-pool HOST:PID`): they remove runs and own none. */
export const POOL_NAME_PREFIX = 'rxdag-pool ';

/** How long ending the journal's own pool may take (its server not answering); then its sockets are closed. */
const POOL_END_TIMEOUT_MS = 2000;

/**
 * `postgres://host/db` with the user this process runs as when it names none and neither
 * `PGUSER` nor `USER` is set (a container, a service): as libpq does, where pg would send no user
 * name at all and the server would refuse it ("no PostgreSQL user name specified").
 */
export function withUserOfProcess(connectionString: string, env: NodeJS.ProcessEnv = process.env): string {
  if ((env.PGUSER ?? '') !== '' || (env.USER ?? '') !== '') return connectionString;
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return connectionString; // the `host=… user=…` keyword form: as given
  }
  if (!/^postgres(ql)?:$/.test(url.protocol) || url.username !== '' || url.searchParams.has('user')) return connectionString;
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    return connectionString; // a uid without a name: pg says what is missing
  }
  // a URL without a host (`postgres:///db?host=/run/postgresql`) holds no user name: a `user` parameter does
  if (url.host === '') url.searchParams.set('user', user);
  else url.username = encodeURIComponent(user);
  return url.toString();
}

/** Passwords that must never appear in a message: the URL's (raw and decoded) and the pool's. */
function secretsOf(connectionString: string | undefined, pool: Pool | undefined): string[] {
  const secrets: string[] = [];
  if (connectionString !== undefined) {
    try {
      const password = new URL(connectionString).password;
      secrets.push(password, decodeURIComponent(password));
    } catch {
      // keyword form: the redacted location never held it
    }
  }
  const poolPassword = pool?.options.password;
  if (typeof poolPassword === 'string') secrets.push(poolPassword);
  // a very short secret would blank out ordinary words of a message; such a password is not secret anyway
  return secrets.filter((secret) => secret.length >= 4);
}

/**
 * pg's `query_timeout` of a connection string (a URL parameter) or a pool (its option, else a
 * parameter of the connection string it was made with, which pg applies too), when it is a positive number.
 */
function queryTimeoutOf(connectionString: string | undefined, pool: Pool | undefined): number | undefined {
  const poolString = typeof pool?.options.connectionString === 'string' ? pool.options.connectionString : undefined;
  const given: unknown =
    connectionString !== undefined
      ? urlParameter(connectionString, 'query_timeout')
      : (pool?.options.query_timeout ?? (poolString === undefined ? undefined : urlParameter(poolString, 'query_timeout')));
  const ms = Number(given);
  return given !== undefined && given !== null && Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/**
 * The connect time limit a connection string's `connect_timeout` gives (seconds, as libpq reads
 * it), in ms: `pg` itself reads only its `connectionTimeoutMillis` option, which this journal sets.
 */
function connectTimeoutOf(connectionString: string | undefined): number | undefined {
  const seconds = Number(connectionString === undefined ? undefined : urlParameter(connectionString, 'connect_timeout'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/** A parameter of a URL connection string; `undefined` in the keyword form, whose parameters pg reads itself. */
function urlParameter(connectionString: string, name: string): string | undefined {
  try {
    return new URL(connectionString).searchParams.get(name) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Where a pool connects, for messages: built from its options, never with the password. */
function describePool(pool: Pool): string {
  const { connectionString, user, host, port, database } = pool.options;
  if (typeof connectionString === 'string') return redactConnectionString(connectionString);
  const who = typeof user === 'string' ? `${user}@` : '';
  const where = typeof host === 'string' ? host : 'localhost';
  return `postgres://${who}${where}${port === undefined ? '' : `:${port}`}/${database ?? ''} (pool)`;
}

/** Runs one statement of a transaction (see {@link Connection.transaction}); its rows (a text of several statements: the last one's). */
export type TransactionQuery = <R extends QueryResultRow>(text: string, values?: readonly unknown[]) => Promise<R[]>;

/** The journal's way to its server: pooled reads, dedicated sessions, error wrapping. */
export class Connection {
  readonly location: string;
  private readonly pool: Pool;
  private readonly secrets: string[];
  /** `application_name` of the sessions that own runs: tells `RunLockedError` who owns a run. */
  readonly ownerTag = `rxdag ${hostname()}:${process.pid}`.slice(0, 63);
  /** How long each query waits for an answer (see {@link QUERY_TIMEOUT_MS}). */
  readonly queryTimeoutMs: number;
  /** How long connecting may take: the connection string's `connect_timeout`, else {@link CONNECT_TIMEOUT_MS}. */
  private readonly connectTimeoutMs: number;
  // the clients of the journal's own pool, closed when ending the pool takes too long
  private readonly ownClients = new Set<Client>();
  // the connection string the journal connects with: without `schema=` (see `postgresConnection`), with a user (see `withUserOfProcess`)
  private readonly connectTo: string | undefined;
  /** The connection string's `schema=NAME` parameter, when it has one. */
  readonly schemaParameter: string | undefined;
  // the sessions of its own the journal may open at once (`maxSessions`)
  private readonly sessionPlaces: Places;
  // set by `end()`: from then on every use is refused, the runs open before it keep their sessions
  private ended = false;

  constructor(private readonly options: PostgresJournalOptions) {
    refuseMistypedOptions(options);
    const { connectionString, pool, maxSessions = DEFAULT_MAX_SESSIONS } = options;
    if ((connectionString === undefined) === (pool === undefined)) {
      throw new TypeError('postgresJournal: give exactly one of `connectionString` and `pool`');
    }
    if (typeof connectionString === 'string') {
      const problem = connectionStringProblem(connectionString) ?? parameterProblem(connectionString);
      if (problem !== undefined) {
        throw new TypeError(`postgresJournal: \`connectionString\` "${redactConnectionString(connectionString)}" ${problem}`);
      }
    }
    // a pool built from a connection string with `schema=`: the journal goes where it says, as with
    // `connectionString`; its other parameters are the application's (its own search_path, its sslmode)
    const poolString = typeof pool?.options.connectionString === 'string' ? pool.options.connectionString : undefined;
    const poolProblem = poolString === undefined ? undefined : schemaParameterProblem(poolString);
    if (poolProblem !== undefined) {
      throw new TypeError(`postgresJournal: the connection string of \`pool\` "${redactConnectionString(poolString!)}" ${poolProblem}`);
    }
    if (pool !== undefined && options.maxSessions !== undefined) {
      throw new TypeError(
        "postgresJournal: `maxSessions` is for the journal's own connections (`connectionString`); with `pool`, the pool's `max` bounds the runs open at once",
      );
    }
    if (!Number.isSafeInteger(maxSessions) || maxSessions < 1) {
      throw new TypeError(
        `postgresJournal: \`maxSessions\` must be a positive integer (got ${typeof maxSessions === 'string' ? JSON.stringify(maxSessions) : String(maxSessions)})`,
      );
    }
    // with an application's pool, its `max` less one: a client stays for the journal's reads (a
    // listing, a resume's read of its record), which would otherwise wait for a run to end
    this.sessionPlaces = new Places(pool === undefined ? maxSessions : Math.max(1, (pool.options.max ?? PG_POOL_MAX) - 1));
    this.location = pool === undefined ? redactConnectionString(connectionString ?? '') : describePool(pool);
    this.secrets = secretsOf(connectionString, pool);
    this.queryTimeoutMs = queryTimeoutOf(connectionString, pool) ?? QUERY_TIMEOUT_MS;
    this.connectTimeoutMs = connectTimeoutOf(connectionString) ?? CONNECT_TIMEOUT_MS;
    const target = connectionString === undefined ? undefined : postgresConnection(connectionString);
    this.schemaParameter = target?.schema ?? (poolString === undefined ? undefined : postgresConnection(poolString).schema);
    this.connectTo = target === undefined ? undefined : withUserOfProcess(target.connectionString);
    this.pool =
      pool ??
      new Pool({
        connectionString: this.connectTo,
        // named beside the sessions that own runs (`rxdag HOST:PID`): `rxdag%` finds every one
        application_name: `${POOL_NAME_PREFIX}${hostname()}:${process.pid}`.slice(0, 63),
        connectionTimeoutMillis: this.connectTimeoutMs,
        // as the sessions: a pooled connection whose peer vanished is found by the system, not by a query's time limit
        keepAlive: true,
        allowExitOnIdle: true,
        max: 4,
      });
    if (pool === undefined) {
      // an idle pooled connection that dies reports here; the next query reports it to its caller
      this.pool.on('error', () => undefined);
      this.pool.on('connect', (client) => this.ownClients.add(client));
      this.pool.on('remove', (client) => this.ownClients.delete(client));
    }
  }

  /** The error to throw for a failure of `action`: names the redacted location, never a password. */
  fail(action: string, error: unknown): PostgresJournalError {
    if (error instanceof PostgresJournalError) return error;
    const noPassword = noPasswordFailure(this.location, action, error);
    if (noPassword !== undefined) return noPassword;
    const { message, code } = isQueryTimeout(error)
      ? { message: `no answer from the server within ${this.queryTimeoutMs} ms (query_timeout)`, code: undefined }
      : messageOf(error);
    const reason = this.secrets.reduce((text, secret) => text.split(secret).join('***'), message);
    return new PostgresJournalError(this.location, action, reason, code, error);
  }

  /** One statement through the pool; its rows. A client whose answer did not come in time is closed by the pool. */
  async query<R extends QueryResultRow>(action: string, text: string, values?: readonly unknown[]): Promise<R[]> {
    this.refuseIfEnded(action);
    try {
      return (await this.pool.query<R>(this.statement(text, values))).rows;
    } catch (error) {
      throw this.fail(action, error);
    }
  }

  /** Statements in one transaction on one pooled client; what `body` resolves with, once committed. */
  async transaction<T>(action: string, body: (query: TransactionQuery) => Promise<T>): Promise<T> {
    this.refuseIfEnded(action);
    let client: PoolClient | undefined;
    try {
      client = await this.pool.connect();
      const connected = client;
      const query: TransactionQuery = async <R extends QueryResultRow>(text: string, values?: readonly unknown[]) => {
        const result: QueryResult<R> | QueryResult<R>[] = await connected.query<R>(this.statement(text, values));
        return Array.isArray(result) ? (result.at(-1)?.rows ?? []) : result.rows;
      };
      await query('BEGIN');
      const done = await body(query);
      await query('COMMIT');
      client.release();
      return done;
    } catch (error) {
      if (client !== undefined) {
        const connected = client;
        // without an answer, a ROLLBACK would wait as long again: closing the connection rolls back
        if (isQueryTimeout(error)) connected.release(error as Error);
        else {
          await connected.query(this.statement('ROLLBACK')).then(
            () => connected.release(),
            (rollbackError: Error) => connected.release(rollbackError),
          );
        }
      }
      throw this.fail(action, error);
    }
  }

  /** A connection of its own (never shared with other queries), named by {@link ownerTag}. */
  async session(action: string): Promise<Session> {
    this.refuseIfEnded(action);
    const { pool } = this.options;
    // until the session listens itself: a connection that fails now fails `connect` or the query
    const onError = () => undefined;
    let client: Client | PoolClient | undefined;
    await this.sessionPlaces.take();
    const givePlace = () => this.sessionPlaces.give();
    try {
      if (pool === undefined) {
        client = new Client({
          connectionString: this.connectTo,
          application_name: this.ownerTag,
          connectionTimeoutMillis: this.connectTimeoutMs,
          keepAlive: true,
        });
        client.on('error', onError);
        await client.connect();
      } else {
        client = await pool.connect();
        client.on('error', onError);
      }
      await client.query(this.statement(pool === undefined ? OWN_CONNECTION_SETTINGS : OWNER_SETTINGS, [this.ownerTag]));
    } catch (error) {
      if (client !== undefined) await endClient(client, pool !== undefined, error);
      givePlace();
      throw this.fail(action, error);
    }
    const session = sessionOf(client, pool !== undefined, this.queryTimeoutMs, givePlace);
    client.off('error', onError);
    return session;
  }

  /**
   * Ends the journal's own pool (a pool given by the application is left alone). A server that
   * does not answer is not waited for long: the pool's connections are closed instead.
   */
  async end(): Promise<void> {
    this.ended = true;
    if (this.options.pool !== undefined || this.pool.ended) return;
    const ended = await Promise.race([
      this.pool.end().then(
        () => true,
        () => false,
      ),
      new Promise<false>((done) => setTimeout(done, POOL_END_TIMEOUT_MS, false).unref()),
    ]);
    if (!ended) for (const client of this.ownClients) client.connection.stream.destroy();
  }

  /** After `end()`: a `PostgresJournalError` for `action`, which nothing was tried for. */
  private refuseIfEnded(action: string): void {
    if (this.ended) throw this.fail(action, new Error('the journal was ended (its end() was called); make a new one'));
  }

  /** `text` with its values and the query timeout, as pg takes them. */
  private statement(text: string, values?: readonly unknown[]): QueryConfig {
    return timedStatement(text, values, this.queryTimeoutMs);
  }
}
