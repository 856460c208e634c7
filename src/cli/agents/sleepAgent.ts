import type { Agent } from '../../index';

/** The agent name `sleep:` tasks use. */
export const SLEEP_AGENT = 'sleep';

/**
 * The `sleep` agent: waits `input` milliseconds and succeeds with no output; for demos and
 * simulated workloads (0: until Node has looked at I/O once). A cancel or timeout (the attempt's
 * `signal`) ends the wait at once.
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
    const done = () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      cancel();
      reject(signal.reason);
    };
    // 0 ms yields to I/O once: a timer runs no sooner than 1 ms after it is set
    let cancel: () => void;
    if (input === 0) {
      const immediate = setImmediate(done);
      cancel = () => clearImmediate(immediate);
    } else {
      const timer = setTimeout(done, input);
      cancel = () => clearTimeout(timer);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
};
