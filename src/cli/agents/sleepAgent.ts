import type { Agent } from '../../index';

/** The agent name `sleep:` tasks use. */
export const SLEEP_AGENT = 'sleep';

/**
 * The `sleep` agent: waits `input` milliseconds and succeeds with no output; for demos and
 * simulated workloads. A cancel or timeout (the attempt's `signal`) ends the wait at once.
 *
 * @example
 * runDag({ id: 'demo', tasks: [{ id: 'nap', agent: 'sleep', input: 250 }] }, { agents: { sleep: sleepAgent } });
 */
export const sleepAgent: Agent = ({ id, input, signal }) => {
  if (typeof input !== 'number' || !Number.isFinite(input) || input < 0) {
    throw new TypeError(`task "${id}": the sleep agent expects input to be milliseconds >= 0, got ${JSON.stringify(input)}`);
  }
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, input);
    signal.addEventListener('abort', onAbort, { once: true });
  });
};
