/**
 * A shell task the system would not start for want of room: no file descriptors left for its
 * pipes (EMFILE, ENFILE) or no process left (EAGAIN). Nothing of its command ran, and the room
 * comes back as the CLI's other tasks end: rather than fail the attempt (and, as each failure
 * frees a slot at once, every ready task after it within milliseconds), its spawn waits for one
 * of them to end, one waiting task per end, in turn. Node does not close the pipes of a spawn
 * refused for want of descriptors, so once one was, a spawn is not tried while the process has
 * fewer free than a spawn takes (Linux: `/proc/self/fd` against `/proc/self/limits`). With none
 * of the CLI's tasks running, the shortage is another process's: it is tried again each second,
 * up to {@link ROOM_TRIES} times, then the attempt fails. It starts nothing itself: the shell
 * agent does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { ProcessGroups } from './processGroups';

/** The errors of a spawn refused for want of room. */
const ROOM_CODES: ReadonlySet<string> = new Set(['EMFILE', 'ENFILE', 'EAGAIN']);

/** Most waits of a second, with none of the CLI's tasks running, before the refusal fails the attempt. */
export const ROOM_TRIES = 30;

/** The wait before trying again when none of the CLI's tasks runs (no end to wait for). */
const ROOM_WAIT_MS = 1000;

/** Descriptors a spawn takes while it starts a shell with two pipes (and Node's own for the exec), with room to spare. */
const SPAWN_DESCRIPTORS = 8;

/** The room a shell agent's spawns share: the CLI's task groups, and whether descriptors ran short. */
export class SpawnRoom {
  // set by the first refusal for want of descriptors: from then on a spawn is tried only with room
  private descriptorsShort = false;
  private openFilesLimit: number | undefined;

  constructor(private readonly groups: ProcessGroups) {}

  /** Whether `error` is a spawn's refusal for want of room; notes a shortage of descriptors. */
  isRefusal(error: NodeJS.ErrnoException): boolean {
    if (error.code === 'EMFILE') this.descriptorsShort = true;
    return error.code !== undefined && ROOM_CODES.has(error.code);
  }

  /** Whether a spawn now would be refused for want of descriptors, once they ran short (Linux; elsewhere, never said). */
  lacksDescriptors(): boolean {
    if (!this.descriptorsShort) return false;
    try {
      this.openFilesLimit ??= Number(/^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? Infinity);
      return readdirSync('/proc/self/fd').length + SPAWN_DESCRIPTORS > this.openFilesLimit;
    } catch {
      return false;
    }
  }

  /**
   * Resolves with `turn` at this waiter's turn when one of the CLI's tasks ends, with `time` after
   * {@link ROOM_WAIT_MS} when none runs (the shortage is another process's), or when `signal` aborts.
   */
  wait(signal: AbortSignal): Promise<'turn' | 'time'> {
    return new Promise((resolve) => {
      const turn = this.groups.size > 0 ? this.groups.nextEnd() : undefined;
      const done = (how: 'turn' | 'time') => {
        clearTimeout(timer);
        turn?.cancel();
        signal.removeEventListener('abort', aborted);
        resolve(how);
      };
      const aborted = () => done('time');
      const timer = turn === undefined ? setTimeout(done, ROOM_WAIT_MS, 'time') : undefined;
      signal.addEventListener('abort', aborted, { once: true });
      void turn?.ended.then(() => done('turn'));
    });
  }
}
