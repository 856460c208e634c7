import { writeFileSync } from 'node:fs';
import { loadDagFile } from '../dagFile/loadDagFile';
import { ExitCode } from '../exitCodes';
import { readEventsFile } from '../report/readEventsFile';
import { runSetupOf } from '../output/runSetup';
import { depsOf, type ReportInput } from '../report/reportInput';
import { renderReport } from '../report/renderReport';
import type { CliIo } from './cliIo';
import { checkWritable } from './writeTarget';

/**
 * `rxdag report EVENTS.jsonl -o OUT.html [--dag FILE]`: the HTML report of a logged run.
 * With `--dag`, the graph shows the DAG file's dependencies and the table each task's limits,
 * weight and trigger rule; without, edges are inferred.
 */
export function reportCommand(eventsFile: string, options: { readonly output: string; readonly dag?: string }, io: CliIo): number {
  checkWritable('--output', options.output);
  const events = readEventsFile(eventsFile);
  const loaded = options.dag === undefined ? undefined : loadDagFile(options.dag, { checkDirectories: false });
  const known: Partial<ReportInput> =
    loaded === undefined ? {} : { deps: depsOf(loaded.dag), setup: runSetupOf(loaded.spec, loaded.limits) };
  writeFileSync(options.output, renderReport({ events, source: options.dag ?? eventsFile, ...known }));
  io.stdout.write(`wrote ${options.output} (${events.length} events)\n`);
  return ExitCode.ok;
}
