/**
 * The one error of the PostgreSQL journal, and how a failure is worded in it: the message and
 * code of what pg or Node threw, and pg's words for a password the server asked for and was not
 * given said as what they mean. It neither connects nor retries (`connection.ts` does).
 */

/**
 * A failure of the PostgreSQL server or of the way to it (unreachable, refused, authentication, SQL
 * error), or a schema whose tables named `runs` or `events` are not the journal's.
 */
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
    /**
     * Whether the server was reached and answered: it refused a statement (an `ERROR`: a missing
     * privilege, a statement timeout) or its schema holds tables that are not the journal's. False
     * when it could not be reached, refused the connection or the login (`FATAL`), ended the
     * session, or did not answer in time.
     */
    readonly serverAnswered: boolean = refusedStatement(cause),
  ) {
    super(`PostgreSQL journal at ${location}: cannot ${action}: ${reason}`, { cause });
  }
}

/** Whether `error` is the server's refusal of one statement (pg's error of severity `ERROR`; `FATAL` ends the session). */
function refusedStatement(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { severity?: unknown }).severity === 'ERROR';
}

/** pg's error for a password the server asked for and the connection string did not give. */
const NO_PASSWORD = /client password must be a (?:non-empty )?string/;

/**
 * The message and code of an error, also for an `AggregateError` (Node's refused IPv4+IPv6
 * connect has an empty message). Read by shape, not `instanceof`: errors may come from another realm.
 */
export function messageOf(error: unknown): { message: string; code: string | undefined } {
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

/**
 * The error for a login the server answered by asking for a password none was given, or
 * `undefined` for any other failure. pg says `SASL: SCRAM-SERVER-FIRST-MESSAGE: client password
 * must be a string`, as if the store could not be reached: it was, and refused the login
 * (SQLSTATE class 28).
 */
export function noPasswordFailure(location: string, action: string, error: unknown): PostgresJournalError | undefined {
  if (!NO_PASSWORD.test(messageOf(error).message)) return undefined;
  const reason =
    'the server asks for a password and none was given (put it in the connection string, postgres://USER:PASSWORD@HOST/…, or in PGPASSWORD)';
  return new PostgresJournalError(location, action, reason, '28000', error);
}
