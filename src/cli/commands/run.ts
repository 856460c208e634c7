/**
 * `rxdag run FILE`: loads a DAG file, journals the run into the store (`.rxdag/` of the working
 * directory unless `--store`, `RXDAG_STORE` or `--no-journal` say otherwise) under a new run id
 * printed on stderr (drawn again when the store already holds it), and drives it to its exit
 * code (see `driveRun.ts`). Every check is made
 * before anything runs: the file, the options, the output paths, and whether the store can be
 * written (exit 2 with every problem).
 *
 * Tasks without an estimate get one from the store's earlier runs of the same DAG (the median
 * of their durations; `--no-history` turns it off), noted in the run's metadata. When the newest
 * of those runs was interrupted, a note names it and the command that resumes it instead. The
 * metadata also marks the run as the command line's (`store/programRuns.ts`): `rxdag resume`
 * takes up no other.
 *
 * With `--redis`, every attempt runs on `rxdag worker` processes (`remote/`: BullMQ is loaded
 * only then), after a check that the Redis answers.
 *
 * It does not decide how tasks run (the agents do), how output looks (the reporters do) nor
 * what the journal holds (the library does).
 */
import type { Journal, SchedulerOptions } from '../../index';
import { loadDagFile } from '../dagFile/loadDagFile';
import { openRunMetrics, type RunMetrics } from '../output/metricsEndpoint';
import { exitCodeAfterPush } from '../output/metricsPush';
import { exitCodeAfterTraces, openRunTraces, type RunTraces } from '../output/otlpTraces';
import { ranToItsEnd } from '../exitCodes';
import { InvalidInputError, type Problem } from '../problems';
import { agentsOf, openRemoteAgents } from '../remote/openRemote';
import type { RemoteAgents } from '../remote/remoteAgents';
import { runSetupOf } from '../output/runSetup';
import { DEFAULT_MAX_CONCURRENCY } from '../../scheduler/options';
import { depsOf } from '../report/reportInput';
import { ESTIMATES_KEY, type EstimatesNote, fillFromHistory } from '../store/historyEstimates';
import { CLI_MARK } from '../store/programRuns';
import { newRunId } from '../store/runId';
import { asRefusal } from '../store/storeErrors';
import { openStore } from '../store/openStore';
import { interruptedRunNote } from '../store/interruptedNote';
import { resumeCommandLine } from '../store/resumeCommand';
import { type HaltableJournal, haltableJournal } from '../../journal/haltableJournal';
import { slowStoreNotices } from '../store/slowStore';
import { type StoreLocation, storeLocation } from '../store/storeLocation';
import { type CliIo, drawsProgress } from './cliIo';
import { builtinAgents } from '../agents/builtinAgents';
import { TaskLogs } from '../agents/taskLogs';
import { fileRunCheck } from './checkFileRun';
import { createJournaledRun, createRun } from './createRun';
import { driveRun, type RunToDrive, SetupNotes } from './driveRun';
import { type RawRunOptions, resolveRunOptions, type RunCommandOptions } from './runOptions';
import { REMOTE_KEY, type RemoteNote, remoteNoteFor } from '../remote/remoteNote';
import { outputProblems } from './writeTarget';
import { logsFolderProblems } from './logsFolder';
import { escapeControls } from '../../dag/text';
import { shellTaskWarnings } from '../dagFile/shellTaskWarnings';
import { appendAll } from '../../appendAll';
import { ClosingStopSignals, HeldStopSignals } from './interrupts';
import { DAG_FILE_KEY, type DagFileNote } from '../store/dagFileNote';
import { errorLinesOption } from '../agents/errorLines';

/** What the command takes from the world: specs pass their own. */
export interface RunWorld {
  /** The clock the run's id is stamped with. @default Date.now */
  readonly now?: () => number;
  /** The random numbers (in [0, 1)) the run's id ends with. @default Math.random */
  readonly random?: () => number;
}

/**
 * Runs a DAG file and resolves with the exit code: 0 every task succeeded, 1 a task failed, 74
 * an output or the journal could not be written (or, for a run that succeeded, `--metrics-push`
 * failed), 130/143/129/131 stopped by SIGINT/SIGTERM/SIGHUP/SIGQUIT. Invalid
 * input (the file, the options, output paths, a store that cannot be written) throws
 * `InvalidInputError` (exit 2) before anything runs; so does a store that refuses the run when
 * it starts (a database that cannot be reached, every run id drawn already in it). An empty DAG
 * runs (and succeeds) after a warning.
 */
export async function runCommand(file: string, raw: RawRunOptions, io: CliIo, world: RunWorld = {}): Promise<number> {
  const { now = Date.now, random = Math.random } = world;
  const options = optionsOrEveryProblem(raw, io, file);
  // every problem of the input at once: the file's and the run's (agents, each task's weight
  // against -c, in the same pass as the file's), the store's and the output paths'
  const [read, location] = checkedTogether(
    () =>
      loadDagFile(file, {
        checkRun: fileRunCheck(builtinAgents(0).agents, options.maxConcurrency),
        warnOfEnv: true,
        noted: options.journal,
      }),
    () => checkedStore(file, options),
  );
  const store = options.journal ? openStore(location, 'write', { sync: options.sync }) : undefined;
  // halted by SIGTERM: the run is left interrupted, for rxdag resume
  const haltable =
    store === undefined
      ? undefined
      : haltableJournal(slowStoreNotices(store.journal, store.location.label, (line) => io.stderr.write(`${line}\n`)));
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
    // estimates of tasks without one, from the store's earlier runs of the DAG (not with --no-history)
    const { loaded, note } =
      store !== undefined && options.history
        ? await fillFromHistory(read, store.journal).catch((error: unknown) =>
            asRefusal(error, store.location, `read the earlier runs of DAG ${JSON.stringify(read.dag.id)} for estimates`),
          )
        : { loaded: read, note: undefined };
    // before this run is the newest of its DAG: one interrupted before it is said, with its resume
    if (store !== undefined) {
      const interrupted = await interruptedRunNote(store.journal, read.dag.id, store.location);
      if (interrupted !== undefined) notes.write(`rxdag: ${escapeControls(interrupted)}\n`);
    }
    if (options.remote !== undefined) remote = await openRemoteAgents(options.remote, notes, io.stderr, agentsOf(read.spec));
    const remoteNote = options.remote === undefined || remote === undefined ? undefined : remoteNoteFor(options.remote, remote.location);
    const scheduling = schedulerOptions(options, haltable?.journal, { estimates: note, remote: remoteNote, dagFile: read.note });
    // --logs: each shell attempt's whole output into the folder (refused with --redis)
    const logs = options.logsDir === undefined ? undefined : new TaskLogs(options.logsDir);
    // the store's password is kept from the tasks
    const shell = {
      ...(logs === undefined ? {} : { logs }),
      ...errorLinesOption(options.errorLines),
      hiddenVariables: store?.secretVariables ?? [],
    };
    // a journaled run's id is drawn again when the store already holds it
    const journaled =
      haltable === undefined
        ? undefined
        : createJournaledRun(
            loaded,
            scheduling,
            options.killGraceMs,
            () => newRunId(loaded.dag.id, new Date(now()), random),
            remote?.agents,
            shell,
          );
    const { run, groups } = journaled ?? createRun(loaded, scheduling, options.killGraceMs, remote?.agents, shell);
    if (loaded.dag.size === 0) io.stderr.write(`rxdag: warning: ${file} has no tasks; nothing to run\n`);
    for (const warning of shellTaskWarnings(read.spec)) io.stderr.write(`rxdag: warning: ${escapeControls(warning)}\n`);
    // counting and listening before the run starts: a port that cannot be had is refused with nothing run
    metrics = await openRunMetrics(
      run.events$,
      {
        port: options.metricsPort,
        host: options.metricsHost,
        pushUrl: options.metricsPush,
        until: haltable?.whenHalted(),
        lingerMs: options.metricsLingerMs,
      },
      notes,
    );
    traces = openRunTraces(run.events$, options.otlp, haltable?.whenHalted());
    // what only the report reads, made only for a report: per-task structures a run of 100k
    // tasks would otherwise carry to its end
    const report =
      options.reportPath === undefined
        ? undefined
        : {
            deps: depsOf(loaded.dag),
            setup: runSetupOf(loaded.spec, loaded.limits, note),
            maxConcurrency: options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY,
          };
    const code = await driveRun(
      {
        run,
        groups,
        dag: loaded.dag,
        ...report,
        notes,
        held,
        ...(logs === undefined ? {} : { logs }),
        source: file,
        ...(store === undefined || haltable === undefined || journaled === undefined
          ? {}
          : journaledTarget(store.location, haltable, journaled.runId, remoteNote?.resumeFlags ?? '')),
      },
      options,
      io,
    );
    closing.ended(code);
    // --metrics-push: once the run ended, however it ended; a run stopped before it started pushes nothing
    const exit =
      held.signal !== undefined
        ? code
        : await exitCodeAfterTraces(await exitCodeAfterPush(code, metrics?.push, loaded.dag.id, io.stderr), traces, io.stderr);
    lingers = ranToItsEnd(code);
    return exit;
  } finally {
    held.release();
    closing.ended(); // also when the run never started
    try {
      await remote?.close(); // after a Ctrl-C, once the workers were told to stop its attempts
      // the remote agents closed first: nothing is said of the workers while the endpoint waits
      if (lingers) await metrics?.linger(io.stderr);
      await metrics?.close();
      await traces?.finish(); // a run stopped by a signal sends its spans too
      await store?.close();
    } finally {
      closing.release();
    }
  }
}

/**
 * What `driveRun` needs of a journaled run: where it is journaled, how to halt it, and the
 * command that resumes it, under the id it has (`runId`: it may change until the run starts).
 */
function journaledTarget(where: StoreLocation, haltable: HaltableJournal, runId: () => string, resumeFlags: string): Partial<RunToDrive> {
  const resumeCommandOf = (id: string) => resumeCommandLine(id, where, resumeFlags);
  return {
    store: where,
    journal: haltable.journal,
    halt: haltable.halt,
    journalFailure: haltable.failure,
    resumeCommand: () => resumeCommandOf(runId()),
    announce: (first) => `rxdag: run ${first.runId} (journal ${where.label}; resume with: ${resumeCommandOf(first.runId)})`,
  };
}

/** What a run of the command line notes in its `metadata`, besides its mark. */
interface RunNotes {
  readonly estimates: EstimatesNote | undefined;
  readonly remote: RemoteNote | undefined;
  readonly dagFile: DagFileNote | undefined;
}

function schedulerOptions(
  options: RunCommandOptions,
  journal: Journal | undefined,
  notes: RunNotes,
): Omit<SchedulerOptions, 'agents' | 'runId'> {
  const metadata = {
    // what tells `rxdag resume` that the command line made the run (a program's is not its to resume)
    ...CLI_MARK,
    ...(notes.estimates === undefined ? {} : { [ESTIMATES_KEY]: notes.estimates }),
    ...(notes.remote === undefined ? {} : { [REMOTE_KEY]: notes.remote }),
    ...(notes.dagFile === undefined ? {} : { [DAG_FILE_KEY]: notes.dagFile }),
  };
  return {
    mode: options.mode,
    failurePolicy: options.failFast ? 'fail-fast' : 'skip-dependents',
    // the command line's agents (shell, sleep) never read their dependencies' outputs: none is
    // handed to them, nor sent to a worker with each remote job (a sink of 200 tasks carried all their outputs)
    contextInjection: false,
    ...(options.maxConcurrency === undefined ? {} : { maxConcurrency: options.maxConcurrency }),
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
    ...(journal === undefined ? {} : { journal }),
    metadata,
  };
}

/**
 * Where the run's store is, once no output would go into it (its folder holds other runs'
 * journals, also without a journal), overwrite the DAG file or another output, or fail to open,
 * and the `--logs` folder can take files.
 */
function checkedStore(file: string, options: RunCommandOptions): StoreLocation {
  const location = storeLocation(options.store, process.env);
  const problems = [
    ...outputProblems({ dagFile: file, events: options.eventsPath, report: options.reportPath, store: location }),
    ...logsFolderProblems(options.logsDir),
  ];
  if (problems.length > 0) throw new InvalidInputError(problems);
  return location;
}

/**
 * The run's options; when some are bad, one `InvalidInputError` with the file's problems too
 * (checked at the default concurrency), so that one round of fixes finds them all.
 */
function optionsOrEveryProblem(raw: RawRunOptions, io: CliIo, file: string): RunCommandOptions {
  try {
    return resolveRunOptions(raw, drawsProgress(io));
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    let fileProblems: readonly Problem[] = [];
    let fileWarnings: readonly string[] = [];
    try {
      // at no concurrency of the user's: the one given is the bad option
      loadDagFile(file, { checkRun: fileRunCheck(builtinAgents(0).agents, Number.MAX_SAFE_INTEGER), warnOfEnv: true });
    } catch (fileError) {
      if (!(fileError instanceof InvalidInputError)) throw fileError;
      fileProblems = fileError.problems;
      fileWarnings = fileError.warnings;
    }
    throw new InvalidInputError([...error.problems, ...fileProblems], fileWarnings);
  }
}

/** The results of two independent checks, or one `InvalidInputError` with the problems of both. */
function checkedTogether<A, B>(first: () => A, second: () => B): [A, B] {
  const problems: Problem[] = [];
  const warnings: string[] = [];
  const attempt = <T>(check: () => T): { readonly value: T } | undefined => {
    try {
      return { value: check() };
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      appendAll(problems, error.problems);
      appendAll(warnings, error.warnings);
      return undefined;
    }
  };
  const a = attempt(first);
  const b = attempt(second);
  if (a === undefined || b === undefined) throw new InvalidInputError(problems, warnings);
  return [a.value, b.value];
}
