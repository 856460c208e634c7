/**
 * How the PostgreSQL journal reaches its server: the location it names in messages (the
 * connection string with its password replaced by `***`), the pool its reads go through, the
 * dedicated sessions that own runs, and one error, {@link PostgresJournalError}, for every
 * failure of the server or the network. It does not know the journal's tables or what a run is.
 */

import { hostname } from 'node:os';
import { Client, Pool, type PoolClient, type QueryResultRow } from 'pg';

/** Options of `postgresJournal`: exactly one of `connectionString` and `pool`. */
export interface PostgresJournalOptions {
  /** `postgres://user:password@host:port/database`; the journal then opens and ends its own connections. */
  readonly connectionString?: string;
  /** A pool the application already has; the journal never ends it. Each open run holds one of its clients. */
  readonly pool?: Pool;
  /** The schema of the journal's tables, created on first use. Default `rxdag`. */
  readonly schema?: string;
}

/** A failure of the PostgreSQL server or of the way to it (unreachable, refused, authentication, SQL error). */
export class PostgresJournalError extends Error {
  override readonly name = 'PostgresJournalError';
  constructor(
    /** The journal's redacted location. */
    readonly location: string,
    /** What the journal was doing, e.g. `connect`, `append to run "r1"`. */
    readonly action: string,
    /** The cause's message, password removed. */
    readonly reason: string,
    /** The SQLSTATE of a server error or the Node error code (`ECONNREFUSED`), when there is one. */
    readonly code: string | undefined,
    cause: unknown,
  ) {
    super(`PostgreSQL journal at ${location}: cannot ${action}: ${reason}`, { cause });
  }
}

/** How long connecting may take before it fails (the server or network does not answer). */
const CONNECT_TIMEOUT_MS = 15_000;

/** The connection string with its password (in the URL or a `password` parameter) replaced by `***`. */
export function redactConnectionString(connectionString: string): string {
  const keywords = connectionString.replace(/(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)/gi, '$1***');
  try {
    const url = new URL(keywords);
    if (url.password === '') return keywords;
    const auth = `${url.username}:***@`;
    return `${url.protocol}//${auth}${url.host}${url.pathname}${url.search}${url.hash}`;
  } catch {
    // not a URL: `host=… password=…` keyword form, already redacted above
    return keywords;
  }
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

/** Where a pool connects, for messages: built from its options, never with the password. */
function describePool(pool: Pool): string {
  const { connectionString, user, host, port, database } = pool.options;
  if (typeof connectionString === 'string') return redactConnectionString(connectionString);
  const who = typeof user === 'string' ? `${user}@` : '';
  const where = typeof host === 'string' ? host : 'localhost';
  return `postgres://${who}${where}${port === undefined ? '' : `:${port}`}/${database ?? ''} (pool)`;
}

/**
 * The message and code of an error, also for an `AggregateError` (Node's refused IPv4+IPv6
 * connect has an empty message). Read by shape, not `instanceof`: errors may come from another realm.
 */
function messageOf(error: unknown): { message: string; code: string | undefined } {
  if (typeof error !== 'object' || error === null) return { message: String(error), code: undefined };
  const field = (key: string): unknown => (key in error ? (error as Record<string, unknown>)[key] : undefined);
  const code = typeof field('code') === 'string' ? (field('code') as string) : undefined;
  const inner = field('errors');
  let message = typeof field('message') === 'string' ? (field('message') as string) : '';
  if (message === '' && Array.isArray(inner)) {
    message = inner.map((each: unknown) => messageOf(each).message).join('; ');
  }
  if (message === '') message = code ?? String(error);
  return { message, code };
}

/** A connection that holds a run's ownership for the run's life. */
export interface Session {
  /** Runs one statement on this session. */
  query<R extends QueryResultRow>(text: string, values?: readonly unknown[]): Promise<R[]>;
  /** Set once the connection failed: every later query fails too. */
  readonly broken: Error | undefined;
  /**
   * Gives the connection back (a pool client) or ends it. A broken one, or one released with
   * `destroy` (it may still hold a lock), is closed, never given back.
   */
  release(destroy?: boolean): Promise<void>;
}

/** The journal's way to its server: pooled reads, dedicated sessions, error wrapping. */
export class Connection {
  readonly location: string;
  private readonly pool: Pool;
  private readonly secrets: string[];
  /** `application_name` of the sessions that own runs: tells `RunLockedError` who owns a run. */
  readonly ownerTag = `rxdag ${hostname()}:${process.pid}`.slice(0, 63);

  constructor(private readonly options: PostgresJournalOptions) {
    const { connectionString, pool } = options;
    if ((connectionString === undefined) === (pool === undefined)) {
      throw new TypeError('postgresJournal: give exactly one of `connectionString` and `pool`');
    }
    this.location = pool === undefined ? redactConnectionString(connectionString ?? '') : describePool(pool);
    this.secrets = secretsOf(connectionString, pool);
    this.pool = pool ?? new Pool({ connectionString, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, allowExitOnIdle: true, max: 4 });
    // an idle pooled connection that dies reports here; the next query reports it to its caller
    if (pool === undefined) this.pool.on('error', () => undefined);
  }

  /** The error to throw for a failure of `action`: names the redacted location, never a password. */
  fail(action: string, error: unknown): PostgresJournalError {
    if (error instanceof PostgresJournalError) return error;
    const { message, code } = messageOf(error);
    const reason = this.secrets.reduce((text, secret) => text.split(secret).join('***'), message);
    return new PostgresJournalError(this.location, action, reason, code, error);
  }

  /** One statement through the pool; its rows. */
  async query<R extends QueryResultRow>(action: string, text: string, values?: readonly unknown[]): Promise<R[]> {
    try {
      return (await this.pool.query<R>(text, values === undefined ? undefined : [...values])).rows;
    } catch (error) {
      throw this.fail(action, error);
    }
  }

  /** Statements in one transaction on one pooled client. */
  async transaction(action: string, body: (client: PoolClient) => Promise<void>): Promise<void> {
    let client: PoolClient | undefined;
    try {
      client = await this.pool.connect();
      await client.query('BEGIN');
      await body(client);
      await client.query('COMMIT');
      client.release();
    } catch (error) {
      if (client !== undefined) {
        await client.query('ROLLBACK').then(
          () => client?.release(),
          (rollbackError: Error) => client?.release(rollbackError),
        );
      }
      throw this.fail(action, error);
    }
  }

  /** A connection of its own (never shared with other queries), named by {@link ownerTag}. */
  async session(action: string): Promise<Session> {
    const { connectionString, pool } = this.options;
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    let client: Client | PoolClient | undefined;
    try {
      if (pool === undefined) {
        client = new Client({
          connectionString,
          application_name: this.ownerTag,
          connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
          keepAlive: true,
        });
        client.on('error', onError);
        await client.connect();
      } else {
        client = await pool.connect();
        client.on('error', onError);
        await client.query(`SELECT set_config('application_name', $1, false)`, [this.ownerTag]);
      }
    } catch (error) {
      if (client !== undefined) await endClient(client, pool !== undefined, error);
      throw this.fail(action, error);
    }
    const connected = client;
    return {
      query: async <R extends QueryResultRow>(text: string, values?: readonly unknown[]) =>
        (await connected.query<R>(text, values === undefined ? undefined : [...values])).rows,
      get broken() {
        return broken;
      },
      release: async (destroy = false) => {
        if (destroy) broken ??= new Error('session destroyed: it may still hold a lock');
        if (pool !== undefined && broken === undefined) {
          await connected.query('RESET application_name').catch((error: Error) => {
            broken = error;
          });
        }
        connected.off('error', onError);
        await endClient(connected, pool !== undefined, broken);
      },
    };
  }

  /** Ends the journal's own pool (a pool given by the application is left alone). */
  async end(): Promise<void> {
    if (this.options.pool === undefined && !this.pool.ended) await this.pool.end();
  }
}

/** Gives a pool client back (destroyed when `error` is set) or ends a client of its own. */
async function endClient(client: Client | PoolClient, pooled: boolean, error: unknown): Promise<void> {
  if (pooled && 'release' in client) {
    client.release(error instanceof Error ? error : error === undefined ? undefined : true);
    return;
  }
  // a client whose connection failed may never answer `end`: do not wait on it
  await Promise.race([client.end().catch(() => undefined), new Promise((done) => setTimeout(done, 1000).unref())]);
}
