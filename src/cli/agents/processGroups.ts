import type { ChildProcess } from 'node:child_process';
import { signalTaskProcesses, taskProcessesAlive } from './taskProcesses';

/** How often a terminated group is checked for processes left. */
const POLL_MS = 20;
/** How long to wait after SIGKILL before giving up on a group (e.g. a process stuck in the kernel). */
const AFTER_KILL_MS = 500;

/**
 * The process groups of the shell tasks still alive. Each shell task runs in its own group and
 * session (`detached: true`), so stopping a task stops everything it started, grandchildren
 * included, and on Linux the groups it made inside its session (`taskProcesses.ts`).
 * The CLI waits on {@link ProcessGroups.whenEmpty} before it exits, so no child outlives it.
 */
export class ProcessGroups {
  // Group leader pid -> the promise of its termination, once one was asked for.
  private readonly live = new Map<number, Promise<void> | undefined>();
  private readonly emptyWaiters: (() => void)[] = [];

  constructor(private readonly killGraceMs: number) {}

  /** Starts tracking the group led by `child` (spawned with `detached: true`). */
  track(child: ChildProcess): void {
    if (child.pid !== undefined) this.live.set(child.pid, undefined);
  }

  /**
   * Sends SIGTERM to the whole group, then SIGKILL if anything in it is still there after the
   * grace period. Resolves when the group is empty. Calling it again returns the same promise.
   */
  terminate(pid: number): Promise<void> {
    const pending = this.live.get(pid);
    if (pending !== undefined) return pending;
    const done = this.stopGroup(pid).finally(() => this.forget(pid));
    this.live.set(pid, done);
    return done;
  }

  /** {@link terminate} of every group; resolves when none is left. */
  async terminateAll(): Promise<void> {
    await Promise.all([...this.live.keys()].map((pid) => this.terminate(pid)));
  }

  /** SIGKILL to every group at once: the second Ctrl-C, when waiting is not wanted. */
  killAll(): void {
    for (const pid of this.live.keys()) signalTaskProcesses(pid, 'SIGKILL');
  }

  /** Resolves when no tracked group is left (at once when none is). */
  whenEmpty(): Promise<void> {
    if (this.live.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }

  get size(): number {
    return this.live.size;
  }

  private async stopGroup(pid: number): Promise<void> {
    if (!signalTaskProcesses(pid, 'SIGTERM')) return;
    if (await waitUntilGone(pid, this.killGraceMs)) return;
    signalTaskProcesses(pid, 'SIGKILL');
    await waitUntilGone(pid, AFTER_KILL_MS);
  }

  private forget(pid: number): void {
    this.live.delete(pid);
    if (this.live.size === 0) for (const resolve of this.emptyWaiters.splice(0)) resolve();
  }
}

/** Polls the group until it is empty or `withinMs` passed; true when it emptied. */
async function waitUntilGone(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (taskProcessesAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return true;
}
