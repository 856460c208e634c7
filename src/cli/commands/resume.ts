/**
 * `rxdag resume [RUN_ID]`: continues a journaled run whose process stopped (a crash, `kill -9`,
 * a reboot) from its journal, with the same display, outputs and exit codes as `rxdag run` (see
 * `driveRun.ts`); by default the newest `interrupted` run of the store (`newestInterrupted.ts`). The run keeps its own
 * journaled settings (its DAG, the working directories and commands of its shell tasks, its
 * failure policy, and its `-c`, `--mode` and `--poll-interval` unless given again); `--kill-grace`
 * and the outputs are this process's.
 *
 * Refused with one line and exit 2, nothing run: a store that does not exist or cannot be
 * reached, an unknown run, a run that ended, a run a live process owns, no interrupted run (a
 * cancelled run, or the newest run when none is interrupted and it was cancelled, with how to
 * stop a run so that it can be resumed), a run a program made (its tasks name agents the
 * command line does not have: see `programRuns.ts`), also when it is the newest interrupted run.
 * A journal that ends with a torn line (a write the crash cut short, never acknowledged) has it
 * moved aside by the journal: said once on stderr, with the file, the byte offset and where it
 * went. It does not decide what runs again: the library's `resumeRun` does (attempts that were in
 * flight run again under their number; completed tasks do not).
 */
import {
  type DagEvent,
  DagValidationError,
  defineDag,
  formatIssuePath,
  JournalCorruptError,
  type JournalHeader,
  resumeRun,
  RunNotResumableError,
} from '../../index';
import { escapeControls, quoted } from '../../dag/text';
import { whereItWas } from '../output/resumeLine';
import { builtinAgents } from '../agents/builtinAgents';
import { errorLinesOption } from '../agents/errorLines';
import { ProcessGroups } from '../agents/processGroups';
import { openRunMetrics, type RunMetrics } from '../output/metricsEndpoint';
import { exitCodeAfterPush } from '../output/metricsPush';
import { exitCodeAfterTraces, openRunTraces, type RunTraces } from '../output/otlpTraces';
import { ranToItsEnd } from '../exitCodes';
import { InvalidInputError } from '../problems';
import { agentsOf, openRemoteAgents } from '../remote/openRemote';
import {
  latestRemoteNote,
  localResumeRefusal,
  otherDatabaseRefusal,
  otherKeyRefusal,
  otherPrefixRefusal,
  REMOTE_KEY,
  remoteNoteFor,
} from '../remote/remoteNote';
import { replayProblem } from '../../journal/replay';
import { tornTailOf } from '../../journal/tornTail';
import { withWrappedWriters } from '../../journal/wrappedWriters';
import { haltableJournal } from '../../journal/haltableJournal';
import { slowStoreNotices } from '../store/slowStore';
import type { RemoteAgents } from '../remote/remoteAgents';
import { openStore, type Store } from '../store/openStore';
import { tornTailSetAside } from '../store/tornTailNote';
import { CLI_MARK, programRunProblem } from '../store/programRuns';
import { newestInterrupted } from '../store/newestInterrupted';
import { neverJournaledRefusal } from '../store/runList';
import { asRefusal, fileNamedAsRun } from '../store/storeErrors';
import { eventPlaces, storeFlag, storeLocation } from '../store/storeLocation';
import { commandLine } from '../shellWord';
import { resumeCommandLine } from '../store/resumeCommand';
import { type CliIo, drawsProgress } from './cliIo';
import { driveRun, SetupNotes } from './driveRun';
import { type RawRunOptions, resolveRunOptions } from './runOptions';
import { DEFAULT_MAX_CONCURRENCY } from '../../scheduler/options';
import { journaledSetupOf } from '../output/runSetup';
import { outputProblems } from './writeTarget';
import { logsFolderProblems } from './logsFolder';
import { TaskLogs } from '../agents/taskLogs';
import { endedTasks, resumeRunProblems } from './checkFileRun';
import { type UnusableDirectory, unusableJournaledDirectories } from '../dagFile/directories';
import { ClosingStopSignals, HeldStopSignals } from './interrupts';
import { dagFileChange } from '../store/dagFileNote';

/** `rxdag resume` options as commander hands them over. */
export type RawResumeOptions = Omit<RawRunOptions, 'failFast' | 'journal'> & {
  /** `--local`: run here what a remote run had in flight (see `remoteNote.ts`). */
  readonly local?: boolean;
};

/** Resumes `runId` (or the newest interrupted run) and resolves with the exit code. */
export async function resumeCommand(runId: string | undefined, raw: RawResumeOptions, io: CliIo): Promise<number> {
  const options = resolveRunOptions(raw, drawsProgress(io), true);
  if (raw.local === true && options.remote !== undefined)
    throw new InvalidInputError([{ message: '--local and --redis cannot go together: --local runs here what --redis sends to workers' }]);
  const location = storeLocation(options.store, process.env);
  const problems = [
    ...outputProblems({ events: options.eventsPath, report: options.reportPath, store: location }),
    ...logsFolderProblems(options.logsDir),
  ];
  if (problems.length > 0) throw new InvalidInputError(problems);
  const store = openedFor(runId, () => openStore(location, 'read', { sync: options.sync }));
  // said once the run starts: a run refused before then prints one line, why
  const notes = new SetupNotes();
  let remote: RemoteAgents | undefined;
  let metrics: RunMetrics | undefined;
  let traces: RunTraces | undefined;
  // the run ended by itself: the endpoint waits for a last scrape (--metrics-linger) before it closes
  let lingers = false;
  // from here on a stop signal is held for the run, which then starts nothing (see interrupts.ts)
  const held = new HeldStopSignals();
  // and once the run ended, while the command closes down
  const closing = new ClosingStopSignals((line) => io.stderr.write(`${line}\n`));
  closing.leftUndone = () => remote?.cutShort();
  try {
    const id = runId ?? (await newestInterrupted(store));
    const { header, history } = await journaled(store, id, runId === undefined);
    const last = history[history.length - 1];
    const programs = programRunProblem(id, header, history);
    if (last?.type === 'dag.completed') {
      const ended = new RunNotResumableError(id, 'ended', last.outcome);
      // the hints of an ended run (Ctrl-C cancels, run the DAG file again) are the command line's
      if (programs !== undefined) throw new InvalidInputError([{ message: ended.message }]);
      return asRefusal(ended, location);
    }
    // before the library takes the run: refused there, it would list every task of an unknown agent
    if (programs !== undefined) throw new InvalidInputError([{ message: programs }]);
    // a folder gone (moved, another machine) would fail its tasks for good: refused, the run stays resumable
    // (with --redis the workers run the tasks, and only they need the folders: said, not refused)
    const missingDirectory = unusableJournaledDirectories(header.spec, endedTasks(history))[0];
    if (missingDirectory !== undefined) {
      if (options.remote === undefined) throw new InvalidInputError([{ message: missingDirectoryRefusal(id, missingDirectory) }]);
      notes.write(`rxdag: ${missingOnWorkersNote(missingDirectory)}\n`);
    }
    // before anything is opened: a bad --poll-interval is refused with nothing started
    const scheduling = schedulingOf(id, header, raw, options);
    // where the attempts in flight went: the run's workers, or those of its latest resume
    const note = latestRemoteNote(header, history);
    const remoteRefusal =
      options.remote === undefined
        ? localResumeRefusal(id, note, history, raw.local === true)
        : (otherPrefixRefusal(id, note, history, options.remote.prefix) ??
          otherDatabaseRefusal(id, note, history, options.remote.db) ??
          otherKeyRefusal(id, note, history, options.remote.key));
    if (remoteRefusal !== undefined) throw new InvalidInputError([{ message: remoteRefusal }]);
    const edited = dagFileChange(id, header.options.metadata);
    if (edited !== undefined) notes.write(`rxdag: ${escapeControls(edited)}\n`);
    let dag;
    try {
      dag = defineDag(header.spec);
    } catch (error) {
      if (error instanceof DagValidationError) throw new InvalidInputError([{ message: invalidJournaledDag(header.dagId, error) }]);
      return asRefusal(error, location);
    }
    if (options.maxConcurrency !== undefined) {
      const problems = resumeRunProblems(dag, header, history, builtinAgents(0).agents, options.maxConcurrency);
      if (problems.length > 0) throw new InvalidInputError(problems);
    }
    if (options.remote !== undefined) remote = await openRemoteAgents(options.remote, notes, io.stderr, agentsOf(header.spec, history));
    // --logs (refused with --redis): an attempt run again appends to the log it began
    const logs = options.logsDir === undefined ? undefined : new TaskLogs(options.logsDir);
    // with --redis, attempts (also those in flight when the run stopped) go to workers
    const { agents, groups } =
      remote === undefined
        ? builtinAgents(options.killGraceMs, {
            ...(logs === undefined ? {} : { logs }),
            ...errorLinesOption(options.errorLines),
            hiddenVariables: store.secretVariables,
          })
        : { agents: remote.agents, groups: new ProcessGroups(options.killGraceMs) };
    // where this resume sends the attempts, noted in its run.resumed for the next resume (none: here)
    const resumeNote = options.remote === undefined || remote === undefined ? undefined : remoteNoteFor(options.remote, remote.location);
    const remoteMark = resumeNote === undefined ? {} : { [REMOTE_KEY]: resumeNote };
    let run;
    // halted by SIGTERM: the run is left interrupted again
    // whether this process took the run (and so moved a torn last line aside): another may have, refused here
    let taken = false;
    const taking = withWrappedWriters(store.journal, (writer) => ((taken = true), writer));
    const haltable = haltableJournal(slowStoreNotices(taking, location.label, (line) => io.stderr.write(`${line}\n`)));
    try {
      run = resumeRun(haltable.journal, id, { agents, ...scheduling, metadata: { ...CLI_MARK, ...remoteMark } });
    } catch (error) {
      if (error instanceof TypeError) throw new InvalidInputError([{ message: error.message }]);
      throw error;
    }
    // the journal takes the run on subscription and moves a torn last line aside: said once, when the run starts
    const torn = location.kind === 'folder' ? tornTailOf(location.dir, id) : undefined;
    if (torn !== undefined) notes.write(`${tornTailSetAside(id, torn)}\n`);
    // counts this process's events: a counter starts at 0 with each process, as Prometheus
    // expects (a push too holds only what this process saw)
    metrics = await openRunMetrics(
      run.events$,
      {
        port: options.metricsPort,
        host: options.metricsHost,
        pushUrl: options.metricsPush,
        until: haltable.whenHalted(),
        lingerMs: options.metricsLingerMs,
      },
      notes,
    );
    traces = openRunTraces(run.events$, options.otlp, haltable.whenHalted());
    const code = await driveRun(
      {
        run,
        groups,
        dag,
        // what only the report reads: made only for a report
        ...(options.reportPath === undefined
          ? {}
          : {
              deps: Object.fromEntries(header.spec.tasks.map((task) => [task.id, task.deps ?? []])),
              setup: journaledSetupOf(header),
              // as the run began: each resume's own is in its `run.resumed` (this one's too)
              maxConcurrency: header.options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY,
            }),
        notes,
        held,
        ...(logs === undefined ? {} : { logs }),
        source: `journal ${location.label}`,
        store: location,
        journal: haltable.journal,
        halt: haltable.halt,
        journalFailure: haltable.failure,
        resumeCommand: resumeCommandLine(id, location, resumeNote?.resumeFlags ?? ''),
        resumed: { history, failurePolicy: header.options.failurePolicy },
        announce: (first) =>
          first.type === 'run.resumed'
            ? `rxdag: resuming run ${id} (journal ${location.label}): ${whereItWas(history, first.interrupted, remote !== undefined, note !== undefined)}`
            : `rxdag: resuming run ${id} (journal ${location.label}): it had not started; starting it`,
      },
      options,
      io,
    );
    closing.ended(code);
    // refused after the journal took the run (an event it cannot replay): the torn line moved all the same;
    // a journal torn again later (the disk full again) ends in another line, where the first one was not
    const tornNow = torn !== undefined && location.kind === 'folder' ? tornTailOf(location.dir, id) : undefined;
    const tornLeft = torn !== undefined && tornNow?.at === torn.at && tornNow.bytes === torn.bytes;
    if (torn !== undefined && !notes.said && !tornLeft && taken) io.stderr.write(`${tornTailSetAside(id, torn)}\n`);
    // said as the run started, but the journal failed before it could: the line stays where it was
    if (notes.said && tornLeft)
      io.stderr.write(`rxdag: the torn last line of run ${id}'s journal was not set aside after all: it stays in the journal\n`);
    // --metrics-push: once the run ended, however it ended; a run stopped before it started pushes nothing
    const exit =
      held.signal !== undefined
        ? code
        : await exitCodeAfterTraces(await exitCodeAfterPush(code, metrics?.push, header.dagId, io.stderr), traces, io.stderr);
    lingers = ranToItsEnd(code);
    return exit;
  } finally {
    held.release();
    closing.ended(); // also when the run never started
    try {
      await remote?.close();
      // the remote agents closed first: nothing is said of the workers while the endpoint waits
      if (lingers) await metrics?.linger(io.stderr);
      await metrics?.close();
      await traces?.finish(); // a run stopped by a signal sends its spans too
      await store.close();
    } finally {
      closing.release();
    }
  }
}

/**
 * The run's concurrency and mode: given now, else journaled when it began, else the defaults.
 * `--poll-interval` alone is refused for a run that began in event mode.
 */
function schedulingOf(runId: string, header: JournalHeader, raw: RawResumeOptions, options: ReturnType<typeof resolveRunOptions>) {
  const journaled = header.options;
  const mode = raw.mode === undefined ? (journaled.mode ?? options.mode) : options.mode;
  if (raw.pollInterval !== undefined && mode !== 'polling') {
    throw new InvalidInputError([{ message: `--poll-interval only applies with --mode polling (run ${runId} began in event mode)` }]);
  }
  const maxConcurrency = options.maxConcurrency ?? journaled.maxConcurrency;
  // the run's own period unless given (`--mode polling` alone keeps it too)
  const pollIntervalMs = raw.pollInterval === undefined ? (journaled.pollIntervalMs ?? options.pollIntervalMs) : options.pollIntervalMs;
  return {
    mode,
    ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
    ...(mode === 'polling' && pollIntervalMs !== undefined ? { pollIntervalMs } : {}),
  };
}

/**
 * A run's header and events, or its refusal (unknown run, corrupt journal, unreachable store). A
 * corrupt run taken as the newest interrupted one (`chosen`: none was named) is told how to go on
 * with another, or to forget it: no resume can take it.
 */
async function journaled(store: Store, runId: string, chosen: boolean): Promise<{ header: JournalHeader; history: readonly DagEvent[] }> {
  try {
    const header = await store.journal.header(runId);
    const history = await store.journal.events(runId);
    // (a named run's replay refuses it as the run starts: its id is there to prune)
    const problem = chosen ? replayProblem({ header, events: history, placeOf: eventPlaces(store.location, runId) }) : undefined;
    if (problem !== undefined) throw problem;
    return { header, history };
  } catch (error) {
    if (chosen && error instanceof JournalCorruptError) {
      const flag = storeFlag(store.location);
      const others = `rxdag runs${flag}`;
      const message = `${error.message}. It is the newest interrupted run, taken as no run was named: resume another by its id (${others} lists them), or forget this one (${commandLine('rxdag prune', runId, `${flag} --interrupted`)})`;
      throw new InvalidInputError([{ message }]);
    }
    const never =
      error instanceof RunNotResumableError && error.reason === 'unknown' ? await neverJournaledRefusal(store, runId) : undefined;
    if (never !== undefined) throw never;
    return asRefusal(error, store.location);
  }
}

/**
 * The refusal of a run whose journaled DAG this version does not accept, every problem on the
 * one line: `the journaled run cannot run here: DAG "d" is invalid (2 problems): tasks[1].deps[0]: …; tasks[2]…`.
 */
function invalidJournaledDag(dagId: string, error: DagValidationError): string {
  const count = `${error.issues.length} problem${error.issues.length === 1 ? '' : 's'}`;
  const each = error.issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`).join('; ');
  return `the journaled run cannot run here: DAG ${quoted(dagId)} is invalid (${count}): ${each}`;
}

/**
 * `run x cannot go on here: task "build" runs in "/ci/ws-1", which is not an existing directory
 * (the run stays interrupted: resume it where that folder is, or make it)`.
 */
function missingDirectoryRefusal(runId: string, { directory, taskId, problem }: UnusableDirectory): string {
  const remedy = problem.startsWith('is not')
    ? 'or make it'
    : problem.startsWith('is a file') || problem.startsWith('is under a file')
      ? 'or put a folder in its place'
      : 'or let this user enter it';
  return `run ${runId} cannot go on here: task ${quoted(taskId)} runs in ${quoted(directory)}, which ${problem} (the run stays interrupted: resume it where that folder is, ${remedy}, or with --redis for workers that have it)`;
}

/** `warning: task "build" runs in "/ci/ws-1", which is not an existing directory here: the workers must have it …`. */
function missingOnWorkersNote({ directory, taskId, problem }: UnusableDirectory): string {
  return `warning: task ${quoted(taskId)} runs in ${quoted(directory)}, which ${problem} here: the workers must have it (a worker without it fails the task)`;
}

/** The store `open` opens; a refusal of it (no store yet) says so of a run id that is a DAG file's path too. */
function openedFor(runId: string | undefined, open: () => Store): Store {
  try {
    return open();
  } catch (error) {
    const file = fileNamedAsRun(runId);
    if (!(error instanceof InvalidInputError) || file === undefined) throw error;
    throw new InvalidInputError(error.problems.map((problem) => ({ ...problem, message: `${problem.message}; ${file}` })));
  }
}
