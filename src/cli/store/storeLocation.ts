/**
 * Where the CLI keeps its journal of runs (the "store"): a folder (default `.rxdag/` of the
 * working directory) or a PostgreSQL database (`postgres://…`), chosen by `--store`, else the
 * `RXDAG_STORE` environment variable, else the default. Also how a store is named in messages:
 * a folder as the user wrote it, a connection string with its password replaced by `***`.
 *
 * It opens nothing and touches no file or server: `openStore` does.
 */
import path from 'node:path';
import { shellWord } from '../shellWord';

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
      /** As messages name it: the path as given, with a trailing `/` (`.rxdag/`). */
      readonly label: string;
      readonly source: StoreSource;
    }
  | {
      readonly kind: 'postgres';
      /** The connection string to connect with, without the CLI's own `schema` parameter. */
      readonly connectionString: string;
      /** The schema of the journal's tables (`?schema=NAME`), else the library's default. */
      readonly schema: string | undefined;
      /** The connection string with its password replaced by `***`. */
      readonly label: string;
      readonly source: StoreSource;
    };

/**
 * The store named by `--store` (`flag`), else by `RXDAG_STORE`, else `.rxdag/` of `cwd`. An
 * empty value counts as not given. `postgres://` and `postgresql://` name a database (an extra
 * `schema=NAME` query parameter chooses the schema of its tables); anything else is a folder.
 */
export function storeLocation(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string = process.cwd()): StoreLocation {
  const fromEnv = env[STORE_ENV];
  const [given, source]: [string, StoreSource] =
    flag !== undefined && flag !== ''
      ? [flag, 'flag']
      : fromEnv !== undefined && fromEnv !== ''
        ? [fromEnv, 'env']
        : [DEFAULT_STORE, 'default'];
  if (/^postgres(ql)?:\/\//i.test(given)) {
    const { connectionString, schema } = withoutSchemaParameter(given);
    return { kind: 'postgres', connectionString, schema, label: redactConnectionString(given), source };
  }
  return { kind: 'folder', dir: path.resolve(cwd, given), label: given.endsWith('/') ? given : `${given}/`, source };
}

/** ` --store X` when the store was chosen by the flag (a later command needs it too), else ''. */
export function storeFlag(location: StoreLocation): string {
  if (location.source !== 'flag') return '';
  const shown = location.kind === 'folder' ? location.label.replace(/\/$/, '') : location.label;
  return ` --store ${shellWord(shown)}`;
}

/**
 * A connection string with its password (in the URL, or a `password=` parameter) replaced by
 * `***`, for every message that names the store. `rxdag/postgres` has its own, but loading it
 * needs `pg`, and the CLI names the store before it knows whether `pg` is installed.
 */
export function redactConnectionString(connectionString: string): string {
  const keywords = connectionString.replace(/(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)/gi, '$1***');
  try {
    const url = new URL(keywords);
    if (url.password === '') return keywords;
    return `${url.protocol}//${url.username}:***@${url.host}${url.pathname}${url.search}${url.hash}`;
  } catch {
    return keywords; // not a URL the WHATWG parser takes: the keyword form is redacted above
  }
}

/** Takes the CLI's `schema` query parameter out of a connection string (`pg` would pass it on to the server). */
function withoutSchemaParameter(given: string): { connectionString: string; schema: string | undefined } {
  try {
    const url = new URL(given);
    const schema = url.searchParams.get('schema');
    if (schema === null) return { connectionString: given, schema: undefined };
    url.searchParams.delete('schema');
    return { connectionString: url.toString(), schema };
  } catch {
    return { connectionString: given, schema: undefined };
  }
}
