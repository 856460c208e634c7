import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Child processes a crash spec starts, killed with SIGKILL on purpose or when they overrun, and
 * all tracked by pid so that none outlives its test ({@link Children.killAll} in `afterEach`).
 */

/** How a child ended. */
export interface ChildEnd {
  readonly pid: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Ms from spawn to its end. */
  readonly ms: number;
  /** We killed it with SIGKILL on purpose (it may still have ended on its own first). */
  readonly killed: boolean;
  /** It overran its time limit and was killed for it. */
  readonly timedOut: boolean;
}

export interface Child {
  readonly pid: number;
  readonly process: ChildProcess;
  /** `Date.now()` at spawn. */
  readonly spawnedAt: number;
  /** Resolves when it exited and its output is read. */
  readonly done: Promise<ChildEnd>;
  /** SIGKILL now (a no-op once it ended). */
  kill(): void;
}

/** Whether a process with this pid exists (a zombie counts: not reaped yet). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class Children {
  private readonly live = new Map<number, Child>();
  private readonly all: number[] = [];

  /** Starts `node ...args`; it is killed (and its end marked `timedOut`) after `timeoutMs`. */
  start(args: readonly string[], options: { env?: Record<string, string>; timeoutMs: number; cwd?: string }): Child {
    const child = spawn(process.execPath, [...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid === undefined) throw new Error(`could not start node ${args.join(' ')}`);
    const pid = child.pid;
    const spawnedAt = Date.now();
    let stdout = '';
    let stderr = '';
    let killed = false;
    let timedOut = false;
    let ended = false;
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    const done = new Promise<ChildEnd>((resolve) => {
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        this.live.delete(pid);
        resolve({ pid, code, signal, stdout, stderr, ms: Date.now() - spawnedAt, killed, timedOut });
      });
    });
    child.once('exit', () => (ended = true));
    const handle: Child = {
      pid,
      process: child,
      spawnedAt,
      done,
      kill: () => {
        if (ended) return;
        killed = true;
        child.kill('SIGKILL');
      },
    };
    this.live.set(pid, handle);
    this.all.push(pid);
    return handle;
  }

  /** Kills every child still running and waits until each is gone; returns the pids it had to kill. */
  async killAll(): Promise<number[]> {
    const left = [...this.live.values()];
    for (const child of left) child.kill();
    await Promise.all(left.map((child) => child.done));
    return left.map((child) => child.pid);
  }

  /** Pids of every child started so far that still exists. */
  stillAlive(): number[] {
    return this.all.filter(isAlive);
  }

  /** Forgets the pids of children that ended (after checking they are gone). */
  reset(): void {
    this.all.length = 0;
  }
}
