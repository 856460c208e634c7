import { ExitCode } from '../exitCodes';
import { dropWritesToGoneTerminal } from '../output/guardedStdout';

/**
 * How `rxdag run` and `rxdag worker` react to the signals that stop them: Ctrl-C (SIGINT),
 * SIGTERM and SIGHUP (a closed terminal, a dropped SSH session) ask first for a graceful stop,
 * any later one for an immediate one; Ctrl-\ (SIGQUIT) asks for an immediate one at once. A run
 * ends with 128 + the signal's number (a worker with 0), and after SIGHUP by that signal itself
 * (see {@link exitAfterStop}). Until a run starts, the signals are held ({@link HeldStopSignals}):
 * the run then starts nothing. Also the lines that tell the user what a stop does and what it
 * waits for. It does not stop anything itself: the command does, through the handlers it passes.
 */

/** The signals that stop a run, with the exit code each ends with (128 + signal number). */
const STOP_SIGNALS = {
  SIGINT: ExitCode.interrupted,
  SIGTERM: ExitCode.terminated,
  SIGHUP: ExitCode.hungUp,
  SIGQUIT: ExitCode.quit,
} as const;

export type StopSignal = keyof typeof STOP_SIGNALS;

export function exitCodeOf(signal: StopSignal): number {
  return STOP_SIGNALS[signal];
}

/**
 * Whether `signal` stops a journaled run as a crash would, leaving it to `rxdag resume`: a
 * deploy's SIGTERM, a lost terminal's SIGHUP. Ctrl-C cancels it.
 */
export function leavesRunInterrupted(signal: StopSignal): boolean {
  return signal === 'SIGTERM' || signal === 'SIGHUP';
}

/**
 * Listens for the stop signals while a run goes on: the first one asks for a graceful stop, any
 * later one (and SIGQUIT, always) for an immediate one. After SIGHUP, what the command writes to
 * its terminal is lost rather than an error that would end it before its tasks are stopped.
 * Returns the function that stops listening.
 */
export function onStopSignals(handlers: {
  readonly graceful: (signal: StopSignal) => void;
  readonly immediate: (signal: StopSignal) => void;
}): () => void {
  let received = 0;
  return listenToStopSignals((signal) => (++received === 1 && signal !== 'SIGQUIT' ? handlers.graceful : handlers.immediate)(signal));
}

/**
 * Calls `onSignal` for each stop signal, once it noted that one came (and, after SIGHUP, that
 * the terminal is gone); returns the function that stops listening.
 */
function listenToStopSignals(onSignal: (signal: StopSignal) => void): () => void {
  const listeners = (Object.keys(STOP_SIGNALS) as StopSignal[]).map((signal) => {
    const listener = () => {
      signalled = true;
      if (signal === 'SIGHUP') {
        hungUp = true;
        ignoreWriteErrors();
      }
      onSignal(signal);
    };
    process.on(signal, listener);
    return () => process.off(signal, listener);
  });
  return () => listeners.forEach((off) => off());
}

/** What a {@link HeldStopSignals} says, and how a second signal ends the process. */
export interface HoldWords {
  /** Said when the first signal comes (nothing when it says nothing: the command says it later). */
  readonly first?: (signal: StopSignal) => string;
  /** Said when a second signal (or SIGQUIT) ends the process at once, nothing having run. */
  readonly last: (signal: StopSignal) => string;
  /** The exit code it then ends with. */
  readonly exitCode: (signal: StopSignal) => number;
}

/** What `rxdag run` and `rxdag resume` say while they set their run up. */
const RUN_HOLD: HoldWords = {
  first: (signal) => `rxdag: stopping on ${signal}: the run will not start (a second signal ends rxdag at once)`,
  last: (signal) => `rxdag: stopped on ${signal} before the run started: nothing ran`,
  exitCode: exitCodeOf,
};

/**
 * The stop signals held while a command sets itself up (`rxdag run` and `rxdag resume` their
 * run, once they have read their files: a FIFO's read blocks the process, and only Node's
 * default action could end it then; `rxdag worker` its connections): reaching a store, a
 * journal or Redis takes seconds, and a signal then would end the process by Node's default,
 * silently. The first is kept in {@link signal}, for the command to find when it is about to
 * start (it then starts nothing), and gives up the step it waits on ({@link until}); a second
 * one, or SIGQUIT, ends the process at once, nothing having run.
 */
export class HeldStopSignals {
  /** The first stop signal that came, if one did. */
  signal: StopSignal | undefined;
  private readonly stopHolding: () => void;
  private readonly came: Promise<undefined>;

  constructor(words: HoldWords = RUN_HOLD, say: (line: string) => void = (line) => process.stderr.write(`${line}\n`)) {
    let stop: () => void = () => undefined;
    this.came = new Promise((resolve) => (stop = () => resolve(undefined)));
    this.stopHolding = listenToStopSignals((signal) => {
      if (this.signal === undefined && signal !== 'SIGQUIT') {
        this.signal = signal;
        if (words.first !== undefined) say(words.first(signal));
        stop();
        return;
      }
      say(words.last(signal));
      exitAfterStop(words.exitCode(signal));
    });
  }

  /** What `step` gives, or `undefined` once a stop signal came (at once if one had: its failure is then no one's). */
  async until<T>(step: Promise<T>): Promise<{ readonly value: T } | undefined> {
    if (this.signal !== undefined) return void step.catch(() => undefined);
    return Promise.race([step.then((value) => ({ value })), this.came]);
  }

  /**
   * Stops holding (the command's `finally`, or once the command listens itself: called after
   * its listeners are added, since Node forgets an undelivered signal once its last listener goes).
   */
  release(): void {
    this.stopHolding();
  }
}

/**
 * The stop signals while a command closes down (its metrics push, its Redis and store
 * connections), its run ended or never started: without a listener Node would end it by the
 * signal's default, saying nothing, with 128 + its number, though the run had its end. Made
 * before the run starts, it does nothing until {@link ended} (the setup's and the run's own
 * listeners act); then the first signal is noted, and a second one (or SIGQUIT) ends the process
 * at once, with the run's own exit code (the signal's when there was no run).
 */
export class ClosingStopSignals {
  /** What closing down leaves undone if a second signal stops it now (said with it), if anything. */
  leftUndone: () => string | undefined = () => undefined;
  private closing = false;
  private code: number | undefined;
  private received = 0;
  private readonly stopListening: () => void;

  constructor(say: (line: string) => void = (line) => process.stderr.write(`${line}\n`)) {
    this.stopListening = listenToStopSignals((signal) => {
      const received = ++this.received; // those during the run too: a second one ends rxdag at once
      if (!this.closing) return; // the setup's or the run's own listeners act
      const ran = this.code === undefined ? '' : ' the run had ended;';
      if (received === 1 && signal !== 'SIGQUIT')
        return say(`rxdag: stopping on ${signal}:${ran} closing down (a second signal ends rxdag at once)`);
      const undone = this.leftUndone();
      say(`rxdag: stopping at once on ${signal}: closing down cut short${undone === undefined ? '' : `; ${undone}`}`);
      exitAfterStop(this.code ?? exitCodeOf(signal));
    });
  }

  /** The run ended with `code`, or the command closes down without one: signals from now on are the closing's. */
  ended(code?: number): void {
    this.closing = true;
    this.code ??= code;
  }

  /** Stops listening (the command's `finally`). */
  release(): void {
    this.stopListening();
  }
}

/**
 * While what a command that ended printed is flushed (a piped reader may take it slowly, or not
 * at all): a stop signal ends the process at once, with the code `codeOf` gives and a word on
 * what is dropped, instead of Node ending it by the signal's default, saying nothing, with
 * 128 + its number (a CI step's timeout turned a run that succeeded into a failed step).
 * Returns the function that stops listening.
 */
export function exitOnStopWhileFlushing(codeOf: () => number): () => void {
  return listenToStopSignals((signal) => {
    process.stderr.write(`rxdag: stopping on ${signal}: the command had ended; what the reader of its output did not take is dropped\n`);
    exitAfterStop(codeOf());
  });
}

/**
 * After a stop signal, how long a reader of the command's output (stdout, stderr, an events log
 * into a pipe) gets to take the rest of it: it may have stopped reading.
 */
export const READER_WAIT_AFTER_STOP_MS = 2000;

/** Whether a stop signal came while a command listened (see {@link stopSignalled}). */
let signalled = false;

/**
 * Whether a stop signal stopped the command: what it wrote is then waited for a short while
 * only, since nobody may be reading it (`main.ts`).
 */
export function stopSignalled(): boolean {
  return signalled;
}

/** The terminal is gone: writes to it fail (EIO), and nobody is left to read them. */
function ignoreWriteErrors(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  dropWritesToGoneTerminal();
}

/** Whether a SIGHUP stopped the command: it then ends by that signal (see {@link exitAfterStop}). */
let hungUp = false;

/**
 * Ends the process with `code`; after a SIGHUP, by SIGHUP itself (a shell shows 129): Node 20,
 * exiting normally, restores the terminal's mode first, and a terminal that is gone makes that
 * crash (SIGSEGV or SIGABRT instead of the exit code).
 */
export function exitAfterStop(code: number): void {
  if (hungUp) {
    process.removeAllListeners('SIGHUP');
    process.kill(process.pid, 'SIGHUP');
  }
  process.exit(code);
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

/**
 * What a stop signal does once the run has ended while the processes of tasks it stopped (timed
 * out, cancelled) still have their grace to exit: the command waits for them, as it would have.
 */
export function afterEndLine(signal: StopSignal, waitingFor: number): string {
  const tasks = waitingFor === 1 ? '1 shell task it stopped' : `${waitingFor} shell tasks it stopped`;
  const on = signal === 'SIGINT' ? '' : ` on ${signal}`;
  const again = signal === 'SIGINT' ? 'Ctrl-C again' : `Ctrl-C or a second ${signal}`;
  return `rxdag: stopping${on}: the run had ended; waiting for the processes of ${tasks} to exit (${again} to kill them now)`;
}

/**
 * What a stop signal does once the run's journal failed, while its tasks have their grace to
 * exit: the command waits for them, then says what became of the run (the failure's line).
 */
export function journalFailedLine(signal: StopSignal, waitingFor: number): string {
  const tasks = waitingFor === 1 ? '1 running shell task' : `${waitingFor} running shell tasks`;
  const on = signal === 'SIGINT' ? '' : ` on ${signal}`;
  const again = signal === 'SIGINT' ? 'Ctrl-C again' : `Ctrl-C or a second ${signal}`;
  return `rxdag: stopping${on}: the run's journal could not be written; waiting for ${tasks} to exit (${again} to kill ${waitingFor === 1 ? 'it' : 'them'} now)`;
}

/**
 * What SIGTERM (or SIGHUP) on a journaled run does, in one line:
 * `rxdag: stopping on SIGTERM: the run is left interrupted, stopping its 2 running shell tasks (rxdag resume x continues it)`;
 * `running` counts the tasks whose processes are still alive (other tasks stop at once).
 */
export function interruptingLine(signal: StopSignal, running: number, resumeCommand: string | undefined): string {
  return `rxdag: stopping on ${signal}: ${interruptedWords(running, resumeCommand)}`;
}

/**
 * What stopping a journaled run for a resume does, in words: `the run is left interrupted,
 * stopping its 2 running shell tasks (rxdag resume x continues it)`.
 */
export function interruptedWords(running: number, resumeCommand: string | undefined): string {
  const tasks = running === 0 ? '' : running === 1 ? ', stopping its running shell task' : `, stopping its ${running} running shell tasks`;
  return `the run is left interrupted${tasks} (${resumeCommand ?? 'rxdag resume'} continues it)`;
}

/**
 * What SIGQUIT or a second signal does, in one line: `rxdag: stopping at once on SIGQUIT, killing
 * its 2 running shell tasks (the run stays interrupted: rxdag resume x continues it)`, `rxdag:
 * stopping at once on Ctrl-C, a second stop signal, killing its running shell task`. SIGQUIT's says how to
 * resume, and so does a second signal's when the run is left interrupted; a run without a journal is not
 * resumable, and its line says nothing of it.
 */
export function atOnceLine(signal: StopSignal, running: number, resumeCommand: string | undefined): string {
  const tasks = running === 0 ? '' : running === 1 ? ', killing its running shell task' : `, killing its ${running} running shell tasks`;
  const resume = resumeCommand === undefined ? '' : ` (the run stays interrupted: ${resumeCommand} continues it)`;
  const on = signal === 'SIGQUIT' ? 'SIGQUIT' : `${signal === 'SIGINT' ? 'Ctrl-C' : signal}, a second stop signal`;
  return `rxdag: stopping at once on ${on}${tasks}${resume}`;
}

/**
 * What a stop signal that came before the run started did: nothing. For a resume
 * (`resumeCommand`), the run is left as it was, and the line says how to go on.
 */
export function notStartedLine(signal: StopSignal, resumeCommand: string | undefined): string {
  if (resumeCommand === undefined) return `rxdag: stopped on ${signal} before the run started: nothing ran`;
  return `rxdag: stopped on ${signal} before the resume started: nothing ran, the run is as it was (${resumeCommand} continues it)`;
}
