/**
 * Drives one run to its exit code, the part `rxdag run` and `rxdag resume` share: the display,
 * the events log, the report, Ctrl-C and SIGTERM, the list of every failure at the end, and the
 * exit code (0 every task succeeded, 1 a task failed, 2 the store refused the run before
 * anything ran, 74 an output or the journal could not be written, 130/143 stopped by a signal).
 *
 * Every consumer (events log, display, report) listens on the run's hot `events$`, subscribed
 * before the run starts: unlike the run's own subscriber, it still receives the cancellation
 * events (`task.cancelled`…, `dag.completed`) when Ctrl-C unsubscribes from the run. A failed
 * write of the events log stops the run (an unlogged run is not wanted): a journaled one is left
 * interrupted, as SIGTERM leaves it, for a resume; one without a journal is cancelled. A
 * failed write of the journal stops the run in the library (a `JournalWriteError`): exit 74. A
 * task log (`--logs`) that cannot be written is said once and the run goes on (exit 74 if it
 * otherwise succeeds); a failure whose attempt was logged names its log under its error.
 *
 * It does not load DAG files, open stores or choose the run's options: the commands do.
 */
import type { Subscription } from 'rxjs';
import {
  type Dag,
  type DagCompletedEvent,
  type DagEvent,
  type FailurePolicy,
  type Journal,
  JournalWriteError,
  type RunEvents,
} from '../../index';
import type { ProcessGroups } from '../agents/processGroups';
import type { TaskLogs } from '../agents/taskLogs';
import { ExitCode } from '../exitCodes';
import { EventLog } from '../output/eventLog';
import { type AttemptNotes, runEndFailures, withNotes } from '../output/failureList';
import type { DisplayStart } from '../output/progressReporter';
import { jsonReporter, lineReporter, type Reporter } from '../output/reporter';
import type { RunSetup } from '../output/runSetup';
import { refusalLine } from '../store/storeErrors';
import type { StoreLocation } from '../store/storeLocation';
import { escapeControls } from '../../dag/text';
import type { CliIo } from './cliIo';
import {
  afterEndLine,
  atOnceLine,
  exitAfterStop,
  exitCodeOf,
  type HeldStopSignals,
  interruptedWords,
  interruptingLine,
  journalFailedLine,
  leavesRunInterrupted,
  notStartedLine,
  onStopSignals,
  READER_WAIT_AFTER_STOP_MS,
  type StopSignal,
  stoppingLine,
} from './interrupts';
import { journalFailureLine, released, unrecordedCancelLine } from './journalEnd';
import type { OutputMode } from './runOptions';
import { describeIoError } from './writeTarget';

/** What cancelled the run (or left it interrupted) before it ended on its own: a signal, or the events log failing. */
type CancelCause = StopSignal | 'events-log';

/** How the run is shown and what it writes. */
export interface DriveOptions {
  readonly output: OutputMode;
  readonly eventsPath: string | undefined;
  readonly reportPath: string | undefined;
}

/** One run, ready to be driven: nothing of it has started. */
export interface RunToDrive {
  /** The run's events; subscribing starts it. */
  readonly run: RunEvents;
  /** The process groups of its shell tasks. */
  readonly groups: ProcessGroups;
  /** Where its shell attempts write their whole output (`--logs`), if anywhere. */
  readonly logs?: TaskLogs;
  /** The run's DAG as it was defined (a resumed run's from its journal). */
  readonly dag: Dag;
  /** The DAG's dependencies by task id, for the report (given only when there is one). */
  readonly deps?: Readonly<Record<string, readonly string[]>>;
  /** The run's limits and each task's rules and estimate, for the report. */
  readonly setup?: RunSetup;
  /** The run's concurrency, for the report (it tells a full run from one that waited for something else). */
  readonly maxConcurrency?: number;
  /** What the report names as the run's source (the DAG file, or the store). */
  readonly source: string;
  /** Where the run is journaled, if it is, and its journal. */
  readonly store?: StoreLocation;
  readonly journal?: Journal;
  /**
   * Halts the journal (see `haltableJournal.ts`): on SIGTERM the run is not cancelled but left
   * interrupted, its shell tasks stopped, for `rxdag resume`. Without it, SIGTERM cancels.
   */
  readonly halt?: (release?: Promise<unknown>) => Promise<void>;
  /**
   * The first failure of the journal's writers (see `haltableJournal.ts`): a cancelled run's
   * subscriber is gone, so this tells that its end was not recorded.
   */
  readonly journalFailure?: () => unknown;
  /** A resumed run: its journal's events (the display and outputs start from them) and failure policy. */
  readonly resumed?: { readonly history: readonly DagEvent[]; readonly failurePolicy: FailurePolicy };
  /**
   * The command that resumes the run (`rxdag resume ID --store …`), for the line SIGTERM prints;
   * a function when the run's id may change until it starts (`rxdag run` draws another id when
   * the store already holds the one it drew), called when a line needs it.
   */
  readonly resumeCommand?: string | (() => string);
  /** The line to print on stderr when the run's first event arrives (the run's id), if any. */
  readonly announce?: (first: DagEvent) => string;
  /**
   * What the command set up, said on stderr when the run's first event arrives, before
   * `announce` (where attempts go, the metrics URL): a run refused before it starts (its
   * journal locked, say) prints only why.
   */
  readonly notes?: SetupNotes;
  /** The stop signals held while the command set the run up: the run listens instead once it starts, or starts nothing after one came. */
  readonly held?: HeldStopSignals;
}

/** Lines a command's setup writes, kept until its run starts (see {@link RunToDrive.notes}). */
export class SetupNotes {
  text = '';
  /** Whether they were said: the run started. */
  said = false;
  write(text: string): void {
    this.text += text;
  }
}

/** Runs `target` to its end and resolves with the exit code. */
export async function driveRun(target: RunToDrive, options: DriveOptions, io: CliIo): Promise<number> {
  const { run, groups, resumed } = target;
  const history = resumed?.history ?? [];
  const reporter = chooseReporter(options.output, io, target.dag, { ...resumed, journaled: target.store !== undefined });
  const notice = (line: string) => (reporter.notice === undefined ? io.stderr.write(`${line}\n`) : reporter.notice(line));
  const reportEvents: DagEvent[] | undefined = options.reportPath === undefined ? undefined : [...history];
  let cancelledBy: CancelCause | undefined;
  let subscription: Subscription | undefined;
  const cancel = (cause: CancelCause) => {
    cancelledBy ??= cause;
    subscription?.unsubscribe(); // agents are aborted, children get SIGTERM
  };
  let seen = 0; // events of this process: none means nothing ran
  // the SIGTERM (or SIGHUP) that halted the journal: what happens from then on is not recorded, so not shown either
  let halted: CancelCause | undefined;
  let journalFailed = false; // the run stopped for it: its tasks get their grace, and then one line says what became of it
  let leftInterrupted: (cause: CancelCause) => void = () => {};
  const interrupted = new Promise<CancelCause>((resolve) => (leftInterrupted = resolve));
  let end: DagCompletedEvent | undefined; // seen: a failing log has nothing left to cancel
  let outputFailed = false;
  /** Leaves the run interrupted (nothing recorded from here on): its tasks stopped, the run given up once they are gone (no resume beside them). */
  const haltRun = (cause: CancelCause, halt: NonNullable<RunToDrive['halt']>) => {
    halted = cause;
    void halt(groups.terminateAll().then(() => groups.whenEmpty())).then(() => leftInterrupted(cause));
  };
  const logFailed = (error: NodeJS.ErrnoException) => {
    outputFailed = true;
    const what = `rxdag: cannot write the events log ${options.eventsPath}: ${describeIoError(error)}`;
    if (end !== undefined || halted !== undefined || cancelledBy !== undefined) return void notice(what); // stopping already
    // a journaled run is not lost for it: left interrupted, it is resumed once the log can be written
    const { halt } = target;
    if (halt !== undefined) {
      notice(`${what}; ${interruptedWords(groups.size, resumeCommandOf(target))}`);
      return haltRun('events-log', halt);
    }
    notice(`${what}; run cancelled`);
    // not from inside the event being emitted (the log may fail mid-burst): just after it
    queueMicrotask(() => cancel('events-log'));
  };
  target.logs?.whenFailed((file, error) => {
    outputFailed = true;
    notice(`rxdag: cannot write the task log ${file}: ${describeIoError(error)}; the run goes on, task output is no longer logged`);
  });
  // a failure shown names the log of its attempt; --json prints the events as they are
  const attemptNotes: readonly AttemptNotes[] = target.logs === undefined ? [] : [target.logs];
  const shown = (event: DagEvent): DagEvent =>
    attemptNotes.length > 0 && options.output !== 'json' && event.type === 'task.failed' ? withNotes(event, attemptNotes) : event;
  // opened at the first event, so that a run the store refuses leaves the file as it was
  let log: EventLog | undefined;
  const openLog = () => {
    if (options.eventsPath === undefined) return;
    log = EventLog.openDuringRun(options.eventsPath, logFailed);
    for (const event of history) log.write(event); // a resumed run's log is the whole run's
  };

  /**
   * Closes the events log once the run ended: a pipe's reader gets all of it, unless a signal
   * stopped the run (a reader that stopped reading would hold the command for ever).
   */
  const closeLog = async () => {
    const stopped = halted !== undefined || (cancelledBy !== undefined && cancelledBy !== 'events-log');
    if (log === undefined || !stopped) return log?.close();
    if ((await log.closeWithin(READER_WAIT_AFTER_STOP_MS)) || log.failure !== undefined) return; // a failure was said
    const seconds = READER_WAIT_AFTER_STOP_MS / 1000;
    notice(
      `rxdag: the reader of the events log ${options.eventsPath} took not all of it within ${seconds} s of the signal; the rest is dropped`,
    );
  };

  let failRun: (error: unknown) => void = () => {};
  const completed = new Promise<DagCompletedEvent>((resolve, reject) => {
    failRun = reject;
    run.events$.subscribe((event) => {
      if (halted !== undefined) return;
      if (seen++ === 0) {
        if (target.notes !== undefined) {
          io.stderr.write(target.notes.text);
          target.notes.said = true;
        }
        if (target.announce !== undefined) io.stderr.write(`${target.announce(event)}\n`);
        openLog();
      }
      log?.write(event);
      reporter.onEvent(shown(event));
      reportEvents?.push(event);
      if (event.type === 'dag.completed') {
        end = event;
        resolve(event);
      }
    });
  });
  // a stop signal while the command set up (read a journal, reached its store): nothing starts.
  // One turn of the event loop first, for a signal that came during the setup's synchronous work.
  await new Promise((resolve) => setImmediate(resolve));
  const early = target.held?.signal;
  if (early !== undefined) {
    reporter.finish();
    notice(notStartedLine(early, resumed === undefined ? undefined : (resumeCommandOf(target) ?? 'rxdag resume')));
    return exitCodeOf(early);
  }
  /** The exit code of a run that ended with `final`. */
  const codeOfEnd = (final: DagCompletedEvent): number => {
    if (cancelledBy !== undefined) return exitCodeOfCause(cancelledBy);
    // a resume that finished the cancellation a Ctrl-C began (its journal held part of it), no task failed
    if (final.outcome === 'cancelled' && final.counts.failed === 0) return ExitCode.interrupted;
    if (final.outcome !== 'succeeded') return ExitCode.taskFailed;
    return outputFailed ? ExitCode.outputFailed : ExitCode.ok;
  };
  // listening before the run starts: its first flush already prints and spawns children
  const stopListening = onStopSignals({
    graceful: (signal) => {
      if (end !== undefined) {
        // the run has its end (recorded, or being recorded): only the events log's reader may still be waited for
        if (log !== undefined && log.untaken > 0)
          notice(`rxdag: stopping on ${signal}: the run had ended; what the events log's reader did not take is dropped`);
        if (groups.size > 0) notice(afterEndLine(signal, groups.size));
        log?.closeNow();
        return;
      }
      if (halted !== undefined) return void notice(interruptingLine(signal, groups.size, resumeCommandOf(target))); // its log failed
      if (journalFailed) return void notice(journalFailedLine(signal, groups.size)); // its tasks have their grace (the catch below)
      // before its first event this process ran nothing: even a Ctrl-C leaves the run as it was
      if ((leavesRunInterrupted(signal) || seen === 0) && target.halt !== undefined) {
        // a new run's record may not be made yet (a PostgreSQL store still answering): none to resume
        const before = seen === 0 && resumed === undefined;
        notice(
          before
            ? `rxdag: stopping on ${signal} before the run started: nothing ran`
            : interruptingLine(signal, groups.size, resumeCommandOf(target)),
        );
        return haltRun(signal, target.halt);
      }
      notice(stoppingLine(signal, groups.size));
      cancel(signal);
    },
    immediate: (signal) => {
      // A second Ctrl-C (or Ctrl-\\ first): no wait for the grace. An ended run stays as it ended; a failed journal's line ends its run.
      if (journalFailed) return void (notice(atOnceLine(signal, groups.size, undefined)), groups.hurry());
      const resume =
        (signal === 'SIGQUIT' || halted !== undefined) && target.halt !== undefined && end === undefined
          ? resumeCommandOf(target)
          : undefined;
      notice(atOnceLine(signal, groups.size, resume));
      reporter.finish(); // the notice written, the terminal's cursor and line wrapping given back
      groups.killAll();
      log?.closeNow(); // a pipe's reader is not waited for either
      writeReport(); // of what was seen: the run's end, if it comes, is not waited for
      // an ended run's own code; a run the first signal left interrupted, that signal's
      exitAfterStop(end === undefined ? exitCodeOfCause(halted ?? signal) : codeOfEnd(end));
    },
  });
  target.held?.release(); // only now: a signal's listeners all removed, Node forgets one it has not delivered yet
  const writeReport = () => {
    if (options.reportPath === undefined || reportEvents === undefined) return;
    // the report's modules are loaded only by a run that writes one
    const { everyTaskIn, writeReportFile } = require('./reportFile') as typeof import('./reportFile');
    const failure = writeReportFile(
      options.reportPath,
      {
        events: reportEvents,
        deps: target.deps ?? {},
        source: target.source,
        ...everyTaskIn(target.store, reportEvents[0]?.runId, options.eventsPath),
        ...(target.setup === undefined ? {} : { setup: target.setup }),
        ...(target.maxConcurrency === undefined ? {} : { maxConcurrency: target.maxConcurrency }),
      },
      (line) => io.stderr.write(`${line}\n`),
    );
    if (failure === undefined) {
      io.stderr.write(`wrote ${escapeControls(options.reportPath)} (${reportEvents.length} events)\n`);
      return;
    }
    outputFailed = true;
    io.stderr.write(`${failure}\n`);
  };
  // the run's own end comes after dag.completed, once its journal holds every event (or failed to)
  let settle: (error: unknown) => void = () => {};
  const runEnded = new Promise<unknown>((resolve) => (settle = resolve));
  subscription = run.subscribe({
    error: (error: unknown) => {
      // halted by SIGTERM, the run is left interrupted whatever happens to it now (its journal's
      // last group, cut short by the halt, may fail it)
      if (halted === undefined) failRun(error);
      settle(error);
    },
    complete: () => settle(undefined),
  });

  try {
    const final = await Promise.race([completed, interrupted]);
    if (typeof final === 'string') {
      // left interrupted by SIGTERM (or a failed events log): the report holds what the journal holds
      reporter.finish();
      writeReport();
      await closeLog();
      return exitCodeOfCause(final);
    }
    // a cancelled run's subscriber is gone: the library ends its journal without telling
    const endError = cancelledBy === undefined ? await runEnded : undefined;
    const recorded = cancelledBy === undefined ? true : await released(target.journal, final.runId, target.dag.id, target.journalFailure);
    await groups.whenEmpty(); // no child outlives the CLI
    reporter.finish();
    const failures = final.failures.map((f) => withNotes(f, attemptNotes)); // listed as text, with --json too (on stderr)
    // with the display's own lines; never into --json's stdout
    const failuresTo = options.output === 'lines' || options.output === 'quiet' ? io.stdout : io.stderr;
    failuresTo.write(runEndFailures(failures, final.runId, target.store, options.eventsPath));
    if (endError instanceof JournalWriteError) {
      outputFailed = true;
      io.stderr.write(`${journalFailureLine(endError, target.store, true, resumeCommandOf(target))}\n`);
    } else if (endError !== undefined) throw endError;
    if (recorded !== true) io.stderr.write(`${unrecordedCancelLine(final.runId, recorded, target.store, target.journal)}\n`);
    writeReport();
    await closeLog(); // a failure here is printed by the log's handler
    return codeOfEnd(final);
  } catch (error) {
    // a journal that failed stops the tasks as a stop signal does (their grace to end); anything else at once
    journalFailed = error instanceof JournalWriteError;
    await (journalFailed ? groups.terminateAll() : groups.killAll());
    await groups.whenEmpty();
    reporter.finish();
    // the store said no before anything ran: at once, or at the first events of the run (a resume's `run.resumed`)
    const beforeStart = seen === 0 || (error instanceof JournalWriteError && error.beforeStart);
    const refused = beforeStart && target.store !== undefined ? refusalLine(error, target.store) : undefined;
    if (refused !== undefined) {
      // its record was made (the run began) but none of its events could be written: it stays, interrupted
      const left =
        seen === 0
          ? ''
          : `; nothing ran now, the run stays interrupted in the store (${resumeCommandOf(target) ?? 'rxdag resume'} continues it once the store can be written)`;
      // the refusal may quote a lock file's host: a store may be another's
      io.stderr.write(`rxdag: ${escapeControls(`${refused}${left}`)}\n`);
      return ExitCode.invalid;
    }
    if (error instanceof JournalWriteError) {
      io.stderr.write(`${journalFailureLine(error, target.store, false, resumeCommandOf(target))}\n`);
      writeReport();
      return ExitCode.outputFailed;
    }
    // The engine failed (a bug, not a task): report it as a failure.
    io.stderr.write(`rxdag: the run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.taskFailed;
  } finally {
    stopListening();
    log?.closeNow();
  }
}

/** The exit code of a run a signal stopped (130, 143…), or a failed events log (74). */
function exitCodeOfCause(cause: CancelCause): number {
  return cause === 'events-log' ? ExitCode.outputFailed : exitCodeOf(cause);
}

/** The command that resumes `target`'s run, as it is now. */
function resumeCommandOf(target: RunToDrive): string | undefined {
  return typeof target.resumeCommand === 'function' ? target.resumeCommand() : target.resumeCommand;
}

function chooseReporter(output: OutputMode, io: CliIo, dag: Dag, start: DisplayStart): Reporter {
  switch (output) {
    case 'json':
      return jsonReporter(io.stdout);
    case 'quiet':
      return lineReporter(io.stdout, { quiet: true, dag, ...(start.history === undefined ? {} : { history: start.history }) });
    case 'lines':
      return lineReporter(io.stdout, { quiet: false, dag, ...(start.history === undefined ? {} : { history: start.history }) });
    case 'progress': // the bar's modules (cli-progress) are loaded only where it is drawn
      return (require('../output/progressReporter') as typeof import('../output/progressReporter')).progressReporter(io.stderr, dag, start);
  }
}
