import { writeFileSync } from 'node:fs';
import type { Subscription } from 'rxjs';
import type { Dag, DagCompletedEvent, DagEvent } from '../../index';
import { loadDagFile } from '../dagFile/loadDagFile';
import { ExitCode } from '../exitCodes';
import { InvalidInputError } from '../problems';
import { EventLog } from '../output/eventLog';
import { progressReporter } from '../output/progressReporter';
import { jsonReporter, lineReporter, type Reporter } from '../output/reporter';
import { depsOf } from '../report/reportInput';
import { renderReport } from '../report/renderReport';
import type { CliIo } from './cliIo';
import { createRun } from './createRun';
import { exitCodeOf, onStopSignals, type StopSignal, stoppingLine } from './interrupts';
import { type RawRunOptions, resolveRunOptions, type RunCommandOptions } from './runOptions';
import { describeIoError, outputProblems } from './writeTarget';

/** What cancelled the run before it ended on its own: a signal, or the events log failing. */
type CancelCause = StopSignal | 'events-log';

/**
 * `rxdag run FILE`: runs a DAG file on the library's `runDag` and resolves with the exit code:
 * 0 every task succeeded, 1 a task failed, 74 an output could not be written, 130/143 stopped
 * by SIGINT/SIGTERM. Invalid input (the file, the options, output paths that cannot be written
 * or that name the DAG file or each other) throws `InvalidInputError` (exit 2) before anything
 * runs. An empty DAG runs (and succeeds) after a warning on stderr.
 *
 * Every consumer (events log, display, report) listens on the run's hot `events$`, subscribed
 * before the run starts: unlike the run's own subscriber, it still receives the cancellation
 * events (`task.cancelled`…, `dag.completed`) when Ctrl-C unsubscribes from the run. A failed
 * write of the events log cancels the run the way Ctrl-C does: an unlogged run is not wanted.
 *
 * It does not decide how tasks run (the agents do) nor how output looks (the reporters do).
 */
export async function runCommand(file: string, raw: RawRunOptions, io: CliIo): Promise<number> {
  const options = resolveRunOptions(raw, io.stdout.isTTY === true && io.stderr.isTTY === true);
  const loaded = loadDagFile(file);
  const { run, groups } = createRun(loaded, schedulerOptions(options), options.killGraceMs);
  const problems = outputProblems(file, options.eventsPath, options.reportPath);
  if (problems.length > 0) throw new InvalidInputError(problems);
  if (loaded.dag.size === 0) io.stderr.write(`rxdag: warning: ${file} has no tasks; nothing to run\n`);

  const reporter = chooseReporter(options, io, loaded.dag);
  const notice = (line: string) => (reporter.notice === undefined ? io.stderr.write(`${line}\n`) : reporter.notice(line));
  const reportEvents: DagEvent[] | undefined = options.reportPath === undefined ? undefined : [];
  let cancelledBy: CancelCause | undefined;
  let subscription: Subscription | undefined;
  const cancel = (cause: CancelCause) => {
    cancelledBy ??= cause;
    subscription?.unsubscribe(); // agents are aborted, children get SIGTERM
  };
  let ended = false; // dag.completed seen: a failing log has nothing left to cancel
  let outputFailed = false;
  const log =
    options.eventsPath === undefined
      ? undefined
      : EventLog.open(options.eventsPath, (error) => {
          outputFailed = true;
          const what = `rxdag: cannot write the events log ${options.eventsPath}: ${describeIoError(error)}`;
          if (ended) return void notice(what);
          notice(`${what}; run cancelled`);
          // not from inside the event being emitted (the log may fail mid-burst): just after it
          queueMicrotask(() => cancel('events-log'));
        });

  let failRun: (error: unknown) => void = () => {};
  const completed = new Promise<DagCompletedEvent>((resolve, reject) => {
    failRun = reject;
    run.events$.subscribe((event) => {
      log?.write(event);
      reporter.onEvent(event);
      reportEvents?.push(event);
      if (event.type === 'dag.completed') {
        ended = true;
        resolve(event);
      }
    });
  });
  // listening before the run starts: its first flush already prints and spawns children
  const stopListening = onStopSignals({
    graceful: (signal) => {
      notice(stoppingLine(signal, groups.size));
      cancel(signal);
    },
    immediate: (signal) => {
      // A second Ctrl-C: the user will not wait for the grace period.
      groups.killAll();
      log?.close();
      process.exit(exitCodeOf(signal));
    },
  });
  subscription = run.subscribe({ error: (error: unknown) => failRun(error) });

  try {
    const final = await completed;
    await groups.whenEmpty(); // no child outlives the CLI
    reporter.finish();
    if (options.reportPath !== undefined && reportEvents !== undefined) {
      try {
        writeFileSync(options.reportPath, renderReport({ events: reportEvents, deps: depsOf(loaded.dag), source: file }));
      } catch (error) {
        outputFailed = true;
        io.stderr.write(`rxdag: cannot write the report ${options.reportPath}: ${describeIoError(error)}\n`);
      }
    }
    log?.close(); // a failure here is printed by the log's handler
    if (cancelledBy === 'events-log') return ExitCode.outputFailed;
    if (cancelledBy !== undefined) return exitCodeOf(cancelledBy);
    if (final.outcome !== 'succeeded') return ExitCode.taskFailed;
    return outputFailed ? ExitCode.outputFailed : ExitCode.ok;
  } catch (error) {
    // The engine failed (a bug, not a task): stop the children and report it as a failure.
    groups.killAll();
    await groups.whenEmpty();
    io.stderr.write(`rxdag: the run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.taskFailed;
  } finally {
    stopListening();
    log?.close();
  }
}

function schedulerOptions(options: RunCommandOptions) {
  return {
    mode: options.mode,
    failurePolicy: options.failFast ? ('fail-fast' as const) : ('skip-dependents' as const),
    ...(options.maxConcurrency === undefined ? {} : { maxConcurrency: options.maxConcurrency }),
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
  };
}

function chooseReporter(options: RunCommandOptions, io: CliIo, dag: Dag): Reporter {
  switch (options.output) {
    case 'json':
      return jsonReporter(io.stdout);
    case 'quiet':
      return lineReporter(io.stdout, { quiet: true });
    case 'lines':
      return lineReporter(io.stdout, { quiet: false });
    case 'progress':
      return progressReporter(io.stderr, dag);
  }
}
