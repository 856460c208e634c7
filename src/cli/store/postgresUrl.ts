/**
 * What the CLI changes in a `postgres://` store URL before `pg` sees it: it takes out its own
 * `schema` parameter (`pg` would pass it on to the server), and writes the SSL modes `pg` 8
 * already treats as `verify-full` (`prefer`, `require`, `verify-ca`) as `verify-full`, which
 * keeps the same checks and spares every command `pg`'s multi-line warning that these modes
 * will mean less in `pg` 9 (the CLI's own URL keeps them checked whatever `pg` does then).
 * `uselibpqcompat=true`, `pg`'s switch to libpq's meanings, is passed on untouched.
 *
 * It checks nothing and connects to nothing: `storeLocation.ts` judges the schema, `openStore`
 * hands the result to `rxdag/postgres`.
 */

/** A store URL split into what `pg` connects with and the CLI's schema parameter. */
export interface PostgresConnection {
  /** The URL to connect with: no `schema` parameter, SSL modes as `pg` 8 applies them. */
  readonly connectionString: string;
  /** The `schema=NAME` parameter, when given (not checked here). */
  readonly schema: string | undefined;
}

/** The SSL modes `pg` 8 checks as `verify-full` (and warns about, once per process). */
const VERIFY_FULL_ALIASES: ReadonlySet<string> = new Set(['prefer', 'require', 'verify-ca']);

/**
 * The connection of a `postgres://` store URL. A string the WHATWG URL parser does not take is
 * passed on as it is (`pg` says what is wrong with it).
 *
 * @example
 * postgresConnection('postgres://ci@db/runs?schema=nightly&sslmode=require')
 * // { connectionString: 'postgres://ci@db/runs?sslmode=verify-full', schema: 'nightly' }
 */
export function postgresConnection(given: string): PostgresConnection {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    return { connectionString: given, schema: undefined };
  }
  const { searchParams } = url;
  const schema = searchParams.get('schema') ?? undefined;
  const sslMode = searchParams.get('sslmode');
  const pinSslMode = sslMode !== null && VERIFY_FULL_ALIASES.has(sslMode) && searchParams.get('uselibpqcompat') !== 'true';
  if (schema === undefined && !pinSslMode) return { connectionString: given, schema };
  searchParams.delete('schema');
  if (pinSslMode) searchParams.set('sslmode', 'verify-full');
  return { connectionString: url.toString(), schema };
}
