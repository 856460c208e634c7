/**
 * A session of the PostgreSQL journal: one connection of its own that holds a run's advisory
 * lock for the run's life. It knows when the connection can no longer be trusted (`broken`) and
 * says at once when it was lost without a query of ours (the server ended it, the network
 * dropped it): the server then released the lock, and another process may own the run. It does
 * not know what a run or a lock is; `writer.ts` and `postgresJournal.ts` do.
 */

import type { Client, PoolClient, QueryConfig, QueryResultRow } from 'pg';

/** A connection that holds a run's ownership for the run's life. */
export interface Session {
  /**
   * Runs one statement on this session, failing when the server does not answer within
   * `timeoutMs` (default: the journal's query timeout). A failure that is not the statement's
   * own (a timeout, a lost connection) breaks the session: a statement whose answer never came
   * may still commit on the server, so nothing more may be sent through it.
   */
  query<R extends QueryResultRow>(text: string, values?: readonly unknown[], timeoutMs?: number): Promise<R[]>;
  /** Set once the connection failed or could not be trusted: every later query fails too. */
  readonly broken: Error | undefined;
  /**
   * Calls `listener` once, with the first error, when the connection fails before it is
   * released (in a microtask when it already has). A released session calls no listener.
   */
  onLost(listener: (error: Error) => void): void;
  /**
   * Gives the connection back (a pool client) or ends it. A broken one, or one released with
   * `destroy` (it may still hold a lock), is closed, never given back. Later calls do nothing.
   */
  release(destroy?: boolean): Promise<void>;
}

/**
 * How long a session may go without a query before it asks the server whether it is still there
 * (`SELECT 1`, within the query timeout): at most this, or the query timeout when that is shorter.
 * A network that dropped off without a word (no FIN, no RST) is then found within one and a half
 * of this and one query timeout (45 s by default), before the server's keepalives ({@link OWNER_SETTINGS}, about
 * a minute) let another process take the run, rather than at the run's next append, while the
 * tasks whose release was journaled already kept starting.
 */
const HEARTBEAT_MS = 10_000;

/** How long ending a session's own connection may take before its socket is destroyed (a server that does not answer). */
const END_TIMEOUT_MS = 1000;

/**
 * What every session that owns runs sets first: its name (who owns a run, for `RunLockedError`)
 * and TCP keepalives, so that the server probes an idle connection after 30 s and drops it after
 * 3 probes 10 s apart go unanswered. A run whose machine vanished (no FIN, no RST reaches the
 * server) is then released in about a minute instead of the server's default of over two hours.
 * A Unix-domain socket ignores them.
 */
export const OWNER_SETTINGS =
  "SELECT set_config('application_name', $1, false), set_config('tcp_keepalives_idle', '30', false), " +
  "set_config('tcp_keepalives_interval', '10', false), set_config('tcp_keepalives_count', '3', false)";

/**
 * {@link OWNER_SETTINGS} of a connection the journal opened itself (not an application's pool's,
 * whose settings are the application's): a `statement_timeout` or `lock_timeout` of the role, the
 * database or the server's configuration is turned off, one the connection string gives
 * (`?statement_timeout=`, `options=-c …`) kept. Such a bound stopped a run at a table locked a
 * moment (a migration, a VACUUM FULL), though the server had rolled the group back and could take
 * it again: the journal's own `query_timeout` bounds how long a flush waits.
 */
export const OWN_CONNECTION_SETTINGS = `${OWNER_SETTINGS}, ${['statement_timeout', 'lock_timeout', 'transaction_timeout'].map(unboundedUnlessGiven).join(', ')}`;

/**
 * `name` set to 0 unless the connection string gave it; nothing for a setting this server does not
 * have (`transaction_timeout`, from PostgreSQL 17, which ends a one-statement transaction too).
 */
function unboundedUnlessGiven(name: string): string {
  return `(SELECT set_config(name, '0', false) FROM pg_settings WHERE name = '${name}' AND source <> 'client')`;
}

/** What a session given back to an application's pool undoes of {@link OWNER_SETTINGS}. */
const OWNER_SETTINGS_RESET = 'RESET application_name; RESET tcp_keepalives_idle; RESET tcp_keepalives_interval; RESET tcp_keepalives_count';

/** pg's error for a query whose `query_timeout` elapsed (it has no code). */
const PG_QUERY_TIMEOUT_MESSAGE = 'Query read timeout';

/** Whether `error` is pg's `query_timeout` error. */
export function isQueryTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === PG_QUERY_TIMEOUT_MESSAGE && (error as { code?: unknown }).code === undefined;
}

/**
 * Whether `error` is the failure of a statement that the server reported and rolled back (a
 * constraint, a syntax error): the session is still in a known state. Anything else (a
 * timeout, a lost connection, a FATAL error of the server) leaves it unknown.
 */
function isStatementError(error: unknown): boolean {
  const { severity } = (error ?? {}) as { severity?: unknown };
  return error instanceof Error && severity === 'ERROR';
}

/** A statement with its timeout, as pg takes it (its `QueryConfig` type lacks `query_timeout`). */
export function timedStatement(text: string, values: readonly unknown[] | undefined, timeoutMs: number): QueryConfig {
  const config: QueryConfig & { query_timeout: number } = {
    text,
    ...(values === undefined ? {} : { values: [...values] }),
    query_timeout: timeoutMs,
  };
  return config;
}

/**
 * A {@link Session} over `client`, connected already. `pooled`: a client of a pool, given back
 * to it on release (unless broken). `timeoutMs`: the default query timeout.
 */
export function sessionOf(client: Client | PoolClient, pooled: boolean, timeoutMs: number, onReleased?: () => void): Session {
  let broken: Error | undefined;
  let released = false;
  const listeners: ((error: Error) => void)[] = [];
  const lose = (error: Error) => {
    // the first error says why (the server's "terminating connection…"); what follows is its echo
    broken ??= error;
    if (released) return;
    for (const listener of listeners.splice(0)) listener(broken);
  };
  const onError = (error: Error) => lose(error);
  const onEnd = () => lose(new Error('the connection was closed'));
  client.on('error', onError);
  client.on('end', onEnd);
  const destroy = () => client.connection.stream.destroy();
  let querying = 0;
  let answeredAt = Date.now();
  const heartbeatMs = Math.min(HEARTBEAT_MS, timeoutMs);
  // looked at twice a period: a session asks within 1.5 periods of its last answer
  const heartbeat = setInterval(() => {
    if (querying > 0 || broken !== undefined || Date.now() - answeredAt < heartbeatMs) return;
    session.query('SELECT 1').catch((error: Error) => lose(error));
  }, heartbeatMs / 2);
  heartbeat.unref(); // a session open is no reason to keep the process

  const session: Session = {
    query: async <R extends QueryResultRow>(text: string, values?: readonly unknown[], ms = timeoutMs) => {
      if (broken !== undefined) throw broken;
      querying++;
      try {
        return (await client.query<R>(timedStatement(text, values, ms))).rows;
      } catch (error) {
        if (!isStatementError(error)) {
          broken ??= error instanceof Error ? error : new Error(String(error));
          // pg keeps waiting for a timed-out answer on the socket: closing it makes the server
          // roll back what it had not committed, and drop the session's locks
          if (isQueryTimeout(error)) destroy();
        }
        throw error;
      } finally {
        querying--;
        answeredAt = Date.now();
      }
    },
    get broken() {
      return broken;
    },
    onLost(listener) {
      if (released) return;
      if (broken === undefined) listeners.push(listener);
      else {
        const error = broken;
        queueMicrotask(() => listener(error));
      }
    },
    release: async (forced = false) => {
      if (released) return;
      released = true;
      listeners.length = 0;
      clearInterval(heartbeat);
      if (forced) broken ??= new Error('session destroyed: it may still hold a lock');
      if (pooled && broken === undefined) {
        await client.query(timedStatement(OWNER_SETTINGS_RESET, undefined, timeoutMs)).catch((error: Error) => {
          broken = error;
        });
      }
      client.off('error', onError);
      client.off('end', onEnd);
      // an own connection that failed may still report while it ends: it must not crash the
      // process (a pool client is the pool's again, which listens itself)
      if (!pooled) client.on('error', () => undefined);
      try {
        await endClient(client, pooled, broken);
      } finally {
        onReleased?.();
      }
    },
  };
  return session;
}

/** Gives a pool client back (destroyed when `error` is set) or ends a client of its own. */
export async function endClient(client: Client | PoolClient, pooled: boolean, error: unknown): Promise<void> {
  if (pooled && 'release' in client) {
    client.release(error instanceof Error ? error : error === undefined ? undefined : true);
    return;
  }
  // a client whose connection failed may never answer `end`: do not wait on it, close its socket
  const ended = await Promise.race([
    client.end().then(
      () => true,
      () => false,
    ),
    new Promise<false>((done) => setTimeout(done, END_TIMEOUT_MS, false).unref()),
  ]);
  if (!ended) client.connection.stream.destroy();
}
