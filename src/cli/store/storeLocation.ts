/**
 * Where the CLI keeps its journal of runs (the "store"): a folder (default `.rxdag/` of the
 * working directory) or a PostgreSQL database (`postgres://…`), chosen by `--store`, else the
 * `RXDAG_STORE` environment variable, else the default. Also how a store is named in messages:
 * a folder as the user wrote it, a connection string with its password replaced by `***`, both
 * with their control characters escaped (`a\nb/`), as the CLI prints every text it was given.
 * What cannot name a store is refused here (an `InvalidInputError`, exit 2): an empty
 * `--store`, a store of only spaces or with spaces at an end, a path starting `~/` or `~user/`
 * (no shell expanded it), a URL of another scheme, a `schema=` PostgreSQL cannot hold.
 *
 * It opens nothing and touches no file or server: `openStore` does.
 */
import path from 'node:path';
// the schema rule and connection strings of `rxdag/postgres`, from its modules that need no `pg`
import { parameterProblem, postgresConnection, redactConnectionString } from '../../postgres/connectionString';
import { schemaNameProblem } from '../../postgres/sql';
import { escapeControls } from '../../dag/text';
import { withAsciiMarks } from '../../urlCredentials';
import { journalFileOf, placeInFile } from '../../journal/fileNames';
import { edgeSpaceProblem, encodingSlip, tildeSlip } from '../pathSlips';
import { InvalidInputError } from '../problems';
import { commandLine, shellWord } from '../shellWord';

/** The folder `rxdag run` journals into when no store is named. */
export const DEFAULT_STORE = '.rxdag';

/** The environment variable that names the store when `--store` does not. */
export const STORE_ENV = 'RXDAG_STORE';

/** How the store was chosen: it decides whether `resume` hints need `--store`. */
export type StoreSource = 'flag' | 'env' | 'default';

/** A store, resolved but not opened. */
export type StoreLocation =
  | {
      readonly kind: 'folder';
      /** Absolute path of the folder. */
      readonly dir: string;
      /** As messages name it: the path as given, with a trailing `/` (`.rxdag/`), its control characters escaped. */
      readonly label: string;
      /** The path as given, for a command line to paste (quoted by `shellWord`, control characters included). */
      readonly written: string;
      readonly source: StoreSource;
    }
  | {
      readonly kind: 'postgres';
      /** The connection string to connect with: no CLI `schema` parameter, SSL mode as `pg` applies it (`postgres/connectionString.ts`). */
      readonly connectionString: string;
      /** The schema of the journal's tables (`?schema=NAME`), else the library's default. */
      readonly schema: string | undefined;
      /** The connection string with its password replaced by `***`, its control characters escaped. */
      readonly label: string;
      /** The connection string with its password replaced by `***`, for a command line to paste. */
      readonly written: string;
      readonly source: StoreSource;
    };

/** libpq's keywords, as `host=db dbname=runs` writes its settings. */
const LIBPQ_KEYWORD =
  /^(?:host|hostaddr|port|dbname|user|password|sslpassword|passfile|sslmode|sslcert|sslkey|sslrootcert|connect_timeout|application_name|options|service|target_session_attrs|keepalives)=/i;

/**
 * The refusal of a store written as libpq's settings (or ADO.NET's and ODBC's, `;` between
 * them), a password and all after it hidden (it may hold spaces), or `undefined` when it is no
 * such thing: a password, two settings, or one whose
 * value is no path below it (`dbname=runs`, `host=/var/run/postgresql`, not `user=alice/runs`)
 * is no folder name a user means. Read word by word, no pattern that could backtrack.
 */
function libpqProblem(given: string): { readonly message: string; readonly hidesPassword: boolean } | undefined {
  const words = given
    .trim()
    .replace(/\s*=\s*/g, '=')
    .split(/\s+/);
  // a word of its own, or after `;` as ADO.NET and ODBC write settings (not in a URL, whose
  // password may hold `;pwd=`): `?password=` of a URL's query is the URL's
  const separator = /^\s*[a-z][a-z\d+.-]*:\/\//i.test(given) ? String.raw`\s` : String.raw`[\s;]`;
  const password = new RegExp(String.raw`(?:^|${separator})(?:ssl)?(?:password|pwd)\s*=`, 'i').exec(given);
  const settings = words.filter((word) => LIBPQ_KEYWORD.test(word));
  const alone = words.length === 1 && settings.length === 1 && /^[^=]*=(?:\/|[^/]*$)/.test(settings[0]!);
  if (password === null && settings.length < 2 && !alone) return undefined;
  const shown = escapeControls(password === null ? given : `${given.slice(0, password.index)}${password[0].replace(/\s*=$/, '=')}***`);
  const folder = password === null ? ` (${shellWord(`./${given}`)} names a folder of that name)` : '';
  const kind = password !== null && given.includes(';') ? 'a' : 'a PostgreSQL';
  const message = `${shown} is ${kind} connection string in key=value form, which rxdag does not take: write it as a URL, postgres://USER:PASSWORD@HOST:PORT/DATABASE${folder}`;
  return { message, hidesPassword: password !== null };
}

/** The forms a store takes, for the line that refuses another. */
const STORE_FORMS = 'a folder path or a postgres:// (postgresql://) connection string';

/** Databases' schemes, which a URL mistyped as a folder name would give away a password of. */
const DATABASES = String.raw`(?:postgres(?:ql)?|rediss?|mysql|mongodb(?:\+srv)?)`;

/**
 * A database's URL after other text (`1. postgres://…`, `DATABASE_URL: postgres://…`, `pg_dump
 * "postgres://…"`, `jdbc:postgresql://…`), unless the path starts `./` (as a folder so named is
 * given) or `/`.
 */
const URL_AFTER_TEXT = new RegExp(String.raw`^(?!\.?\/).+?\b${DATABASES}\s*:\s*\/\/`, 'is');

/**
 * A host as a connection string names one: with a port, a name whose last label starts with a
 * letter (`db`, `localhost`, `db.example.com`, `postgres_db`: Docker names services with `_`;
 * not a version's `1.4.0` or `build.42`, nor a year's `2024`), an IPv4 or a
 * bracketed IPv6 address, or a driver's `tcp(HOST:PORT)`.
 */
const HOST = String.raw`(?:\[[\da-z:.%]+\](?::\d{1,5})?|[\w-]+(?:\.[\w-]+)*:\d{1,5}|(?:[\w-]+\.)*[a-z][\w-]*|\d{1,3}(?:\.\d{1,3}){3}|[a-z]+\([^()@]*\))`;

/**
 * `USER:PASSWORD@` (the user may be left out, it and the password may hold an `@`, as Azure's
 * `user@server`; not a drive's `C:/…`) before a host or libpq's list of hosts (or none, before a
 * socket's folder), and nothing after them but a database, a path or a query.
 */
const NO_SCHEME = new RegExp(String.raw`^[^/:\s]*:(?![/\\]).*@\s*(?:${HOST}(?:,${HOST})*)?(?:[/?%][^@]*)?$`, 'is');

/**
 * A URL mistyped, not a folder: a scheme inside a scheme (`jdbc:postgresql://`), PostgreSQL's
 * without its colon or with another in its place (`postgres//…`, `postgres;//…`, `postgres ://`)
 * or kept in its quotes, typographic ones too, or after a variable's name (`"postgres://…"`,
 * `“postgres://…”`, `DATABASE_URL=postgres://…`), or typed full-width (`postgres：／／…`, read as
 * NFKC makes it ASCII), a password alone after a database's scheme (`redis:PW@host`),
 * a scheme with one slash or none, or without its colon, before `USER:PASSWORD@`
 * (`mysql:/u:PW@host`, `redis//u:PW@host`), or a database's scheme then `//USER:PASSWORD@`
 * at the start (`postgres_//u:PW@host`, `~/postgres//u:PW@host`). A folder named `team:ops@2024`,
 * `backups/10:00@host`, `docker-postgres//runs` or `backups/postgres//02:00@db1` (a variable that
 * ends in `/`, then `/runs`) is a folder.
 */
const MISTYPED_URL = [
  /^[a-z][a-z\d+.-]*:[a-z][a-z\d+.-]*:\/\//i,
  new RegExp(String.raw`^(?:(?:export\s+)?[A-Za-z_]\w*=)?[^\p{L}\p{N}\s./~_]{0,3}\s*${DATABASES}\s*[:;]?\s*\/\/`, 'iu'),
  /^[a-z][a-z\d+.-]*(?::[/\\]?|\/\/|\\)[^/:@]*:.*@/i,
  new RegExp(String.raw`^(?:~\/)?(?:${DATABASES}|https?)[^a-z\d/]{0,3}\/\/[^/:@\s]*:.*@`, 'is'),
  // a password alone after a database's scheme and its colon (`redis:PW@host`, `mysql:/PW@host`)
  new RegExp(String.raw`^${DATABASES}:\/?[^/@][^@]*@`, 'i'),
  // a connection's USER:PASSWORD@HOST:PORT or …@HOST/DATABASE without its scheme (not `team:ops@2024`)
  NO_SCHEME,
  URL_AFTER_TEXT,
];

/** What likely made `given` a mistyped URL, when it shows: quotes kept, or a whole `NAME=value` line. */
function mistypedHint(given: string): string {
  if (/^(?:export\s+)?[A-Za-z_]\w*=/.test(given)) return " (it holds a variable's name and `=`: give the value alone)";
  if (/^["'`<]/.test(given))
    return ' (its quotes are part of it, as an env file or a second layer of quoting passes them on: give it without)';
  // a word processor's, or a chat's, quotes (“”, «», 「」, ‹›…), brackets or a list's bullet
  if (/^[^\p{L}\p{N}\s./~_:\uff01-\uff5e]/u.test(given))
    return ' (the marks around it are part of it, as a document or a chat pasted it: give it without)';
  // an input method's full-width `ｐｏｓｔｇｒｅｓ：／／`, `＠`
  if (/[\uff01-\uff5e]/.test(given) || withAsciiMarks(given) !== given)
    return ' (it holds full-width characters (＠：／) where ASCII ones (@:/) go, as an input method types them)';
  const ascii = given.normalize('NFKC');
  if (URL_AFTER_TEXT.test(ascii)) return ' (it holds text before the URL: give the URL alone)';
  // (not a scheme mistyped: `mysql:/u:PW@h`, `postgres\\u:PW@h`, `redis:PW@h`)
  const schemeMistyped = /^[a-z][a-z\d+.-]*:?[/\\]/i.test(ascii) || new RegExp(String.raw`^${DATABASES}:`, 'i').test(ascii);
  if (NO_SCHEME.test(ascii) && !schemeMistyped) return ' (its scheme is missing: postgres://USER:PASSWORD@HOST…)';
  return '';
}

/**
 * The store named by `--store` (`flag`), else by `RXDAG_STORE`, else `.rxdag/` of `cwd`. An
 * empty `RXDAG_STORE` counts as not set; an empty `--store`, and either of only spaces, is refused. `postgres://` and
 * `postgresql://` name a database (an extra `schema=NAME` query parameter chooses the schema of
 * its tables); any other `scheme://` is refused (it is not a folder the user meant); anything
 * else is a folder. Throws an `InvalidInputError` for what cannot name a store.
 */
export function storeLocation(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string = process.cwd()): StoreLocation {
  const fromEnv = env[STORE_ENV];
  const [given, source]: [string, StoreSource] =
    flag !== undefined ? [flag, 'flag'] : fromEnv !== undefined && fromEnv !== '' ? [fromEnv, 'env'] : [DEFAULT_STORE, 'default'];
  // the store's name in a refusal: the flag, or the variable with what it holds
  const named = (shown: string) => (source === 'flag' ? `--store ${shown}` : `${STORE_ENV}=${shown}`);
  if (given === '') throw refusal(`--store needs ${STORE_FORMS}`);
  // a folder of spaces is a slip (a variable set to a blank line), and invisible in every message
  if (given.trim() === '') throw refusal(`${named(JSON.stringify(given))} names no store: give ${STORE_FORMS}`);
  // libpq's `host=… dbname=…` form (words after a URL too): a folder of that name otherwise, with
  // its password; one with a password is refused first, before an edge space would print it whole
  const libpq = libpqProblem(given);
  if (libpq?.hidesPassword === true) throw refusal(named(libpq.message));
  // a space or a carriage return at either end (a CRLF .env file): a look-alike folder otherwise;
  // a URL's password (`postgres://u:PW@…`, `?password=PW`) hidden in the message
  const url = /^\s*postgres(ql)?:\/\//i.test(given);
  if (given.trim() !== given)
    throw refusal(
      `${named(url ? escapeControls(redactConnectionString(given.trim())) : JSON.stringify(redactConnectionString(given)))} ${edgeSpaceProblem(given)}`,
    );
  if (libpq !== undefined) throw refusal(named(libpq.message));
  // (full-width letters and signs read as the ASCII ones they stand for: `ｐｏｓｔｇｒｅｓ：／／`, `＂`, `＠`)
  const ascii = given.normalize('NFKC');
  const mistyped = () =>
    // said as read (NFKC): a password typed full-width is found, and hidden, by its ASCII `:` and `@`
    refusal(
      `${named(escapeControls(redactConnectionString(ascii)))} is not a store: it reads as a mistyped URL${mistypedHint(given)}; ` +
        `${source === 'flag' ? '--store' : STORE_ENV} takes ${STORE_FORMS}, such as postgres://USER:PASSWORD@HOST:5432/DATABASE ` +
        // (the name itself only where it hides no password: a folder named after one is what is refused)
        `(a folder of that name: ${ascii === given && redactConnectionString(given) === given ? shellWord(`./${given}`) : './NAME'})`,
    );
  // an `@` or `:` typed full-width in a URL: pg would take its password for the host, and its errors quote it
  if (url && withAsciiMarks(given) !== given) throw mistyped();
  if (url) {
    const label = escapeControls(redactConnectionString(given));
    // `postgres:///u:PW@host/db`: a socket's database named after the credentials, which the server's errors then quote
    if (/^postgres(ql)?:\/\/\/[^?#]*@/i.test(given))
      throw refusal(`${named(label)}: its credentials come after a third /: write postgres://USER:PASSWORD@HOST/DATABASE`);
    const wrong = parameterProblem(given);
    if (wrong !== undefined) throw refusal(`${named(label)} ${wrong}`);
    const { connectionString, schema } = postgresConnection(given);
    const problem = schema === undefined ? undefined : schemaNameProblem(schema);
    if (problem !== undefined) throw refusal(`${named(label)}: the schema (schema=) ${problem}`);
    return { kind: 'postgres', connectionString, schema, label, written: redactConnectionString(given), source };
  }
  // pg's socket form, or a PostgreSQL URL without its `//`: a store meant, not a folder `socket:`
  if (/^(socket|postgres(ql)?):/i.test(given)) {
    throw refusal(
      `${named(redactConnectionString(given))} is not a store: ${source === 'flag' ? '--store' : STORE_ENV} takes ${STORE_FORMS}` +
        ' (through a Unix socket: postgres:///DATABASE?host=/var/run/postgresql)',
    );
  }
  // a scheme as RFC 3986 spells it: `mysql://…` would otherwise become the folders `mysql:/…`
  if (/^[a-z][a-z\d+.-]*:\/\//i.test(given)) {
    throw refusal(
      `${named(redactConnectionString(given))} is not a store: ${source === 'flag' ? '--store' : STORE_ENV} takes ${STORE_FORMS}`,
    );
  }
  // a URL mistyped (`postgres//u:PW@host`, `mysql:/u:PW@host`, `jdbc:postgresql://…`): its password would become a folder's name
  if (MISTYPED_URL.some((form) => form.test(ascii))) throw mistyped();
  const tilde = tildeSlip(given, 'a folder') ?? encodingSlip(given);
  if (tilde !== undefined) throw refusal(`${named(escapeControls(given))}: ${tilde}`);
  // every line that names the store prints its label: a line feed or an escape sequence in the path must not reach the terminal raw
  const label = escapeControls(given.endsWith('/') ? given : `${given}/`);
  return { kind: 'folder', dir: path.resolve(cwd, given), label, written: given, source };
}

function refusal(message: string): InvalidInputError {
  return new InvalidInputError([{ message }]);
}

/** ` --store X` when the store was chosen by the flag (a later command needs it too), else ''. */
export function storeFlag(location: StoreLocation): string {
  return location.source === 'flag' ? ` --store ${shellWord(location.written)}` : '';
}

/**
 * Where a run's events stand in `location`, for a message about one (`<file>:<line>` in a folder
 * store, as its journal says them), or undefined where the store keeps no lines (PostgreSQL).
 */
export function eventPlaces(location: StoreLocation, runId: string): ((seq: number) => string) | undefined {
  if (location.kind !== 'folder') return undefined;
  const file = journalFileOf(location.dir, runId);
  return (seq) => placeInFile(file, seq);
}

/** `rxdag show RUN_ID`, with the store flag that finds the run: what shows a run whole. */
export function showCommandLine(runId: string, location: StoreLocation): string {
  return commandLine('rxdag show', runId, storeFlag(location));
}
