import { readFileSync } from 'node:fs';
import { prefixPerTest, type RedisTestEnv } from '../../support/redis';
import { ensureBuilt, type RunningCli, startCli } from '../support/builtCli';
import { tempDir } from '../support/files';

/**
 * `rxdag worker` processes for the remote CLI specs: started from the built CLI like every CLI
 * spec, ready once they print their "serving" line, and all killed after each test by
 * {@link WorkerFleet.stopAll}, so none outlives its test.
 */

/** A running `rxdag worker`. */
export interface WorkerCli extends RunningCli {
  /** `host:pid`, as `task.completed.worker` names it. */
  readonly id: string;
}

/** The "serving" line a worker prints on stderr once connected. */
export const SERVING_LINE = /^rxdag worker (\S+): serving queues .*$/m;

/** Resolves when `done()` holds; rejects after `withinMs` with `what` in the message. */
export async function waitFor(done: () => boolean, what: string, withinMs = 15_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${withinMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether a process has exited (or was never started). */
export function exited(cli: RunningCli): boolean {
  return cli.child.exitCode !== null || cli.child.signalCode !== null;
}

/** The workers (and other CLI processes) one test started. */
export class WorkerFleet {
  private readonly started: RunningCli[] = [];
  // pids a shell task wrote: killed by `stopAll` whatever happened
  private readonly taskPids: number[] = [];

  /** Starts `rxdag worker --redis url --redis-prefix prefix …args` and waits until it serves. */
  async start(url: string, prefix: string, args: readonly string[] = [], env: Readonly<Record<string, string>> = {}): Promise<WorkerCli> {
    const cli = this.track(startCli(['worker', '--redis', url, '--redis-prefix', prefix, ...args], env));
    await waitFor(() => SERVING_LINE.test(cli.stderrSoFar()) || exited(cli), 'a worker to serve', 30_000);
    const match = SERVING_LINE.exec(cli.stderrSoFar());
    if (match === null) throw new Error(`the worker did not start:\n${cli.stderrSoFar()}`);
    return { ...cli, id: match[1]! };
  }

  /** Keeps `cli` to be killed by {@link stopAll}. */
  track<T extends RunningCli>(cli: T): T {
    this.started.push(cli);
    return cli;
  }

  /** Keeps the pids of a task's processes to be killed by {@link stopAll}. */
  trackTaskPids(pids: readonly number[]): void {
    this.taskPids.push(...pids);
  }

  /** Kills every process still running (SIGKILL), tasks' included, and waits until each CLI has exited. */
  async stopAll(): Promise<void> {
    for (const pid of this.taskPids.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const cli of this.started.splice(0)) {
      if (!exited(cli)) cli.child.kill('SIGKILL');
      await cli.done;
    }
  }
}

/** The lines of a file that may not exist yet. */
export function linesOf(file: string): string[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');
  } catch {
    return [];
  }
}

/**
 * What every remote CLI spec sets up in its `describe`: the built CLI, a temporary folder removed
 * at the end, and a fleet stopped after each test; with `env`, `usePrefix` gets each test's own
 * Redis key prefix before it runs.
 */
export function remoteCliSuite(
  env?: RedisTestEnv,
  usePrefix?: (prefix: string) => void,
): { tmp: ReturnType<typeof tempDir>; fleet: WorkerFleet } {
  const tmp = tempDir();
  const fleet = new WorkerFleet();
  if (env !== undefined && usePrefix !== undefined) prefixPerTest(env, usePrefix);
  beforeAll(() => ensureBuilt(), 120_000);
  afterEach(() => fleet.stopAll());
  afterAll(() => tmp.remove());
  return { tmp, fleet };
}
