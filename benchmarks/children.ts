/**
 * The child processes a benchmark started and has not seen end, so that an error or a stop
 * signal ends them all (SIGKILL) and waits until they have, before the benchmark removes the
 * folders they write into. It does not start them, nor time or read them.
 */
import type { ChildProcess } from 'node:child_process';

/** How long {@link killLiveChildren} waits for the killed children to be gone (a SIGKILLed process ends at once). */
const EXIT_WAIT_MS = 5000;

const live = new Set<ChildProcess>();

/** Tracks `child` until it exits; returns it. */
export function trackChild<T extends ChildProcess>(child: T): T {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** SIGKILLs every tracked child still running; resolves once they have exited (5 s at most). */
export async function killLiveChildren(): Promise<void> {
  // one that never started (a spawn error) has no process to wait for
  const running = [...live].filter((child) => child.pid !== undefined && child.exitCode === null && child.signalCode === null);
  live.clear();
  const exited = running.map((child) => new Promise<void>((resolve) => child.once('exit', () => resolve())));
  for (const child of running) child.kill('SIGKILL');
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, EXIT_WAIT_MS)));
  await Promise.race([Promise.all(exited), waited]);
  clearTimeout(timer);
}
