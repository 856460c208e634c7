import { spawn } from 'node:child_process';
import * as os from 'node:os';

/**
 * How a benchmark script stops on ctrl-c or SIGTERM without leaving anything behind (children,
 * temporary folders, worktrees, schemas, Redis keys). Under `npm run …`, tsx relays a signal to
 * the script's process a second time ~30 ms after the first, and SIGKILLs it when no answer
 * comes ~30 ms later; a process with no listener left for a signal exits on it at once. So the
 * handler stays registered until the process exits, ignores repeats, runs the script's clean-up
 * once (asynchronous work, so that the event loop stays free to answer a repeat), then exits with
 * 128 + the signal's number (130 for SIGINT, 143 for SIGTERM). The script's own flow asks
 * {@link StopSignals.check} before each new step (a child, a round), so nothing new starts after
 * a signal, and `endOnFailure` (usage.ts) stays silent about the errors the stop itself causes.
 *
 * A process busy for more than those ~60 ms (loading modules, building a graph, a run in this
 * process) cannot answer in time, whatever its handlers: under tsx's command line a script calls
 * {@link relayUnderTsx} first, which runs it again in a child process and only relays signals to
 * it, so the process tsx watches is always idle. On a machine too loaded for even that process to
 * answer, tsx SIGKILLs it before it relays: the script, told by their IPC channel, then stops as
 * on SIGTERM.
 */

/** Thrown by {@link StopSignals.check} once a signal came: the script starts nothing new. */
export class Stopped extends Error {
  override readonly name = 'Stopped';
  constructor(readonly signal: NodeJS.Signals) {
    super(`stopped by ${signal}`);
  }
}

export interface StopSignals {
  /** The signal that stopped the script, or `undefined` while it runs. */
  readonly signal: NodeJS.Signals | undefined;
  /** Throws {@link Stopped} once a signal came. */
  check(): void;
  /** Removes the handlers when the script ended on its own; kept after a signal (the handler exits). */
  dispose(): void;
}

/** Set in the child {@link relayUnderTsx} starts: that one runs the script. */
const RELAYED = 'RXDAG_BENCH_RELAYED';

/** Whether this process is the script {@link relayUnderTsx} started; the mark is not passed on to its own children. */
const isRelayedScript = process.env[RELAYED] === '1';
delete process.env[RELAYED];

/** The clean-up is given this long before the process exits without it. */
const CLEAN_UP_LIMIT_MS = 60_000;

let received: NodeJS.Signals | undefined;

/** The signal that stopped this process, if one did (for `endOnFailure`). */
export function stoppedBy(): NodeJS.Signals | undefined {
  return received;
}

/** The exit code of a process ended by `signal`: 128 + its number. */
export function exitCodeOf(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 0);
}

/**
 * Handles SIGINT and SIGTERM (or the `signals` given) until the process exits: on the first,
 * runs `cleanUp(signal)` once, then exits with 128 + the signal's number; later ones are ignored.
 *
 * @example
 * const stops = stopOnSignals(async (signal) => { await killLiveChildren(); await rm(work, { recursive: true, force: true }); });
 * try { for (…) { stops.check(); await child(); } } finally { stops.dispose(); … }
 */
export function stopOnSignals(
  cleanUp: (signal: NodeJS.Signals) => Promise<void> | void,
  signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
): StopSignals {
  let signal: NodeJS.Signals | undefined;
  const onSignal = (which: NodeJS.Signals) => {
    if (signal !== undefined) return; // a repeat (tsx relays it once more): the clean-up is under way
    signal = which;
    received ??= which;
    const exit = () => process.exit(exitCodeOf(which));
    setTimeout(() => {
      process.stderr.write(`${which}: the clean-up did not end within ${CLEAN_UP_LIMIT_MS / 1000} s; exiting without it\n`);
      exit();
    }, CLEAN_UP_LIMIT_MS);
    void (async () => cleanUp(which))()
      .catch((error: unknown) => {
        process.stderr.write(`${which}: clean-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
      })
      .finally(exit);
  };
  for (const name of signals) process.on(name, onSignal);
  // the script under relayUnderTsx: a relay gone first was SIGKILLed by tsx, which a loaded machine
  // kept from answering its signal within ~60 ms, before it relayed it: taken as SIGTERM
  const relayGone = () => onSignal('SIGTERM');
  if (isRelayedScript && process.channel !== undefined) {
    process.channel.unref(); // the script ends on its own as it would without the channel
    process.once('disconnect', relayGone);
  }
  return {
    get signal() {
      return signal;
    },
    check() {
      if (signal !== undefined) throw new Stopped(signal);
    },
    dispose() {
      if (signal !== undefined) return;
      for (const name of signals) process.off(name, onSignal);
      process.off('disconnect', relayGone);
    },
  };
}

/**
 * Under tsx's command line (`npm run bench:…`, `npx tsx …`: tsx's preflight in `execArgv`), runs
 * this script again, same arguments, in a child process (stdio inherited) and relays SIGINT and
 * SIGTERM (and any other of `signals`) to it, the first of each once; exits with the child's
 * code. Returns a promise that never settles in that relaying process (the script must do nothing
 * else), `undefined` where the script is to run: in that child, or when not under tsx's command
 * line (`node --import tsx`, which relays nothing).
 *
 * @example
 * const relay = relayUnderTsx();
 * if (relay !== undefined) return relay;
 */
export function relayUnderTsx(signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): Promise<never> | undefined {
  const underTsxCli = process.execArgv.some((arg) => /[\\/]tsx[\\/]dist[\\/]preflight\.cjs$/.test(arg));
  if (!underTsxCli || isRelayedScript) return undefined;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    // (the channel tells the script when this process is gone: see stopOnSignals)
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [RELAYED]: '1' },
  });
  const relayed = new Set<NodeJS.Signals>();
  const relay = (signal: NodeJS.Signals) => {
    if (relayed.has(signal)) return; // the child ignores repeats, and gets a terminal's ctrl-c itself too
    relayed.add(signal);
    child.kill(signal);
  };
  for (const name of signals) process.on(name, relay);
  child.on('error', (error) => {
    process.stderr.write(`could not start ${process.argv[1]}: ${error.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : exitCodeOf(signal))));
  return new Promise<never>(() => undefined);
}
