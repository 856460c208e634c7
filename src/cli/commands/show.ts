/**
 * `rxdag show RUN_ID [--store …] [--json] [--report OUT.html]`: one journaled run from its
 * journal: a summary (DAG, status, times, counts, limits, estimates taken from earlier runs),
 * every task that failed for good with its error (a shell task's last stderr lines included),
 * each task's timing, rules, estimate and why it was skipped, and with `--report` the
 * HTML report built from the journal's events (the same report as `rxdag run --report`). An
 * unknown run, a missing or unreachable store: one line, exit 2. It changes nothing in the store
 * but the lock a killed process left on a run that had ended (`journal.runs()` clears it).
 */
import { ExitCode } from '../exitCodes';
import { formatRunDetails, runDetails } from '../output/runDetails';
import { journaledSetupOf } from '../output/runSetup';
import { DEFAULT_MAX_CONCURRENCY } from '../../scheduler/options';
import { InvalidInputError } from '../problems';
import { openStore } from '../store/openStore';
import { listRuns } from '../store/runList';
import { asRefusal } from '../store/storeErrors';
import { storeFlag, storeLocation } from '../store/storeLocation';
import { commandLine } from '../shellWord';
import type { CliIo } from './cliIo';
import { writeReportFile } from './reportFile';
import { checkWritable } from './writeTarget';

/** `rxdag show` options as commander hands them over. */
export interface RawShowOptions {
  readonly store?: string;
  readonly json?: boolean;
  readonly report?: string;
}

export async function showCommand(runId: string, raw: RawShowOptions, io: CliIo): Promise<number> {
  const location = storeLocation(raw.store, process.env);
  if (raw.report !== undefined) checkWritable('--report', raw.report, location);
  const store = openStore(location, 'read');
  try {
    const { journal } = store;
    const read = async () => {
      // another run's unreadable file does not keep this one from being shown; its own does
      const { runs, unreadable } = await listRuns(journal);
      const summary = runs.find((run) => run.runId === runId);
      const own = unreadable.find((error) => error.runId === runId);
      if (own !== undefined) throw own;
      if (summary === undefined) {
        throw new InvalidInputError([
          { message: `run "${runId}" is not in the store ${location.label} (rxdag runs${storeFlag(location)} lists its runs)` },
        ]);
      }
      return { summary, header: await journal.header(runId), events: await journal.events(runId) };
    };
    const { summary, header, events } = await read().catch((error: unknown) =>
      error instanceof InvalidInputError ? Promise.reject(error) : asRefusal(error, location, `read run "${runId}"`),
    );
    const details = runDetails(header, events, summary);
    io.stdout.write(raw.json === true ? `${JSON.stringify(details)}\n` : formatRunDetails(details, location.label));
    if (raw.report === undefined) return ExitCode.ok;
    const deps = Object.fromEntries(header.spec.tasks.map((task) => [task.id, task.deps ?? []]));
    const setup = journaledSetupOf(header);
    const maxConcurrency = header.options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
    // the report's header names the run itself: the source says only where it was read
    const failure = writeReportFile(
      raw.report,
      {
        events,
        deps,
        setup,
        maxConcurrency,
        source: `journal ${location.label}`,
        showCommand: commandLine('rxdag show', runId, storeFlag(location)),
        running: summary.status === 'running',
      },
      (line) => io.stderr.write(`${line}\n`),
    );
    if (failure !== undefined) {
      io.stderr.write(`${failure}\n`);
      return ExitCode.outputFailed;
    }
    io.stderr.write(`wrote ${raw.report} (${events.length} events)\n`);
    return ExitCode.ok;
  } finally {
    await store.close();
  }
}
