/**
 * What a PostgreSQL connection string says before `pg` sees it, for the journal and for the
 * CLI's `--store` alike, without loading `pg`: whether it is one `pg` can connect with, its name
 * in messages (the password replaced by `***`), and the journal's own `schema=NAME` parameter
 * taken out of it. It connects to nothing and does not judge the schema's name (`sql.ts` does).
 */

import { closestName } from '../dag/text';
import { withoutPassword } from '../urlCredentials';

/** The forms `pg` connects with, for the line that refuses another. */
const CONNECTION_FORMS = 'postgres://user:password@host:port/database (or postgresql://…, or socket:/run/postgresql?db=NAME)';

/**
 * Why `pg` could not connect with `given`, or undefined when it has a form `pg` reads:
 * `postgres://`, `postgresql://`, `socket:` or a socket folder (`/run/postgresql database`).
 * `pg` reads anything else as a database name on a host called `base`.
 *
 * @example
 * connectionStringProblem('mysql://u@db/x') // 'names another scheme (mysql:); expected postgres://…'
 */
export function connectionStringProblem(given: string): string | undefined {
  if (given === '') return `is empty; expected ${CONNECTION_FORMS}`;
  if (/^(postgres(ql)?:\/\/|socket:|\/)/i.test(given)) return undefined;
  const scheme = /^([a-z][a-z\d+.-]*:)\/\//i.exec(given)?.[1];
  if (scheme !== undefined) return `names another scheme (${scheme}); expected ${CONNECTION_FORMS}`;
  return `is not a connection string; expected ${CONNECTION_FORMS}`;
}

/**
 * Why the `schema=` parameters of `given` cannot name one schema (it is given twice), or
 * undefined. Whether the name itself is one PostgreSQL can hold is `sql.ts`'s to say.
 */
export function schemaParameterProblem(given: string): string | undefined {
  let schemas: string[];
  try {
    schemas = new URL(given).searchParams.getAll('schema');
  } catch {
    return undefined;
  }
  return schemas.length > 1 ? `gives schema= ${schemas.length} times (${schemas.map(shownValue).join(', ')}); give one` : undefined;
}

/** The SSL modes `pg` takes in `sslmode=`. */
const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];

/** Parameters `pg` reads as whole milliseconds (or seconds, for `connect_timeout`): a word there is taken as none. */
const WHOLE_NUMBER_PARAMETERS = [
  'connect_timeout',
  'query_timeout',
  'statement_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
];

/**
 * Why the `schema=` parameters of `given` cannot name one schema (it is given twice), or a
 * parameter `pg` reads has a value it would misread (`sslmode=bogus` as a demand for SSL, which a
 * server without it refuses in words that do not name the parameter; `query_timeout=abc` as no
 * time limit), or undefined. Whether the schema's name is one
 * PostgreSQL can hold is `sql.ts`'s to say.
 */
export function parameterProblem(given: string): string | undefined {
  // a port no server can have: `pg` would fail with "Invalid URL", naming nothing; the number is
  // not echoed (digits of a password holding a `/` would read as a port)
  const port = /^postgres(?:ql)?:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):(\d+)(?:[/?#]|$)/i.exec(given)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    return 'has a port outside 1 to 65535 (or a password holding / ? or #, to be written %2F %3F %23)';
  }
  let searchParams: URLSearchParams;
  try {
    searchParams = new URL(given).searchParams;
  } catch {
    // a URL whose credentials are what the URL parser cannot read: `pg` fails with "Invalid URL",
    // naming nothing (others, `postgres://user@/db?host=…`, `pg` reads in its own way)
    const otherCredentials = given.replace(/^(postgres(?:ql)?:\/\/)[^@]*@/i, '$1user:password@');
    if (otherCredentials !== given && URL.canParse(otherCredentials))
      return 'is not a URL (a password holding / ? # or \\ is written %2F %3F %23 %5C)';
    // there `schema=` would be left to `pg`, which passes it to the server as a setting it does not have
    if (/[?&]schema=/i.test(given)) return 'gives schema= in a URL without a host (postgres://USER@/DB?host=…): write the host after the @';
    return undefined;
  }
  const twice = schemaParameterProblem(given);
  if (twice !== undefined) return twice;
  const sslMode = searchParams.get('sslmode');
  if (sslMode !== null && !SSL_MODES.includes(sslMode)) {
    return `gives sslmode=${shownValue(sslMode)}; expected one of ${SSL_MODES.join(', ')}`;
  }
  for (const name of WHOLE_NUMBER_PARAMETERS) {
    const value = searchParams.get(name);
    if (value !== null && !/^\d+$/.test(value)) return `gives ${name}=${shownValue(value)}; expected a whole number`;
  }
  return schemaMeantBy(searchParams);
}

/** Other names people give the schema: `pg` would drop them without a word, and the runs would go to the default schema. */
const SCHEMA_SYNONYMS = ['search_path', 'currentschema', 'current_schema', 'searchpath'];

/**
 * `gives schem=…; did you mean schema=?` for a parameter that stands for `schema` (misspelt,
 * another tool's name for it, or a `search_path` set through `options`); else undefined. Said
 * with `schema=` given too (the same string is checked again once `schema=` is taken out of it).
 */
function schemaMeantBy(searchParams: URLSearchParams): string | undefined {
  const given = searchParams.has('schema');
  for (const [name, value] of searchParams) {
    const lower = name.toLowerCase();
    // `Schema=` too: the parameter is read as written, in lower case
    const meansSchema = SCHEMA_SYNONYMS.includes(lower) || lower === 'schema' || closestName(lower, ['schema']) === 'schema';
    const setsPath = lower === 'options' && /search_path/i.test(value);
    if (name === 'schema' || !(meansSchema || setsPath)) continue;
    const written = `gives ${name}=${shownValue(value)}`;
    const only = 'only schema= chooses the schema of the journal';
    if (given) return `${written}: ${only}; leave ${setsPath ? 'its search_path' : name} out`;
    return setsPath
      ? `${written}: a search_path does not choose the schema of the journal; give schema=NAME`
      : `${written}, which rxdag does not read; did you mean schema=${holdsConnectionString(value) ? 'NAME' : value}?`;
  }
  return undefined;
}

/** A connection string split into what `pg` connects with and the journal's schema parameter. */
export interface PostgresConnection {
  /** The string to connect with: no `schema` parameter, SSL modes as `pg` 8 applies them. */
  readonly connectionString: string;
  /** The `schema=NAME` parameter, when given (not checked here). */
  readonly schema: string | undefined;
}

/** The SSL modes `pg` 8 checks as `verify-full` (and warns about, once per process). */
const VERIFY_FULL_ALIASES: ReadonlySet<string> = new Set(['prefer', 'require', 'verify-ca']);

/**
 * The connection of a connection string: its `schema` parameter taken out (`pg` would pass it on
 * to the server as a setting), and the SSL modes `pg` 8 already treats as `verify-full`
 * (`prefer`, `require`, `verify-ca`) written as `verify-full`, which keeps the same checks and
 * spares every process `pg`'s multi-line warning that these modes will mean less in `pg` 9.
 * `uselibpqcompat=true`, `pg`'s switch to libpq's meanings, is passed on untouched. A string the
 * WHATWG URL parser does not take is passed on as it is.
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

/**
 * Whether `text` is a connection string, in any of its shapes (`postgres://…`, without its
 * scheme `u:PW@db/app`, `DATABASE_URL=…`, quoted, `host=db password=…`, `PGPASSWORD=…`): given
 * where a name goes (a schema, a parameter's value), never used or shown as it is.
 */
export function holdsConnectionString(text: string): boolean {
  return /[:：][/\\]{2}|[:：=][^@]*@|password\s*=/i.test(text);
}

/** A parameter's value as a message quotes it: a connection string given for it with its password hidden. */
export function shownValue(value: string): string {
  return JSON.stringify(redactConnectionString(value));
}

/**
 * The connection string with its secrets replaced by `***`: the password (in the URL, a
 * `password` parameter or a `PGPASSWORD=`/`DB_PASSWORD=` given with it), an `sslpassword` (the
 * passphrase of the client key), and a URL parameter's value that is itself a connection string
 * (`?schema=postgres%3A%2F%2Fu%3APW%40h`).
 */
export function redactConnectionString(connectionString: string): string {
  // a URL's parameter runs to the next `&` (a space in it is pg's too); a keyword's value to the next space
  const url = /^[a-z][a-z\d+.-]*:\/\//i.test(connectionString);
  const keywords = connectionString
    .replace(url ? /([?&](?:ssl)?password=)([^&#]*)/gi : /(\b\w*?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)/gi, '$1***')
    // a `#` after the parameters: the rest of a value's password (pg reads no fragment)
    // (only after a URL's own end: a password holding a ? and a # is left to the rule for credentials below)
    .replace(/(\?[^#]*)#.+$/s, (whole, query: string, at: number, text: string) =>
      url && endsItsCredentials(text.slice(0, at)) ? `${query}#***` : whole,
    )
    // a parameter named with %-escapes (`pass%77ord=`) is the same parameter to pg
    .replace(/([?&])([^=&#\s]*%[^=&#\s]*)=[^&#]*/g, (whole, separator: string, name: string) =>
      /^(?:ssl)?password$/i.test(asParameter(name)) ? `${separator}${name}=***` : whole,
    )
    .replace(/([?&][^=&#\s]*=)([^&#]+)/g, (whole, named: string, value: string) =>
      url && holdsConnectionString(asParameter(value)) ? `${named}***` : whole,
    );
  // a mistyped URL (`postgres:/u:PW@…`) parses as one without a host, its credentials in the path
  if (!url) return withoutPassword(keywords);
  try {
    const parsed = new URL(keywords);
    // none found where the parser looks (`postgres:///u:PW@h`, `https://a\@b:PW@h`): by the text's own `://` and `@`
    if (parsed.password === '') return withoutPassword(keywords);
    return `${parsed.protocol}//${parsed.username}:***@${parsed.host}${parsed.pathname}${parsed.search}${parsed.hash}`;
  } catch {
    // not a URL the WHATWG parser takes (a `#` or `/` in the password, a bad port): its
    // credentials are found by their `://` and `@`, and a `password=` in it is redacted above
    return withoutPassword(keywords);
  }
}

/**
 * Whether `text`, a URL up to its `?`, has a host and no password can go on past it: its
 * credentials end with an `@`, or it has no `:` after its `//` (`postgres://u:1` may be a
 * password's first characters, `1?…#…@host` its rest).
 */
function endsItsCredentials(text: string): boolean {
  if (!URL.canParse(text) || new URL(text).host === '') return false;
  const authority = text.slice(text.indexOf('//') + 2);
  return authority.includes('@') || !authority.includes(':');
}

/** A URL parameter's name or value as the URL parser reads it (`+` a space, a malformed %-escape kept), as `pg` gets it. */
function asParameter(text: string): string {
  return new URLSearchParams(`v=${text}`).get('v') ?? text;
}
