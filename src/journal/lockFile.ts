import * as fs from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import { RunLockedError } from './journal';
import { readWhole } from './unreadableFile';
import { linkIntoPlace } from './hardLink';

/**
 * Ownership of a run in a folder: a lock file holding the owner's host and pid, made
 * atomically (written aside, then hard-linked into place, so it is never seen half-written). A
 * lock whose owner is gone on this host is stale and taken over, by one process at a time (under
 * a takeover guard); a lock of another host, or of a live owner (this process included), is
 * refused with `RunLockedError`. It does not know what is
 * locked: the file journal decides what a lock guards. The same judgement of a pid is lent to
 * files a process names by its pid alone ({@link processGone}).
 *
 * The owner is gone when no process has its pid, and also (where `/proc` tells, on Linux) when
 * the process with its pid is not the owner: one that exited and was not reaped yet (a zombie
 * still answers signal 0), or a later process given the same pid, told apart by its start time
 * (in a container restarted after a crash, the new `rxdag resume` often gets the very pid its
 * killed predecessor had).
 *
 * A lock of this host's name made in another pid namespace (a container sharing the host's name,
 * or a container restarted: its pids are not this process's to look up) is judged by its
 * heartbeat instead: a held lock's file has its time set every {@link HEARTBEAT_MS}, and such a
 * lock is stale once that time is {@link HEARTBEAT_STALE_MS} old.
 */

/** Who holds a lock. */
interface Owner {
  readonly host: string;
  readonly pid: number;
  readonly since: number;
  /** When the owner process started, in the kernel's clock ticks since boot (Linux; absent elsewhere and in older locks). */
  readonly start?: number;
  /** The owner's pid namespace, as `/proc/self/ns/pid` names it (Linux; absent elsewhere and in older locks). */
  readonly ns?: string;
}

/**
 * The owner of a lock file that is empty or zeros only. A lock appears whole (its text written
 * aside, then linked into place), so only a crash of its machine before the text reached the
 * disk leaves one so: its owner is gone, and the lock is stale.
 */
const CRASHED_OWNER: Owner = { host: 'unknown', pid: -1, since: 0 };

/** How often a held lock's file gets its time set: a sign of life for processes of other pid namespaces. */
export const HEARTBEAT_MS = 10_000;
/** A lock of another pid namespace whose file's time is older than this is stale (its owner gave no sign of life). */
export const HEARTBEAT_STALE_MS = 60_000;

/** This process's pid namespace (`pid:[4026531836]`), where `/proc` tells it. */
const ownNamespace: string | undefined = (() => {
  try {
    return fs.readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
})();

/** A held lock; `release()` removes it. */
export interface HeldLock {
  release(): void;
  /**
   * Why the lock is no longer this holder's, if it is not: its file was removed (by hand, or by
   * a process that judged the run interrupted) or replaced by another owner's. One `stat`.
   */
  lost(): string | undefined;
}

/** Tries to take a lock, at most; each try that finds a takeover going on waits {@link TAKEOVER_WAIT_MS} first. */
const MAX_TRIES = 100;
/** A takeover is a few file operations: a try waits this long for another process's to end. */
const TAKEOVER_WAIT_MS = 2;

/** Takes the lock at `path` for `runId`, or throws `RunLockedError` naming its live owner. */
export function acquireLock(path: string, runId: string): HeldLock {
  const me: Owner = { host: os.hostname(), pid: process.pid, since: Date.now(), start: processOf(process.pid)?.start, ns: ownNamespace };
  const aside = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    // written by its owner only whatever the umask: who else could write it could hold or free the run
    fs.writeFileSync(aside, `${JSON.stringify(me)}\n`, { flag: 'wx', mode: 0o644 });
  } catch (error) {
    fs.rmSync(aside, { force: true }); // made, then its write failed (a full disk): not left behind
    // the folder that refused the file is what the user can act on, not the file's passing name
    const refused = error as NodeJS.ErrnoException;
    if (refused.path === aside) {
      refused.path = nodePath.dirname(path);
      refused.message = refused.message.replace(aside, refused.path);
    }
    throw error;
  }
  try {
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      try {
        linkIntoPlace(aside, path);
        try {
          return heldLock(path, me);
        } catch (error) {
          fs.rmSync(path, { force: true }); // just made, and not held: not left to refuse this run id
          throw error;
        }
      } catch (error) {
        if (!isCode(error, 'EEXIST')) throw error;
      }
      const held = readLock(path);
      if (held === undefined) continue; // removed meanwhile: try again
      if (!isStale(held.owner, path))
        throw new RunLockedError(
          runId,
          describeOwner(held.owner, path),
          isCheckable(held.owner) && !ofOtherNamespace(held.owner) ? undefined : path,
        );
      if (!removeStale(path, held.text, aside)) waitSync(TAKEOVER_WAIT_MS);
    }
    throw new RunLockedError(runId, 'another process taking it over at the same time');
  } finally {
    fs.rmSync(aside, { force: true });
  }
}

/**
 * Removes the lock at `path` if it still is `stale` (its text), holding the takeover guard
 * (`path.takeover`, linked from `mine`, this process's lock text) meanwhile: only the guard's
 * holder removes a lock that another process made, so two processes taking over one stale lock
 * never remove the lock one of them has just made. False when another process holds the guard.
 */
function removeStale(path: string, stale: string, mine: string): boolean {
  const guard = `${path}.takeover`;
  try {
    fs.linkSync(mine, guard);
  } catch (error) {
    if (!isCode(error, 'EEXIST')) throw error;
    clearDeadGuard(guard);
    return false;
  }
  try {
    if (readLock(path)?.text === stale) fs.rmSync(path, { force: true });
  } finally {
    fs.rmSync(guard, { force: true });
  }
  return true;
}

/**
 * Removes a takeover guard whose holder died while it held it (killed in those few file
 * operations). It is moved under a name of its own and read again: when what was moved is not
 * the dead holder's guard (another process cleared that one and took the guard meanwhile), it
 * is put back.
 */
export function clearDeadGuard(guard: string): void {
  const held = readLock(guard);
  if (held === undefined || !isStale(held.owner, guard)) return;
  const moved = `${guard}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    fs.renameSync(guard, moved);
  } catch (error) {
    if (isCode(error, 'ENOENT')) return;
    throw error;
  }
  try {
    if (readLock(moved)?.text !== held.text) fs.linkSync(moved, guard);
  } catch (error) {
    if (!isCode(error, 'EEXIST')) throw error;
  } finally {
    fs.rmSync(moved, { force: true });
  }
}

/** Blocks this thread for `ms` (a takeover is synchronous, and waits only while another process's goes on). */
function waitSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Removes the lock at `path` when its owner is gone, through the same takeover as
 * {@link acquireLock} (so a process taking it at the same time is not robbed); a live owner's
 * lock, or one of another host, is left.
 */
export function clearStaleLock(path: string, runId: string): void {
  const owner = readOwner(path);
  if (owner === undefined || !isStale(owner, path)) return;
  try {
    acquireLock(path, runId).release();
  } catch (error) {
    if (!(error instanceof RunLockedError)) throw error; // taken meanwhile by a live process
  }
}

/** Whether the file at `path` names an owner (a lock, or one written aside) who is gone; false for one it cannot read. */
export function deadOwner(path: string): boolean {
  const owner = readOwner(path);
  return owner !== undefined && isStale(owner, path);
}

/**
 * Whether a live owner holds the lock at `path`; its description if so, with the lock file when
 * this host cannot tell whether that owner still runs (the file to remove once it is gone).
 */
export function liveOwner(path: string): string | undefined {
  const owner = readOwner(path);
  if (owner === undefined || isStale(owner, path)) return undefined;
  const described = describeOwner(owner, path);
  return isCheckable(owner) && !ofOtherNamespace(owner) ? described : `${described}, whose lock file is ${path}`;
}

/**
 * Whether the process `pid` of this host is gone, judged as a lock's owner is (a zombie is gone;
 * where `/proc` tells nothing more, a process with that pid is taken to be it): for a file a
 * process names by its pid alone, which only that process removes.
 */
export function processGone(pid: number): boolean {
  return isStale({ host: os.hostname(), pid, since: 0 });
}

function readOwner(path: string): Owner | undefined {
  return readLock(path)?.owner;
}

/** The lock file at `path`: its text and its owner; `undefined` when there is none. */
function readLock(path: string): { readonly text: string; readonly owner: Owner } | undefined {
  let text: string;
  try {
    text = readWhole(path, 'a lock file').toString('utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT')) return undefined;
    // a read of a folder fails without naming it: the lock's path is added, for the message
    if (isCode(error, 'EISDIR')) throw Object.assign(error as Error, { path });
    throw error;
  }
  if (/^\0*$/.test(text)) return { text, owner: CRASHED_OWNER };
  try {
    const parsed = JSON.parse(text) as Partial<Owner>;
    if (typeof parsed.host === 'string' && Number.isInteger(parsed.pid)) {
      const start = Number.isInteger(parsed.start) ? parsed.start : undefined;
      const ns = typeof parsed.ns === 'string' ? parsed.ns : undefined;
      return { text, owner: { host: parsed.host, pid: parsed.pid!, since: Number(parsed.since), start, ns } };
    }
  } catch {
    // unreadable: treated as held by an unknown owner below
  }
  return { text, owner: { host: 'unknown', pid: -1, since: 0 } };
}

/** Whether this process can tell if the owner lives: it is on this host and its lock was readable. */
function isCheckable(owner: Owner): boolean {
  return owner.host === os.hostname() && owner.pid > 0;
}

/** Whether the owner's pids are another pid namespace's (a container sharing this host's name): not ours to look up. */
function ofOtherNamespace(owner: Owner): boolean {
  return owner.ns !== undefined && ownNamespace !== undefined && owner.ns !== ownNamespace;
}

/** How long ago the lock file at `path` last had its time set (its owner's heartbeat), if it is there. */
function silentForMs(path: string): number | undefined {
  try {
    return Date.now() - fs.statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * Stale: on this host and its owner is gone; for an owner of another pid namespace, its lock at
 * `path` gave no sign of life for {@link HEARTBEAT_STALE_MS}; an empty lock ({@link CRASHED_OWNER}).
 * Another host's lock that is not empty is never judged stale.
 */
function isStale(owner: Owner, path?: string): boolean {
  if (owner === CRASHED_OWNER) return true;
  if (!isCheckable(owner)) return false;
  if (ofOtherNamespace(owner)) {
    const silent = path === undefined ? undefined : silentForMs(path);
    return silent !== undefined && silent > HEARTBEAT_STALE_MS;
  }
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    return isCode(error, 'ESRCH');
  }
  // a process has the pid: is it the owner, and alive?
  const found = processOf(owner.pid);
  if (found === undefined) return false; // nothing more to tell (no /proc): trust the signal
  return found.zombie || (owner.start !== undefined && found.start !== owner.start);
}

/**
 * What Linux's `/proc/PID/stat` says of a process: whether it exited and waits to be reaped,
 * and its start time (clock ticks since boot); `undefined` where there is no such file.
 */
function processOf(pid: number): { readonly zombie: boolean; readonly start: number } | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // `pid (command) state ppid …`: the command may hold spaces and parentheses, the fields after
  // its last `)` do not; the start time is the 22nd field of the line, the 20th after the command
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[19]);
  return Number.isInteger(start) ? { zombie: fields[0] === 'Z', start } : undefined;
}

function describeOwner(owner: Owner, path?: string): string {
  if (owner.pid <= 0) return 'an owner whose lock file cannot be read';
  if (owner.host !== os.hostname()) return `process ${owner.pid} of host ${owner.host}`;
  if (ofOtherNamespace(owner)) {
    const silent = path === undefined ? undefined : silentForMs(path);
    const lastSign = silent === undefined ? '' : `, last sign of life ${Math.max(0, Math.round(silent / 1000))} s ago`;
    return (
      `${owner.host}:${owner.pid} of another pid namespace (a container sharing this host's name${lastSign}; ` +
      `taken as gone after ${HEARTBEAT_STALE_MS / 1000} s without one)`
    );
  }
  return `${owner.host}:${owner.pid}${owner.pid === process.pid ? ' (this process)' : ''}`;
}

/**
 * The lock at `path`, just made. The file stays open while held: its inode cannot be given to
 * another file meanwhile, so a lock file with another inode at `path` is another's. It is opened
 * by that name, as it is looked at later (some file systems number a file's names apart).
 */
function heldLock(path: string, me: Owner): HeldLock {
  const fd = fs.openSync(path, 'r');
  const made = fs.fstatSync(fd);
  let released = false;
  // the heartbeat, through this lock's own file (never a lock that replaced it)
  const heartbeat = setInterval(() => {
    const now = new Date();
    try {
      fs.futimesSync(fd, now, now); // synchronous: no call still pending once the file is closed
    } catch {
      // a file system that keeps no times: the lock is then judged as it would be without one
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    release: () => {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      fs.closeSync(fd);
      releaseIfMine(path, me);
    },
    lost: () => {
      let now: fs.Stats;
      try {
        now = fs.statSync(path);
      } catch (error) {
        if (isCode(error, 'ENOENT')) return `its lock file ${path} was removed while it ran`;
        throw error;
      }
      if (now.ino === made.ino && now.dev === made.dev) return undefined;
      const owner = readOwner(path) ?? { host: 'unknown', pid: -1, since: 0 };
      // a copy of its own lock put in its place (a restore, a sync tool) guards the run no more than another's
      const mine = owner.host === os.hostname() && owner.pid === process.pid;
      return `its lock file ${path} was replaced while it ran (${mine ? 'by a file naming this process: a copy' : `now held by ${describeOwner(owner)}`})`;
    },
  };
}

function releaseIfMine(path: string, me: Owner): void {
  const owner = readOwner(path);
  if (owner !== undefined && owner.pid === me.pid && owner.host === me.host && owner.since === me.since) fs.rmSync(path, { force: true });
}

function isCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === code;
}
