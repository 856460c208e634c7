import { loadDagFile } from '../dagFile/loadDagFile';
import { ExitCode } from '../exitCodes';
import { readEventsFile } from '../report/readEventsFile';
import { runSetupOf } from '../output/runSetup';
import { depsOf, type ReportInput } from '../report/reportInput';
import { storeLocation } from '../store/storeLocation';
import type { CliIo } from './cliIo';
import { writeReportFile } from './reportFile';
import { checkWritable } from './writeTarget';

/**
 * `rxdag report EVENTS.jsonl -o OUT.html [--dag FILE]`: the HTML report of a logged run.
 * With `--dag`, the graph shows the DAG file's dependencies and the table each task's limits,
 * weight and trigger rule; without, edges are inferred.
 */
export function reportCommand(eventsFile: string, options: { readonly output: string; readonly dag?: string }, io: CliIo): number {
  // no --store here: the store of `rxdag run` without one (RXDAG_STORE, else .rxdag/) is kept safe
  checkWritable('--output', options.output, storeLocation(undefined, process.env));
  const events = readEventsFile(eventsFile);
  const loaded = options.dag === undefined ? undefined : loadDagFile(options.dag, { checkDirectories: false });
  const known: Partial<ReportInput> =
    loaded === undefined ? {} : { deps: depsOf(loaded.dag), setup: runSetupOf(loaded.spec, loaded.limits) };
  const failure = writeReportFile(options.output, { events, source: options.dag ?? eventsFile, ...known });
  if (failure !== undefined) {
    io.stderr.write(`${failure}\n`);
    return ExitCode.outputFailed;
  }
  io.stdout.write(`wrote ${options.output} (${events.length} events)\n`);
  return ExitCode.ok;
}
