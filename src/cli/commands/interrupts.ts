import { ExitCode } from '../exitCodes';

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
