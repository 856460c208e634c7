import { writeFileSync } from 'node:fs';
import type { Dag, DagCompletedEvent, DagEvent } from '../../index';
import { loadDagFile } from '../dagFile/loadDagFile';
import { ExitCode } from '../exitCodes';
import { EventLog } from '../output/eventLog';
import { progressReporter } from '../output/progressReporter';
import { jsonReporter, lineReporter, type Reporter } from '../output/reporter';
import { depsOf } from '../report/reportInput';
import { renderReport } from '../report/renderReport';
import type { CliIo } from './cliIo';
import { createRun } from './createRun';
import { exitCodeOf, onStopSignals, type StopSignal } from './interrupts';
import { type RawRunOptions, resolveRunOptions, type RunCommandOptions } from './runOptions';
import { checkWritable } from './writeTarget';

/**
 * `rxdag run FILE`: runs a DAG file on the library's `runDag` and resolves with the exit code:
 * 0 every task succeeded, 1 a task failed, 130/143 stopped by SIGINT/SIGTERM. Invalid input
 * throws `InvalidInputError` (exit 2) before anything runs.
 *
 * Every consumer (events log, display, report) listens on the run's hot `events$`, subscribed
 * before the run starts: unlike the run's own subscriber, it still receives the cancellation
 * events (`task.cancelled`…, `dag.completed`) when Ctrl-C unsubscribes from the run.
 */
export async function runCommand(file: string, raw: RawRunOptions, io: CliIo): Promise<number> {
  const options = resolveRunOptions(raw, io.stdout.isTTY === true && io.stderr.isTTY === true);
  const loaded = loadDagFile(file);
  const { run, groups } = createRun(loaded, schedulerOptions(options), options.killGraceMs);
  if (options.reportPath !== undefined) checkWritable('--report', options.reportPath);
  const log = options.eventsPath === undefined ? undefined : EventLog.open(options.eventsPath);
  const reporter = chooseReporter(options, io, loaded.dag);
  const reportEvents: DagEvent[] | undefined = options.reportPath === undefined ? undefined : [];

  let stoppedBy: StopSignal | undefined;
  let failRun: (error: unknown) => void = () => {};
  const completed = new Promise<DagCompletedEvent>((resolve, reject) => {
    failRun = reject;
    run.events$.subscribe((event) => {
      log?.write(event);
      reporter.onEvent(event);
      reportEvents?.push(event);
      if (event.type === 'dag.completed') resolve(event);
    });
  });
  const subscription = run.subscribe({ error: (error: unknown) => failRun(error) });
  const stopListening = onStopSignals({
    graceful: (signal) => {
      stoppedBy = signal;
      subscription.unsubscribe(); // cancels the run: agents are aborted, children get SIGTERM
    },
    immediate: (signal) => {
      // A second Ctrl-C: the user will not wait for the grace period.
      groups.killAll();
      log?.close();
      process.exit(exitCodeOf(signal));
    },
  });

  try {
    const final = await completed;
    await groups.whenEmpty(); // no child outlives the CLI
    reporter.finish();
    if (options.reportPath !== undefined && reportEvents !== undefined) {
      writeFileSync(options.reportPath, renderReport({ events: reportEvents, deps: depsOf(loaded.dag), source: file }));
    }
    if (stoppedBy !== undefined) return exitCodeOf(stoppedBy);
    return final.outcome === 'succeeded' ? ExitCode.ok : ExitCode.taskFailed;
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
