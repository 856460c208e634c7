/**
 * `rxdag report`: the HTML report of a run from its events log, with the DAG's dependencies and
 * limits when `--dag` gives its file. It refuses a `--dag` file of another DAG; reading the log
 * is `readEventsFile.ts`'s, making and writing the page `reportFile.ts`'s.
 */
import type { Dag, DagEvent } from '../../index';
import { escapeControls, quoted } from '../../dag/text';
import { loadDagFile } from '../dagFile/loadDagFile';
import { InvalidInputError } from '../problems';
import { ExitCode } from '../exitCodes';
import { checkReportHeap } from '../report/reportHeap';
import { readEventsFile } from '../report/readEventsFile';
import { runSetupOf } from '../output/runSetup';
import { depsOf, type ReportInput } from '../report/reportInput';
import { storeLocation } from '../store/storeLocation';
import type { CliIo } from './cliIo';
import { STANDARD_OUTPUT, writeReportFile } from './reportFile';
import { checkNotAnInput, checkWritable } from './writeTarget';

/**
 * `rxdag report EVENTS.jsonl -o OUT.html [--dag FILE]`: the HTML report of a logged run.
 * With `--dag`, the graph shows the DAG file's dependencies and the table each task's limits,
 * weight and trigger rule; without, edges are inferred.
 */
export function reportCommand(eventsFile: string, options: { readonly output: string; readonly dag?: string }, io: CliIo): number {
  const toStdout = options.output === STANDARD_OUTPUT;
  if (!toStdout) {
    // no --store here: the store of `rxdag run` without one (RXDAG_STORE, else .rxdag/) is kept safe
    checkWritable('--output', options.output, storeLocation(undefined, process.env));
    checkNotAnInput('--output', options.output, [
      { what: 'the events log', file: eventsFile },
      ...(options.dag === undefined ? [] : [{ what: 'the DAG file', file: options.dag }]),
    ]);
  }
  const { events, notes, tornLine } = readEventsFile(eventsFile, options.output, (logBytes) =>
    checkReportHeap(eventsFile, logBytes, options.dag),
  );
  const loaded = options.dag === undefined ? undefined : loadDagFile(options.dag, { checkDirectories: false });
  if (loaded !== undefined) refuseOtherDag(options.dag!, loaded.dag, events, eventsFile);
  if (tornLine !== undefined)
    io.stderr.write(`rxdag: ${eventsFile}:${tornLine}: the last line was cut short (a write a crash interrupted); left out\n`);
  for (const note of notes) io.stderr.write(`rxdag: ${escapeControls(note)}\n`);
  const known: Partial<ReportInput> =
    loaded === undefined ? {} : { deps: depsOf(loaded.dag), setup: runSetupOf(loaded.spec, loaded.limits) };
  const failure = writeReportFile(
    options.output,
    { events, source: options.dag ?? eventsFile, eventsLog: eventsFile, ...known },
    (line) => io.stderr.write(`${line}\n`),
    io.stdout,
  );
  if (failure !== undefined) {
    io.stderr.write(`${failure}\n`);
    return ExitCode.outputFailed;
  }
  // on stderr, as `run --report` says it: the page may go to stdout (`-o /dev/stdout`); with `-o -` the page is the output
  if (!toStdout) io.stderr.write(`wrote ${escapeControls(options.output)} (${events.length} events)\n`);
  return ExitCode.ok;
}

/**
 * Refuses a `--dag` file of another DAG than the logged run's: its graph and table would show
 * tasks that never were. The log names its DAG in `dag.created`; without it (a log cut at its
 * start), its task ids must all be in the file.
 */
function refuseOtherDag(file: string, dag: Dag, events: readonly DagEvent[], eventsFile: string): void {
  const created = events.find((event) => event.type === 'dag.created');
  if (created !== undefined && created.dagId !== dag.id) {
    throw new InvalidInputError([
      { message: `--dag ${file} is DAG ${quoted(dag.id)}, but ${eventsFile} is a run of DAG ${quoted(created.dagId)}` },
    ]);
  }
  // tasks the run spawned are in its log, not in the file
  const spawned = new Set<string>();
  for (const event of events) {
    if (event.type === 'tasks.spawned' && Array.isArray(event.tasks)) for (const task of event.tasks) spawned.add(String(task?.id));
  }
  const missing = new Set<string>();
  for (const event of events) {
    if ('taskId' in event && dag.taskIndex(event.taskId) === undefined && !spawned.has(event.taskId)) missing.add(event.taskId);
  }
  const unknown = [...missing];
  if (unknown.length > 0) {
    const named = unknown.slice(0, 3).map(quoted).join(', ');
    throw new InvalidInputError([
      {
        message: `--dag ${file} has no task ${named}${unknown.length > 3 ? ` (and ${unknown.length - 3} more)` : ''} of the run in ${eventsFile}`,
      },
    ]);
  }
}
