/**
 * Opens the store a command names (see `storeLocation.ts`) as a library `Journal`: a folder
 * through `fileJournal`, a database through `postgresJournal` of `rxdag/postgres`, loaded only
 * then, since its `pg` client is an optional peer dependency (a clear line when it is missing).
 * What cannot be opened is one line and exit 2 (an `InvalidInputError`): a folder that cannot
 * be written (`run`), a folder that does not exist (`resume`, `show`), `pg` not installed.
 *
 * It reads and writes no run: a server that cannot be reached is only found by the first
 * request (the commands turn that failure into its line, see `storeErrors.ts`).
 */
import { accessSync, constants, lstatSync, mkdirSync, readlinkSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Journal } from '../../index';
import { installCommand } from '../../peerDependency';
import { fileJournal } from '../../journal/fileJournal';
import { describeIoError } from '../commands/writeTarget';
import { InvalidInputError } from '../problems';
import { STORE_ENV, type StoreLocation } from './storeLocation';
import { storeSecretVariables } from '../secretVariables';

/** The `rxdag/postgres` entry, typed without loading it. */
export type PostgresModule = typeof import('../../postgres');

/** An opened store: its journal, where it is, and how to let it go. */
export interface Store {
  readonly journal: Journal;
  readonly location: StoreLocation;
  /** A database: whether its schema holds the journal's tables (a folder's journal is there when the folder is). */
  readonly hasJournal?: () => Promise<boolean>;
  /** Variables its connection reads a secret from (`PGPASSWORD`): kept from the tasks of the command that opened it. */
  readonly secretVariables: readonly string[];
  /** Ends what the store opened (the PostgreSQL connections); never throws. */
  close(): Promise<void>;
}

/** What a command needs of the store: to write runs into it, or to read runs it already has. */
export type StoreUse = 'write' | 'read';

/** How a store is opened beyond where it is. */
export interface StoreOptions {
  /** When a folder's journal syncs its groups to disk (`--sync`); a database commits each group, and refuses `none`. @default 'fsync' */
  readonly sync?: 'fsync' | 'none';
  /** Loads `rxdag/postgres`; replaceable for specs. */
  readonly loadPostgres?: () => PostgresModule;
}

/**
 * Opens the store at `location`. For `write` (`rxdag run`) a folder must be writable, or
 * creatable (the journal creates it with the run's first record); for `read` it must exist (`rxdag runs` checks {@link storeExists} first
 * and says "no runs" instead). `loadPostgres` is replaceable for specs.
 */
export function openStore(location: StoreLocation, use: StoreUse, options: StoreOptions = {}): Store {
  const { sync = 'fsync', loadPostgres = requirePostgres } = options;
  if (location.kind === 'folder') {
    const problem =
      use === 'write' ? writableFolderProblem(location.dir, chosenBy(location)) : missingFolderProblem(location.dir, location.label);
    if (problem !== undefined) throw new InvalidInputError([{ message: problem }]);
    // a relative store as written: a resume judges it on the way the shell reached the working directory
    const dir = path.isAbsolute(location.written) ? location.dir : location.written;
    return { journal: fileJournal(dir, { sync }), location, secretVariables: [], close: async () => {} };
  }
  if (sync === 'none') {
    throw new InvalidInputError([
      {
        message: `--sync none is for a folder store: the store ${location.label} is a PostgreSQL database, which commits each group of events (how durably is the server's synchronous_commit)`,
      },
    ]);
  }
  let postgres: PostgresModule;
  try {
    postgres = loadPostgres();
  } catch (error) {
    if (isMissingPg(error)) {
      throw new InvalidInputError([
        { message: `the store ${location.label} is a PostgreSQL database, which needs the "pg" package: ${installCommand(['pg'])}` },
      ]);
    }
    throw error;
  }
  const journal = postgres.postgresJournal({
    connectionString: location.connectionString,
    ...(location.schema === undefined ? {} : { schema: location.schema }),
  });
  return {
    journal,
    location,
    secretVariables: storeSecretVariables(location.connectionString),
    hasJournal: () => journal.hasJournal(),
    close: () => journal.end().catch(() => undefined),
  };
}

/**
 * Whether the store is there: for a folder, whether anything is at its path (a file there is
 * refused by {@link openStore} as not a directory; nothing at all means no runs yet). A path
 * through a file (`afile/store`) counts as there: no folder can ever be made at it, and
 * {@link openStore} refuses it naming the file, rather than a listing saying it has no runs.
 * So does a path that cannot be looked at (a folder above it not enterable, a symlink loop):
 * {@link openStore} names why, rather than a listing saying there are no runs.
 */
export function storeExists(location: StoreLocation): boolean {
  if (location.kind !== 'folder') return true;
  try {
    statSync(location.dir);
    return true;
  } catch (error) {
    // only ENOENT says nothing is there: EACCES, ELOOP or ENAMETOOLONG is for openStore to name
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** The `pg` client, loaded with the `rxdag/postgres` entry that needs it. */
function requirePostgres(): PostgresModule {
  // a plain require, not import(): this file is CommonJS, and specs load the TypeScript source
  return require('../../postgres') as PostgresModule;
}

function isMissingPg(error: unknown): boolean {
  const { code, message } = (error ?? {}) as NodeJS.ErrnoException;
  return code === 'MODULE_NOT_FOUND' && /Cannot find module '(pg|pg\/[^']*)'/.test(String(message));
}

/**
 * What chose the store, as a refusal names it: the option or the variable the user set, or the
 * default folder (which neither of them named).
 */
function chosenBy(location: StoreLocation): string {
  if (location.source === 'flag') return '--store';
  if (location.source === 'env') return STORE_ENV;
  return `the default store ${location.label} (--store or ${STORE_ENV} names another)`;
}

/**
 * Why `rxdag run` cannot journal into `dir`, if it cannot; `store` names what chose it (see
 * {@link chosenBy}). Nothing is created here (the journal makes the folder with the run's first
 * record): a folder that does not exist yet is judged by the nearest one above it that does.
 */
function writableFolderProblem(dir: string, store: string): string | undefined {
  let existing = dir;
  for (;;) {
    try {
      if (!statSync(existing).isDirectory()) return `${store}: cannot journal into "${dir}": "${existing}" is not a directory`;
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const parent = path.dirname(existing);
      const file = code === 'ENOTDIR' ? fileOnTheWay(dir) : undefined;
      if (file !== undefined) return `${store}: cannot journal into "${dir}": "${file}" is not a directory`;
      if (code !== 'ENOENT' || parent === existing) return `${store}: cannot journal into "${dir}": ${describeIoError(error)}`;
      const dangling = danglingLink(existing);
      if (dangling !== undefined) {
        return `${store}: cannot journal into "${dir}": "${existing}" is a symbolic link to "${dangling}", which does not exist (a folder not mounted?)`;
      }
      existing = parent;
    }
  }
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch (error) {
    const where = existing === dir ? '' : ` (cannot create it in "${existing}")`;
    return `${store}: cannot journal into "${dir}"${where}: ${describeIoError(error)}`;
  }
  if (existing === dir) return undefined;
  // a folder may be writable and still take no new entries (`/proc`, where a recursive mkdir
  // even loops forever): make a folder there for real, and remove it again. It has a name of
  // its own: runs started side by side into one new store must not see each other's probe.
  const first = path.join(existing, path.relative(existing, dir).split(path.sep)[0]!);
  const probe = path.join(existing, `.rxdag-probe-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return undefined;
  } catch (error) {
    return `${store}: cannot journal into "${dir}" (cannot create "${first}"): ${describeIoError(error)}`;
  }
}

function missingFolderProblem(dir: string, label: string): string | undefined {
  try {
    if (statSync(dir).isDirectory()) return undefined;
    return `no store at ${label}: "${dir}" is not a directory`;
  } catch (error) {
    // a path through a file (`afile/store`): no folder can be there, say which part is the file
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') {
      return `no store at ${label}: "${fileOnTheWay(dir) ?? dir}" is not a directory`;
    }
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return unreachable(label, dir, error);
    return `no store at ${label}: the folder does not exist (runs are journaled there by rxdag run)`;
  }
}

/** A store folder that may be there but cannot be looked at (`EACCES` on a folder above, a symlink loop). */
function unreachable(label: string, dir: string, error: unknown): string {
  return `cannot reach the store ${label} ("${dir}"): ${describeIoError(error)}`;
}

/** The first part of `dir`'s path that is not a directory (a file). */
function fileOnTheWay(dir: string): string | undefined {
  const parts = path.resolve(dir).split(path.sep);
  for (let i = 2; i <= parts.length; i++) {
    const at = parts.slice(0, i).join(path.sep) || path.sep;
    try {
      if (!statSync(at).isDirectory()) return at;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Where `file` points, when it is a symbolic link (to nothing: the caller's `stat` said so). */
function danglingLink(file: string): string | undefined {
  try {
    return lstatSync(file).isSymbolicLink() ? readlinkSync(file) : undefined;
  } catch {
    return undefined;
  }
}
