import type { ChildProcess } from 'node:child_process';
import { signalTaskProcesses, taskProcessesAlive } from './taskProcesses';

/** How often a terminated group is checked for processes left: first, and at most (the looks grow apart). */
const POLL_MS = 20;
const POLL_MOST_MS = 160;
/** How long to wait after SIGKILL before giving up on a group (e.g. a process stuck in the kernel). */
const AFTER_KILL_MS = 500;
/**
 * How long what stays of a group after its shell exited is left before it is stopped: a process
 * the shell forked to leave the group (`setsid daemon &`) may not have left it yet when the shell ends.
 */
const LEAVING_MS = 100;

/**
 * The process groups of the shell tasks still alive. Each shell task runs in its own group and
 * session (`detached: true`), so stopping a task stops everything it started, grandchildren
 * included, and on Linux the groups it made inside its session (`taskProcesses.ts`).
 * The CLI waits on {@link ProcessGroups.whenEmpty} before it exits, so no child outlives it.
 */
export class ProcessGroups {
  // Group leader pid -> the promise of its termination, once one was asked for.
  private readonly live = new Map<number, Promise<void> | undefined>();
  // Group leader pid -> when it was made: a read of /proc begun before would miss it (`processTable.ts`)
  private readonly madeAt = new Map<number, number>();
  private readonly emptyWaiters: (() => void)[] = [];
  // set by `hurry`: no grace any more
  private hurried = false;
  // set by a stop of every group (`terminateAll`, `killAll`): no task starts any more
  private stopped = false;
  private readonly stopWaiters: (() => void)[] = [];

  constructor(private readonly killGraceMs: number) {}

  /** Starts tracking the group led by `child` (spawned with `detached: true`). */
  track(child: ChildProcess): void {
    if (child.pid === undefined) return;
    this.live.set(child.pid, undefined);
    this.madeAt.set(child.pid, Date.now());
  }

  /**
   * Sends SIGTERM to the whole group, then SIGKILL if anything in it is still there after the
   * grace period; with `session` (a stop, not a task's own end), to the groups it made inside its
   * session too. Resolves when they are empty, never rejects. Calling it again returns the same
   * promise; for a group no longer tracked, it does nothing (its leader's pid may be another's now).
   */
  terminate(pid: number, session = true): Promise<void> {
    if (!this.live.has(pid)) return Promise.resolve();
    const pending = this.live.get(pid);
    if (pending !== undefined) return pending;
    const done = this.stopGroup(pid, session)
      .catch(() => undefined) // a signal refused otherwise: nothing more to do for it
      .finally(() => this.forget(pid));
    this.live.set(pid, done);
    return done;
  }

  /**
   * The task's shell exited: what stays of its group is stopped ({@link terminate}, the group
   * alone), {@link LEAVING_MS} later when anything stays (at once when the group was told to stop).
   */
  shellExited(pid: number): Promise<void> {
    if (!this.live.has(pid) || this.live.get(pid) !== undefined || !taskProcessesAlive(pid, false, this.since(pid)))
      return this.terminate(pid, false);
    const done = new Promise((resolve) => setTimeout(resolve, LEAVING_MS))
      .then(() => this.stopGroup(pid, false))
      .catch(() => undefined)
      .finally(() => this.forget(pid));
    this.live.set(pid, done);
    return done;
  }

  /** {@link terminate} of every group; resolves when none is left. */
  async terminateAll(): Promise<void> {
    this.stop();
    await Promise.all([...this.live.keys()].map((pid) => this.terminate(pid)));
  }

  /** SIGKILL to every group at once: the second Ctrl-C, when waiting is not wanted. */
  killAll(): void {
    this.stop();
    for (const pid of this.live.keys()) signalTaskProcesses(pid, 'SIGKILL', true, this.since(pid));
  }

  /** Whether every group was told to stop: a task still to start (waiting for room) does not. */
  get stopping(): boolean {
    return this.stopped;
  }

  /** Resolves when every group is told to stop ({@link stopping}). */
  whenStopping(): Promise<void> {
    return this.stopped ? Promise.resolve() : new Promise((resolve) => this.stopWaiters.push(resolve));
  }

  /**
   * No more grace: the groups being stopped get SIGKILL now, and those stopped from now on right
   * after their SIGTERM. For a stop that will not wait, whose tasks are still told to stop first
   * (a worker's second signal: its attempts are handed back once their processes are gone).
   * Groups nobody asked to stop are left alone.
   */
  hurry(): void {
    // (not a stop of every task: the attempts are aborted next, each waiting one by its own signal)
    this.hurried = true;
    for (const [pid, stopping] of this.live) if (stopping !== undefined) signalTaskProcesses(pid, 'SIGKILL', true, this.since(pid));
  }

  /** Resolves when no tracked group is left (at once when none is). */
  whenEmpty(): Promise<void> {
    if (this.live.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }

  get size(): number {
    return this.live.size;
  }

  private async stopGroup(pid: number, session: boolean): Promise<void> {
    const since = this.since(pid);
    if (!signalTaskProcesses(pid, 'SIGTERM', session, since)) return;
    // a stopped process (SIGSTOP, Ctrl-Z in the task) hears SIGTERM only once it goes on, as systemd sends both
    signalTaskProcesses(pid, 'SIGCONT', session, since);
    if (await waitUntilGone(pid, session, since, this.killGraceMs, () => this.hurried)) return;
    signalTaskProcesses(pid, 'SIGKILL', session, since);
    await waitUntilGone(pid, session, since, AFTER_KILL_MS);
  }

  /** When the group led by `pid` was made (now, for one not tracked: no read before counts). */
  private since(pid: number): number {
    return this.madeAt.get(pid) ?? Date.now();
  }

  private stop(): void {
    this.stopped = true;
    for (const resolve of this.stopWaiters.splice(0)) resolve();
  }

  private forget(pid: number): void {
    this.live.delete(pid);
    this.madeAt.delete(pid);
    if (this.live.size === 0) for (const resolve of this.emptyWaiters.splice(0)) resolve();
  }
}

/**
 * Polls the group until it is empty, `withinMs` passed or `cut()` holds; true when it emptied.
 * Each look may read all of /proc: the looks grow apart, from {@link POLL_MS} to {@link POLL_MOST_MS},
 * so that a long grace over many groups does not keep a core busy.
 */
async function waitUntilGone(
  pid: number,
  session: boolean,
  since: number,
  withinMs: number,
  cut: () => boolean = () => false,
): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  let pause = POLL_MS;
  while (taskProcessesAlive(pid, session, since)) {
    if (Date.now() >= deadline || cut()) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, Math.max(1, deadline - Date.now()))));
    pause = Math.min(pause * 2, POLL_MOST_MS);
  }
  return true;
}
