/**
 * What a journaled run notes of where its attempts went: `rxdag run --redis` writes, in the run's
 * `metadata` (`remote`), the flags that reach the same workers again (the Redis URL with its
 * password replaced by `***`), and `rxdag resume` the same in the `metadata` of its
 * `run.resumed` (none for a resume that runs them here). `rxdag resume` reads the latest: without
 * `--redis`, attempts the run had in flight when it stopped may still be queued or running on
 * workers, and running them here as well would run them twice, so it refuses unless told
 * `--local`; with `--redis`, it refuses other workers than theirs. It opens no connection and
 * reads no journal itself.
 */
import { scryptSync } from 'node:crypto';
import type { DagEvent, JournalHeader } from '../../index';
import { redisTarget } from '../../bullmq/redisConnection';
import { markedByCli } from '../store/programRuns';
import { remoteFlags, type RemoteSettings } from './remoteOptions';

/** The key of the run's `metadata` that notes where its attempts went. */
export const REMOTE_KEY = 'remote';

/** Where a run sent its attempts. */
export interface RemoteNote {
  /** The flags of `rxdag resume` that reach the same workers (a password shown as `***`). */
  readonly resumeFlags: string;
  /** The key prefix its jobs went under (absent in runs of earlier versions). */
  readonly prefix?: string;
  /** Which key signed its jobs ({@link keyIdOf}; absent in runs of earlier versions). */
  readonly keyId?: string;
  /** The Redis database its jobs went to (absent in runs of earlier versions). */
  readonly db?: number;
}

/** The note of a run, or of a resume, whose attempts go to the workers `settings` reach (Redis at `location`, as shown). */
export function remoteNoteFor(settings: RemoteSettings, location: string): RemoteNote {
  return { resumeFlags: remoteFlags(settings, location), prefix: settings.prefix, keyId: keyIdOf(settings.key), db: settings.db };
}

/**
 * A short name of a signing key, `unsigned` without one: a run notes which key signed its jobs,
 * and its resume compares its own. 12 hex digits of scrypt (N 2^15, ~80 ms): whoever reads the
 * journal but not Redis can test guessed keys against it only that slowly (a fast hash would
 * give a weak key away to a word list).
 */
export function keyIdOf(key: Buffer | undefined): string {
  if (key === undefined) return 'unsigned';
  return scryptSync(key, 'rxdag key id', 6, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }).toString('hex');
}

/** One word as `shellWord` writes it: as it is, single-quoted, or in `$'…'`. */
const WORD = String.raw`(?:[\w@%+=:,./-]+|'[^']*'(?:\\''[^']*')*|\$'(?:[^'\\]|\\.)*')`;

/** Resume flags as `remoteFlags` writes them, and nothing else. */
const RESUME_FLAGS = new RegExp(
  String.raw`^ --redis ${WORD}(?: --redis-prefix ${WORD})?(?: --key-file (?:${WORD}|<\(…\)))?(?: --insecure)?$`,
);

/** What stands for flags of another shape: the user gives the run's Redis. */
const UNKNOWN_FLAGS = ' --redis REDIS_URL';

/** The note of a run's `metadata`; `undefined` for a local run, or a note not of this shape. */
export function remoteNoteOf(metadata: Readonly<Record<string, unknown>> | undefined): RemoteNote | undefined {
  const note = metadata?.[REMOTE_KEY];
  if (typeof note !== 'object' || note === null) return undefined;
  const { resumeFlags, prefix, keyId, db } = note as Record<string, unknown>;
  if (typeof resumeFlags !== 'string') return undefined;
  return {
    // printed in a command to paste: flags of another shape (a journal anyone edited) are not
    resumeFlags: RESUME_FLAGS.test(resumeFlags) ? resumeFlags : UNKNOWN_FLAGS,
    ...(typeof prefix === 'string' ? { prefix } : {}),
    ...(typeof keyId === 'string' ? { keyId } : {}),
    ...(typeof db === 'number' ? { db } : databaseInFlags(resumeFlags)),
  };
}

/**
 * Where the attempts of the run's latest start went: the note of its latest resume by the command
 * line (its own, none for a resume that ran them here), else the run's. A resume of an earlier
 * version noted nothing: the note before it stands.
 */
export function latestRemoteNote(header: JournalHeader, history: readonly DagEvent[]): RemoteNote | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const event = history[i]!;
    if (event.type === 'run.resumed' && markedByCli(event.metadata)) return remoteNoteOf(event.metadata);
  }
  return remoteNoteOf(header.options.metadata);
}

/**
 * The Redis database a run of an earlier version went to, read from its resume flags (which
 * name the URL, `redis://host:6379/2`): such a run noted no `db` of its own.
 */
function databaseInFlags(resumeFlags: string): { db?: number } {
  const url = /--redis '?([^'\s]+)/.exec(resumeFlags)?.[1];
  if (url === undefined) return {};
  try {
    return { db: redisTarget(url, "the run's resume flags").options.db ?? 0 };
  } catch {
    return {}; // not a Redis URL rxdag reads: the check is left out, as for a run that noted nothing
  }
}

/** ` (give the password where *** stands)` after a command whose `flags` show a password as `***`, else nothing. */
export function passwordToGive(flags: string): string {
  return flags.includes('***') ? ' (give the password where *** stands)' : '';
}

/**
 * Ids of the tasks whose attempt was in flight when the run stopped: started, and not ended
 * after. What a running attempt may be told meanwhile (`task.stuck`, `task.timed-out` before its
 * `task.failed`, `tasks.spawned` before its `task.completed`) leaves it in flight.
 */
export function inFlightTasks(history: readonly DagEvent[]): string[] {
  const last = new Map<string, DagEvent['type']>();
  for (const event of history) if ('taskId' in event && !DURING_AN_ATTEMPT.has(event.type)) last.set(event.taskId, event.type);
  return [...last].filter(([, type]) => type === 'task.started').map(([taskId]) => taskId);
}

/** Events of a task that come while its attempt runs, and do not end it. */
const DURING_AN_ATTEMPT: ReadonlySet<DagEvent['type']> = new Set(['task.stuck', 'task.timed-out', 'tasks.spawned']);

/**
 * Why `rxdag resume` without `--redis` will not run a remote run here; `undefined` when it may (a
 * local run, nothing in flight, or `--local`).
 */
export function localResumeRefusal(
  runId: string,
  note: RemoteNote | undefined,
  history: readonly DagEvent[],
  local: boolean,
): string | undefined {
  if (note === undefined || local) return undefined;
  const inFlight = inFlightTasks(history);
  if (inFlight.length === 0) return undefined;
  const shown = inFlight.length <= 5 ? inFlight.join(', ') : `${inFlight.slice(0, 5).join(', ')} and ${inFlight.length - 5} more`;
  const { counted, they, them } = inFlightWords(inFlight.length);
  const password = passwordToGive(note.resumeFlags);
  return (
    `run ${runId} sent its attempts to rxdag workers, and ${counted} in flight when it stopped (${shown}): ` +
    `${they} may still be queued or running there. Resume with${note.resumeFlags} to take ${them} up again${password}, ` +
    `or with --local to run ${them} here (a worker may then run ${them} a second time)`
  );
}

/**
 * Why `rxdag resume --redis` under another key prefix than the run's will not resume it; `undefined`
 * when it may (the same prefix, nothing in flight, or a run that did not note its prefix). Its
 * attempts in flight are queued under the run's prefix: under another, no worker of the run would
 * take them again, and their results would never be read.
 */
export function otherPrefixRefusal(
  runId: string,
  note: RemoteNote | undefined,
  history: readonly DagEvent[],
  prefix: string,
): string | undefined {
  if (note?.prefix === undefined || note.prefix === prefix) return undefined;
  const words = countedInFlight(history);
  if (words === undefined) return undefined;
  return (
    `run ${runId} sent its attempts under the key prefix "${note.prefix}", and ${words.counted} in flight when it stopped: ` +
    `resumed under "${prefix}", no worker of the run would take ${words.them} up again. Resume with${note.resumeFlags}`
  );
}

/**
 * Why `rxdag resume --redis` to another Redis database than the run's will not resume it;
 * `undefined` when it may (the same database, nothing in flight, or a run that did not note it).
 * Its attempts in flight are queued in the run's database: added again in another, they would
 * run a second time wherever a worker of that database takes them, and those in the run's would
 * never be read.
 */
export function otherDatabaseRefusal(
  runId: string,
  note: RemoteNote | undefined,
  history: readonly DagEvent[],
  db: number,
): string | undefined {
  if (note?.db === undefined || note.db === db) return undefined;
  const words = countedInFlight(history);
  if (words === undefined) return undefined;
  return (
    `run ${runId} sent its attempts to Redis database ${note.db}, and ${words.counted} in flight when it stopped: ` +
    `resumed on database ${db}, no worker of the run would take ${words.them} up again. Resume with${note.resumeFlags}`
  );
}

/** `one was`, `3 were`: how many attempts were in flight when the run stopped; `undefined` for none. */
function countedInFlight(history: readonly DagEvent[]): InFlightWords | undefined {
  const inFlight = inFlightTasks(history).length;
  return inFlight === 0 ? undefined : inFlightWords(inFlight);
}

/** How a refusal speaks of the attempts in flight: `one was` … `it`, `its`; `3 were` … `them`, `their`. */
interface InFlightWords {
  readonly counted: string;
  readonly they: string;
  readonly them: string;
  readonly their: string;
}

function inFlightWords(count: number): InFlightWords {
  return count === 1
    ? { counted: 'one was', they: 'it', them: 'it', their: 'its' }
    : { counted: `${count} were`, they: 'they', them: 'them', their: 'their' };
}

/**
 * Why `rxdag resume --redis` with another signing key than the run's will not resume it;
 * `undefined` when it may (the same key, nothing in flight, or a run that did not note its key).
 * The results of its attempts in flight come back signed with the run's key: under another, each
 * would be refused as forged, a critical failure that ends the run `failed`, its finished work lost.
 */
export function otherKeyRefusal(
  runId: string,
  note: RemoteNote | undefined,
  history: readonly DagEvent[],
  key: Buffer | undefined,
): string | undefined {
  if (note === undefined) return undefined;
  if (note.keyId === undefined) return keyFileRefusal(runId, note, history, key);
  if (note.keyId === keyIdOf(key)) return undefined;
  const words = countedInFlight(history);
  if (words === undefined) return undefined;
  const signed = (id: string) => (id === 'unsigned' ? 'no key' : `the key of id ${id}`);
  const withKey =
    note.keyId === 'unsigned'
      ? ' and no key (no --key-file, RXDAG_WORKER_KEY unset)'
      : note.resumeFlags.includes(' --key-file ')
        ? ''
        : " and the run's key in RXDAG_WORKER_KEY";
  return (
    `run ${runId} signed its jobs with ${signed(note.keyId)}, and ${words.counted} in flight when it stopped: ` +
    `resumed with ${signed(keyIdOf(key))}, ${words.their} results would be refused and the run would fail. Resume with${note.resumeFlags}${withKey}`
  );
}

/**
 * For a run of an earlier version, which noted no key: why resuming it without a key will not
 * do, when its resume flags name a key file (it signed its jobs) and attempts were in flight.
 */
function keyFileRefusal(runId: string, note: RemoteNote, history: readonly DagEvent[], key: Buffer | undefined): string | undefined {
  const words = countedInFlight(history);
  if (key !== undefined || !note.resumeFlags.includes(' --key-file ') || words === undefined) return undefined;
  return (
    `run ${runId} signed its jobs (its resume flags name a key file), and ${words.counted} in flight when it stopped: ` +
    `resumed with no key, ${words.their} results would be refused and the run would fail. Resume with${note.resumeFlags} ` +
    '(a run an rxdag made before signatures covered the key prefix is finished by that version: its results are signed the earlier way)'
  );
}
