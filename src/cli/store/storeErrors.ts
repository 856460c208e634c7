/**
 * How the store's refusals read on the command line: a run that a live process owns, an
 * unknown or ended run (a cancelled one with how to stop a run so that it can be resumed), a
 * run id taken, a journal that cannot be trusted, a server that cannot be reached or that
 * refused what was asked, or a folder that cannot be read. Each becomes one line for an `InvalidInputError` (exit 2: nothing ran).
 * It recognizes the library's errors, and looks whether a run id given is a file's path (said
 * so), and decides nothing else.
 */
import { statSync } from 'node:fs';
import { DagValidationError } from '../../dag/errors';
import { quoted } from '../../dag/text';
import { JournalCorruptError, JournalWriteError, RunExistsError, RunLockedError, RunNotResumableError } from '../../journal/journal';
import type { PostgresJournalError } from '../../postgres';
import { describeIoError } from '../commands/writeTarget';
import { InvalidInputError } from '../problems';
import { shellWord } from '../shellWord';
import { type StoreLocation, storeFlag } from './storeLocation';

/**
 * The one line for an error the store (or the library, about a journaled run) raised before
 * anything ran, or undefined when it is not such an error (a bug: the caller rethrows it).
 * `doing` names what the command was doing when the server failed it (`read run "x"`), in
 * place of the journal's own step (`rxdag show` lists the runs to find one).
 */
export function refusalLine(error: unknown, store: StoreLocation, doing?: string): string | undefined {
  if (error instanceof RunLockedError) return `${error.message} (rxdag runs${storeFlag(store)} lists it as running)`;
  if (error instanceof RunNotResumableError) {
    if (error.reason === 'unknown') {
      // quoted: an id typed in may be anything, a page of text included (cut, its length said)
      const unknown = `run ${quoted(error.runId)} is not in the store ${store.label}`;
      // `rxdag resume dag.yaml`: the DAG of a run comes from its journal
      const file = fileNamedAsRun(error.runId, `rxdag runs${storeFlag(store)} lists them; `);
      if (file !== undefined) return `${unknown}: ${file}`;
      return `${unknown} (rxdag runs${storeFlag(store)} lists its runs)`;
    }
    if (error.outcome === 'cancelled') return `${error.message} (${CANCELLED_RUN_HINT})`;
    return error.outcome === 'failed' ? `${error.message} (${FAILED_RUN_HINT})` : error.message;
  }
  if (error instanceof RunExistsError || error instanceof JournalCorruptError) return error.message;
  if (error instanceof DagValidationError)
    return `the journaled run cannot run here: ${error.message.replace(/:\s*\n\s*/, ': ').replace(/\s*\n\s*/g, '; ')}`;
  // a run's record the store could not make (nothing ran): said as the server's, or the system's, failure
  if (error instanceof JournalWriteError && error.beforeStart) {
    const cause = refusalLine(error.cause, store, doing);
    if (cause !== undefined) return cause;
  }
  if (isPostgresJournalError(error)) {
    // named as the user wrote it: the journal was given it without `schema=`, its SSL mode pinned (`postgres/connectionString.ts`)
    const { action, reason, location, serverAnswered, code } = error;
    const label = store.kind === 'postgres' ? store.label : location;
    // a server that answered was reached: it refused a statement, or the schema's tables are not a
    // journal's; one that refused the login (a user, password or database it does not know) was reached too
    const loginRefused = code !== undefined && LOGIN_REFUSED.test(code);
    const reached = serverAnswered || loginRefused;
    // whatever statement came first, a connection it could not get is said as such
    const connecting = loginRefused || failedToConnect(error.cause);
    return `${reached ? '' : 'cannot reach the store: '}PostgreSQL journal at ${label}: cannot ${connecting ? 'connect' : (doing ?? action)}: ${reason}`;
  }
  if (error instanceof JournalWriteError) return undefined;
  if (typeof (error as NodeJS.ErrnoException | null)?.code === 'string' && (error as NodeJS.ErrnoException).syscall !== undefined) {
    const file = (error as NodeJS.ErrnoException).path;
    return `cannot use the store ${store.label}${file === undefined ? '' : ` (at ${file})`}: ${describeIoError(error)}`;
  }
  return undefined;
}

/**
 * How to go on without a run's file that cannot be read, in a folder store: moved aside, under a
 * name that is not a journal's (a listing takes `*.jsonl` only), it no longer holds up the store's
 * commands, and nothing of it is lost. Empty for a PostgreSQL store, and for a file this user has
 * no permission to read.
 */
export function setAsideHint(error: JournalCorruptError, store: StoreLocation): string {
  // a file this user may not read is another's to deal with (a teammate's run in a shared store)
  const code = (error as { code?: unknown }).code;
  if (store.kind !== 'folder' || code === 'EACCES' || code === 'EPERM') return '';
  const file = error.where.replace(/:\d+$/, '');
  return `; to go on without it, set it aside: mv ${shellWord(file)} ${shellWord(`${file}.bad`)}`;
}

/**
 * What to say of a run id that is a file's path here (`rxdag resume dag.yaml`): a run is named by
 * its id, and the file is run with `rxdag run`; `undefined` for any other id. `listed`: how the
 * user finds the ids, when there is a store to list.
 */
export function fileNamedAsRun(runId: string | undefined, listed = ''): string | undefined {
  if (runId === undefined || !isFile(runId)) return undefined;
  return `${runId} is a file, and a run is named by its id (${listed}rxdag run ${shellWord(runId)} runs the file)`;
}

/** Whether `path` is a file here. */
function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * What to know of a run that ended `cancelled`, which `rxdag resume` cannot continue: how it
 * came to be cancelled, how a run is stopped so that it can be, and how to start it over (the
 * journal does not know the DAG's file, so it is not named).
 */
export const CANCELLED_RUN_HINT =
  'Ctrl-C cancels a run, SIGTERM leaves it resumable; to start it over, run the DAG file again: rxdag run FILE';

/**
 * What to know of a run that ended `failed`, which `rxdag resume` cannot continue: a fixed run
 * is a new run, whose tasks all run again (a finished task is not carried over from another run).
 */
export const FAILED_RUN_HINT =
  'a run that failed is not continued: after a fix, run the DAG file again (rxdag run FILE), and every task runs again';

/** PostgresJournalError comes from `rxdag/postgres`, loaded only for a database: known by name. */
function isPostgresJournalError(error: unknown): error is PostgresJournalError {
  return error instanceof Error && error.name === 'PostgresJournalError';
}

/** Whether `error` is a PostgreSQL store's that gave no answer: not reached, or not in time. */
export function storeUnanswered(error: unknown): boolean {
  return isPostgresJournalError(error) && !error.serverAnswered;
}

/**
 * SQLSTATEs of a login the server refused: authorization (28xxx), an unknown database (3D000), no
 * connection free (53300), a server starting up or shutting down (57P03).
 */
const LOGIN_REFUSED = /^(28...|3D000|53300|57P03)$/;

/**
 * Whether `cause` is a failure to make a connection (no server there, no route, a name unknown,
 * no answer in time), not one of a session already made (a `read ETIMEDOUT` of a peer gone).
 */
function failedToConnect(cause: unknown): boolean {
  const { syscall, message } = (cause ?? {}) as { syscall?: unknown; message?: unknown };
  // pg gives up a connection not made in time with no code of its own: its pool, and a client of its own (a run's session)
  return (
    syscall === 'connect' ||
    syscall === 'getaddrinfo' ||
    message === 'Connection terminated due to connection timeout' ||
    message === 'timeout expired'
  );
}

/** Turns a store's refusal into an `InvalidInputError` (exit 2); anything else is rethrown as it is. `doing`: see {@link refusalLine}. */

export function asRefusal(error: unknown, store: StoreLocation, doing?: string): never {
  const line = refusalLine(error, store, doing);
  if (line === undefined) throw error;
  throw new InvalidInputError([{ message: line }]);
}

/**
 * What to do when the owner of a run (as `runs` describes it) is gone for good, where only a file
 * says it is there: a process of another host or container, whose lock file names it. Else nothing.
 */
export function goneRemedy(owner: string): string {
  return owner.includes(', whose lock file is ')
    ? ' (if that process is gone, its host or container no longer running, remove that lock file)'
    : '';
}
