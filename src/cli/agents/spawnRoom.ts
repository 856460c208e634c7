/**
 * A shell task the system would not start for want of room: no file descriptors left for its
 * pipes (EMFILE, ENFILE) or no process left (EAGAIN). Nothing of its command ran, and the room
 * comes back as the CLI's other tasks end: rather than fail the attempt (and, as each failure
 * frees a slot at once, every ready task after it within milliseconds), its spawn waits until
 * one of them has ended and given back its pipes, one waiting task per end, in turn (all of
 * them when none is left running). Node does not close the pipes of a spawn refused for want of
 * descriptors, so once one was, a spawn is not tried while the process has fewer free than a
 * spawn takes (Linux: `/proc/self/fd` against `/proc/self/limits`). With none of the CLI's tasks
 * running, the shortage is another process's: it is tried again each second, and once none of
 * the agent's spawns started for {@link ROOM_GIVE_UP_MS} (a clock of the room, not of each
 * attempt: the tasks that come after fail at once until one starts), the attempt fails. A stop of
 * every task (SIGTERM) ends the waits: a task still to start does not. It starts nothing itself:
 * the shell agent does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { ProcessGroups } from './processGroups';

/** The errors of a spawn refused for want of room. */
const ROOM_CODES: ReadonlySet<string> = new Set(['EMFILE', 'ENFILE', 'EAGAIN']);

/** How long a room with none of the agent's tasks running may refuse every spawn before its refusals fail their attempts. */
export const ROOM_GIVE_UP_MS = 30_000;

/** The wait before trying again when none of the CLI's tasks runs (no end to wait for). */
const ROOM_WAIT_MS = 1000;

/** Descriptors a spawn takes while it starts a shell: a socket pair for each of two pipes, and a pipe of Node's for the exec. */
const SPAWN_DESCRIPTORS = 6;

/** How a wait for room ended: a task's end gave some back, a second passed with none running, or every task is stopping. */
export type RoomWait = 'turn' | 'time' | 'stopping';

/** The room a shell agent's spawns share: its tasks running, those waiting, and whether descriptors ran short. */
export class SpawnRoom {
  // set by the first refusal for want of descriptors: from then on a spawn is tried only with room
  private descriptorsShort = false;
  // set by a spawn that gave no process at once, until one does: a shortage suspected
  private shortageSuspected = false;
  private openFilesLimit: number | undefined;
  // the agent's tasks started and not yet ended with their pipes closed
  private running = 0;
  // waiters for room, in turn
  private readonly waiters: (() => void)[] = [];
  // since when a wait with none of the agent's tasks running ended without room, until a spawn
  // starts or no refusal came for a while (the spell is over), and when the last refusal came
  private stuckSince: number | undefined;
  private lastRefusedAt = 0;

  constructor(private readonly groups: ProcessGroups) {
    // every task told to stop: no waiter starts (each sees `stopping` when woken)
    void groups.whenStopping().then(() => {
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /**
   * A spawn that gave no process at once (its error comes later, most likely a shortage): the
   * spawns after it, in the same turn of the event loop, look for room first.
   */
  notStarted(): void {
    this.shortageSuspected = true;
  }

  /** Whether `error` is a spawn's refusal for want of room; notes a shortage of descriptors. */
  isRefusal(error: NodeJS.ErrnoException): boolean {
    if (error.code === 'EMFILE') this.descriptorsShort = true;
    return error.code !== undefined && ROOM_CODES.has(error.code);
  }

  /**
   * Whether a spawn now would be refused for want of descriptors, once they ran short (Linux;
   * elsewhere, never said). With none of the agent's tasks running, none would give any back:
   * the spawn itself is tried (the count is an estimate, and the wait is then a second's).
   */
  lacksDescriptors(): boolean {
    if ((!this.descriptorsShort && !this.shortageSuspected) || this.running === 0) return false;
    try {
      this.openFilesLimit ??= Number(/^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? Infinity);
      // (the listing counts the descriptor it reads the folder with)
      return readdirSync('/proc/self/fd').length - 1 + SPAWN_DESCRIPTORS > this.openFilesLimit;
    } catch {
      return false;
    }
  }

  /** A task of the agent started. */
  started(): void {
    this.running++;
    this.shortageSuspected = false;
    this.stuckSince = undefined;
  }

  /**
   * How long the room has refused every spawn while none of the agent's tasks ran (since the
   * first wait of a second that ended without room), 0 when it has not; asked at each refusal. A
   * spell with no refusal for two seconds is over (the tasks that met it failed long ago).
   */
  stuckForMs(): number {
    const now = Date.now();
    if (this.stuckSince !== undefined && now - this.lastRefusedAt > 2 * ROOM_WAIT_MS) this.stuckSince = undefined;
    this.lastRefusedAt = now; // asked for a refusal
    return this.stuckSince === undefined ? 0 : now - this.stuckSince;
  }

  /** A task of the agent ended, its pipes closed: the next waiter's turn (every waiter's when none runs). */
  ended(): void {
    this.running--;
    if (this.running === 0) for (const wake of this.waiters.splice(0)) wake();
    else this.waiters.shift()?.();
  }

  /**
   * Resolves at this waiter's turn once one of the agent's tasks ended (`turn`), after
   * {@link ROOM_WAIT_MS} when none runs (`time`: the shortage is another process's), or, as
   * `stopping`, when every task is told to stop or `signal` aborts.
   */
  wait(signal: AbortSignal): Promise<RoomWait> {
    return new Promise((resolve) => {
      const done = (how: RoomWait) => {
        clearTimeout(timer);
        if (how === 'time') {
          this.stuckSince ??= Date.now() - ROOM_WAIT_MS;
          this.lastRefusedAt = Date.now();
        }
        const at = this.waiters.indexOf(wake);
        if (at >= 0) this.waiters.splice(at, 1);
        signal.removeEventListener('abort', aborted);
        resolve(this.groups.stopping || signal.aborted ? 'stopping' : how);
      };
      const wake = () => done('turn');
      const aborted = () => done('stopping');
      const timer = this.running === 0 ? setTimeout(done, ROOM_WAIT_MS, 'time') : undefined;
      this.waiters.push(wake);
      signal.addEventListener('abort', aborted, { once: true });
      if (this.groups.stopping) done('stopping');
    });
  }
}
