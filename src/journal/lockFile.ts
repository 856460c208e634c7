import * as fs from 'node:fs';
import * as os from 'node:os';
import { RunLockedError } from './journal';

/**
 * Ownership of a run in a folder: a lock file holding the owner's host and pid, made
 * atomically (written aside, then hard-linked into place, so it is never seen half-written). A
 * lock whose owner is gone on this host is stale and taken over; a lock of another host, or of a
 * live owner (this process included), is refused with `RunLockedError`. It does not know what is
 * locked: the file journal decides what a lock guards.
 *
 * The owner is gone when no process has its pid, and also (where `/proc` tells, on Linux) when
 * the process with its pid is not the owner: one that exited and was not reaped yet (a zombie
 * still answers signal 0), or a later process given the same pid, told apart by its start time
 * (in a container restarted after a crash, the new `rxdag resume` often gets the very pid its
 * killed predecessor had).
 */

/** Who holds a lock. */
interface Owner {
  readonly host: string;
  readonly pid: number;
  readonly since: number;
  /** When the owner process started, in the kernel's clock ticks since boot (Linux; absent elsewhere and in older locks). */
  readonly start?: number;
}

/** A held lock; `release()` removes it. */
export interface HeldLock {
  release(): void;
}

/** Takes the lock at `path` for `runId`, or throws `RunLockedError` naming its live owner. */
export function acquireLock(path: string, runId: string): HeldLock {
  const me: Owner = { host: os.hostname(), pid: process.pid, since: Date.now(), start: processOf(process.pid)?.start };
  const aside = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  fs.writeFileSync(aside, `${JSON.stringify(me)}\n`, { flag: 'wx' });
  try {
    for (let tries = 0; tries < 5; tries++) {
      try {
        fs.linkSync(aside, path);
        return { release: () => releaseIfMine(path, me) };
      } catch (error) {
        if (!isCode(error, 'EEXIST')) throw error;
      }
      const owner = readOwner(path);
      if (owner === undefined) continue; // removed meanwhile: try again
      if (!isStale(owner)) throw new RunLockedError(runId, describeOwner(owner), isCheckable(owner) ? undefined : path);
      moveAside(path, `${path}.stale.${owner.pid}`); // one taker wins; the others see it gone and retry
    }
    throw new RunLockedError(runId, 'another process taking it over at the same time');
  } finally {
    fs.rmSync(aside, { force: true });
  }
}

/**
 * Removes the lock at `path` when its owner is gone, through the same takeover as
 * {@link acquireLock} (so a process taking it at the same time is not robbed); a live owner's
 * lock, or one of another host, is left.
 */
export function clearStaleLock(path: string, runId: string): void {
  const owner = readOwner(path);
  if (owner === undefined || !isStale(owner)) return;
  try {
    acquireLock(path, runId).release();
  } catch (error) {
    if (!(error instanceof RunLockedError)) throw error; // taken meanwhile by a live process
  }
}

/** Whether a live owner holds the lock at `path`; its description if so. */
export function liveOwner(path: string): string | undefined {
  const owner = readOwner(path);
  return owner !== undefined && !isStale(owner) ? describeOwner(owner) : undefined;
}

function readOwner(path: string): Owner | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT')) return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<Owner>;
    if (typeof parsed.host === 'string' && Number.isInteger(parsed.pid)) {
      const start = Number.isInteger(parsed.start) ? parsed.start : undefined;
      return { host: parsed.host, pid: parsed.pid!, since: Number(parsed.since), start };
    }
  } catch {
    // unreadable: treated as held by an unknown owner below
  }
  return { host: 'unknown', pid: -1, since: 0 };
}

/** Whether this process can tell if the owner lives: it is on this host and its lock was readable. */
function isCheckable(owner: Owner): boolean {
  return owner.host === os.hostname() && owner.pid > 0;
}

/** Stale: on this host and its owner is gone. A lock of another host is never judged stale. */
function isStale(owner: Owner): boolean {
  if (!isCheckable(owner)) return false;
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

function describeOwner(owner: Owner): string {
  if (owner.pid <= 0) return 'an owner whose lock file cannot be read';
  if (owner.host !== os.hostname()) return `process ${owner.pid} of host ${owner.host}`;
  return `${owner.host}:${owner.pid}${owner.pid === process.pid ? ' (this process)' : ''}`;
}

function moveAside(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
    fs.rmSync(to, { force: true });
  } catch (error) {
    if (!isCode(error, 'ENOENT')) throw error;
  }
}

function releaseIfMine(path: string, me: Owner): void {
  const owner = readOwner(path);
  if (owner !== undefined && owner.pid === me.pid && owner.host === me.host && owner.since === me.since) fs.rmSync(path, { force: true });
}

function isCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === code;
}
