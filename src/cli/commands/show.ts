/**
 * `rxdag show RUN_ID [--store …] [--json] [--report OUT.html]`: one journaled run from its
 * journal: a summary (DAG, status, times, counts, limits, estimates taken from earlier runs),
 * every task that failed for good with its error (a shell task's last lines of output included),
 * each task's timing, rules, estimate and why it was skipped, and with `--report` the
 * HTML report built from the journal's events (the same report as `rxdag run --report`). An
 * unknown run, a missing or unreachable store, a journal `rxdag resume` would refuse as corrupt
 * (its events replayed as resume replays them): one line, exit 2. A torn last line of a folder's
 * journal (which `rxdag resume` sets aside) is told on stderr.
 *
 * The summary and the tasks come from one read of the run's events, so they agree while the
 * run is being written. It reads no other run, except to tell whether a run that has not ended
 * is running: a live process's ownership is known only from the store's listing (the journal
 * has no call for one run's), which also clears the lock a killed process left on a run that
 * had ended (`journal.runs()`). It changes nothing else in the store.
 */
import { type DagEvent, type Journal, type JournaledRunSummary, type JournalHeader } from '../../index';
import { escapeControls, meantHint, quoted } from '../../dag/text';
import { journalFileOf, placeInFile } from '../../journal/fileNames';
import { RunNotResumableError } from '../../journal/journal';
import { replay } from '../../journal/replay';
import { summarize } from '../../journal/summary';
import { ExitCode } from '../exitCodes';
import { formatRunDetails, type RunDetails, runDetails } from '../output/runDetails';
import { InvalidInputError } from '../problems';
import { journaledSetupOf } from '../output/runSetup';
import { DEFAULT_MAX_CONCURRENCY } from '../../scheduler/options';
import { openStore, type Store } from '../store/openStore';
import { resumeCommandOf } from '../store/resumeCommand';
import { listRuns, neverJournaledRefusal, runOfDagHint } from '../store/runList';
import { asRefusal } from '../store/storeErrors';
import { showCommandLine, type StoreLocation, storeLocation } from '../store/storeLocation';
import { tornTailNote } from '../store/tornTailNote';
import type { CliIo } from './cliIo';
import { writeReportFile } from './reportFile';
import { checkWritable } from './writeTarget';
import { jsonLine } from '../output/jsonLine';

/** `rxdag show` options as commander hands them over. */
export interface RawShowOptions {
  readonly store?: string;
  readonly json?: boolean;
  /** Only the failures, no line per task. */
  readonly failed?: boolean;
  /** Only these tasks' lines and failures. */
  readonly task?: readonly string[];
  readonly report?: string;
}

/** What the command takes from the world: specs pass their own. */
export interface ShowWorld {
  /** The clock that says how long the attempts of a run still going had run when its report was written. @default Date.now */
  readonly now?: () => number;
  /** Opens the store the run is read from. @default openStore(location, 'read') */
  readonly open?: (location: StoreLocation) => Store;
}

export async function showCommand(runId: string, raw: RawShowOptions, io: CliIo, world: ShowWorld = {}): Promise<number> {
  const { now = Date.now, open = (location: StoreLocation) => openStore(location, 'read') } = world;
  const location = storeLocation(raw.store, process.env);
  if (raw.report !== undefined) checkWritable('--report', raw.report, location);
  const store = open(location);
  try {
    // an unknown run, its own unreadable record, an unreachable store: one line
    const { header, events, summary } = await readRun(store.journal, runId, location).catch(async (error: unknown) => {
      // `rxdag show release`: a DAG's id, not a run's
      const unknown = error instanceof RunNotResumableError && error.reason === 'unknown';
      const dag = unknown ? await runOfDagHint(store.journal, runId, (id) => showCommandLine(id, location)) : '';
      if (dag !== '') throw new InvalidInputError([{ message: `run ${quoted(runId)} is not in the store ${location.label}${dag}` }]);
      const never = unknown ? await neverJournaledRefusal(store, runId) : undefined;
      if (never !== undefined) throw never;
      return asRefusal(error, location, `read run "${runId}"`);
    });
    const torn = summary.status === 'interrupted' ? tornTailNote(location, runId) : undefined;
    if (torn !== undefined) io.stderr.write(`${torn}\n`);
    const details = narrowed(runDetails(header, events, summary), raw);
    // an interrupted run of the command line's (a program's is its program's to resume), with the flags that reach its workers
    const resumeCommand = summary.status === 'interrupted' ? resumeCommandOf(runId, header, location, events) : undefined;
    io.stdout.write(raw.json === true ? jsonLine(details) : formatRunDetails(details, location.label, resumeCommand, raw.failed === true));
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
        showCommand: showCommandLine(runId, location),
        ...(summary.status === 'running' ? { stillRunningAt: now() } : {}),
      },
      (line) => io.stderr.write(`${line}\n`),
    );
    if (failure !== undefined) {
      io.stderr.write(`${failure}\n`);
      return ExitCode.outputFailed;
    }
    io.stderr.write(`wrote ${escapeControls(raw.report)} (${events.length} events)\n`);
    return ExitCode.ok;
  } finally {
    await store.close();
  }
}

/** One read of a run: its header, its events, and the summary made from them. */
interface RunRead {
  readonly header: JournalHeader;
  readonly events: readonly DagEvent[];
  readonly summary: JournaledRunSummary;
}

/**
 * Reads the run `runId` once: its header, its events, and its summary (status, times, counts)
 * made from those events, as `journal.runs()` makes it. A run that has not ended is `running`
 * or `interrupted` as the store's listing, asked after the events were read, says. Its events
 * are replayed as `rxdag resume` replays them: one the reducer refuses is the same
 * `JournalCorruptError`, placed at the file and line of a folder's journal.
 */
async function readRun(journal: Journal, runId: string, location: StoreLocation): Promise<RunRead> {
  const header = await journal.header(runId);
  const events = await journal.events(runId);
  const file = location.kind === 'folder' ? journalFileOf(location.dir, runId) : undefined;
  replay({ header, events, ...(file === undefined ? {} : { placeOf: (seq: number) => placeInFile(file, seq) }) });
  const ended = events.at(-1)?.type === 'dag.completed';
  const owned = !ended && (await ownedSinceRead(journal, runId, header.dagId));
  return { header, events, summary: summarize(header, events, owned) };
}

/**
 * Whether a live process owns the run since its events were read, as the store's listing made
 * after that read says (another run's unreadable record does not keep it from being told):
 * listed `running`, or listed as ended, which it did after that read, so a process owned it.
 */
async function ownedSinceRead(journal: Journal, runId: string, dagId: string): Promise<boolean> {
  // its DAG's runs only: another DAG's run that has not ended is not read whole
  const { runs } = await listRuns(journal, { dagId });
  const status = runs.find((run) => run.runId === runId)?.status;
  return status !== undefined && status !== 'interrupted';
}

/**
 * `details` with only what `--failed` and `--task` ask for: with `--failed`, no task's line; with
 * `--task`, only those tasks' lines and failures. A task the run does not have is refused
 * (exit 2), the closest id suggested.
 */
function narrowed(details: RunDetails, raw: RawShowOptions): RunDetails {
  const failed = raw.failed === true;
  if (!failed && raw.task === undefined) return details;
  let { tasks, failures } = details;
  if (raw.task !== undefined) {
    const ids = new Set(tasks.map((task) => task.id));
    const unknown = raw.task.filter((id) => !ids.has(id));
    if (unknown.length > 0)
      throw new InvalidInputError(
        unknown.map((id) => ({
          message: `--task ${quoted(id)}: run ${details.runId} has no such task${meantHint(id, [...ids])}`,
        })),
      );
    const asked = new Set(raw.task);
    tasks = tasks.filter((task) => asked.has(task.id));
    failures = failures.filter((failure) => asked.has(failure.taskId));
  }
  // --failed: the tasks that failed for good, for what their earlier attempts failed with (the text has no line per task)
  const failedIds = new Set(failures.map((failure) => failure.taskId));
  return { ...details, tasks: failed ? tasks.filter((task) => failedIds.has(task.id)) : tasks, failures };
}
