import { ExitCode } from '../exitCodes';

/**
 * How `rxdag run` reacts to Ctrl-C (SIGINT) and SIGTERM: the first asks for a graceful stop,
 * any later one for an immediate one; each signal ends the run with 128 + its number. Also the
 * line that tells the user what the graceful stop waits for. It does not stop anything itself:
 * the run command does, through the handlers it passes.
 */

/** The signals that stop a run, with the exit code each ends with (128 + signal number). */
const STOP_SIGNALS = { SIGINT: ExitCode.interrupted, SIGTERM: ExitCode.terminated } as const;

export type StopSignal = keyof typeof STOP_SIGNALS;

export function exitCodeOf(signal: StopSignal): number {
  return STOP_SIGNALS[signal];
}

/**
 * Listens for Ctrl-C (SIGINT) and SIGTERM while a run goes on: the first one asks for a
 * graceful stop, any later one for an immediate one. Returns the function that stops listening.
 */
export function onStopSignals(handlers: {
  readonly graceful: (signal: StopSignal) => void;
  readonly immediate: (signal: StopSignal) => void;
}): () => void {
  let received = 0;
  const listeners = (Object.keys(STOP_SIGNALS) as StopSignal[]).map((signal) => {
    const listener = () => (++received === 1 ? handlers.graceful : handlers.immediate)(signal);
    process.on(signal, listener);
    return () => process.off(signal, listener);
  });
  return () => listeners.forEach((off) => off());
}

/**
 * What the first signal does, in one line, with how to skip the wait:
 * `rxdag: stopping: waiting for 3 running shell tasks to exit (Ctrl-C again to kill them now)`.
 * `waitingFor` counts the tasks whose processes are still alive (other tasks stop at once).
 */
export function stoppingLine(signal: StopSignal, waitingFor: number): string {
  const on = signal === 'SIGINT' ? '' : ` on ${signal}`;
  if (waitingFor === 0) return `rxdag: stopping${on}: cancelling the run`;
  const tasks = waitingFor === 1 ? '1 running shell task' : `${waitingFor} running shell tasks`;
  const again = signal === 'SIGINT' ? 'Ctrl-C again' : `Ctrl-C or a second ${signal}`;
  return `rxdag: stopping${on}: waiting for ${tasks} to exit (${again} to kill ${waitingFor === 1 ? 'it' : 'them'} now)`;
}
