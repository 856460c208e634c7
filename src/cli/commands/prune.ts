/**
 * `rxdag prune [RUN_ID...] [--store …] [--older-than DURATION] [--keep N] [--interrupted]
 * [--dry-run] [--logs DIR]`: forgets runs of a store, through the library's `journal.remove`. Named runs go
 * as named; without names, the runs `--older-than` and `--keep` select among those that ended
 * (see `pruneSelection.ts`). An interrupted run, which could still be resumed, stays unless
 * `--interrupted`; a running one always stays. Prints one line per run removed and a summary on
 * stdout (`--dry-run`: what it would remove, removing nothing). With `--logs DIR`, each run
 * removed loses its task logs there too (`pruneLogs.ts`); logs it could not remove: one line each
 * on stderr, exit 74.
 *
 * A run that another process removed between the listing and its removal (another `rxdag
 * prune`) is gone as asked: one line on stdout, counted apart, no error. A run it refuses
 * (unknown, running, interrupted), a run taken by a process between the listing and its
 * removal, a file of the store that cannot be read (never removed): one line each on stderr,
 * the other runs removed all the same, exit 2. Options that select no runs, or
 * too many ways: exit 2, nothing removed. A store that cannot be read or reached: one line,
 * exit 2. A folder without a store has nothing to remove (exit 0), unless runs are named.
 */
import { replayProblem } from '../../journal/replay';
import { type Journal, JournalCorruptError, type JournaledRunSummary, RunLockedError, RunNotResumableError } from '../../journal/journal';
import { escapeControls } from '../../dag/text';
import { ExitCode } from '../exitCodes';
import { formatClock } from '../output/textTable';
import { formatProblem, InvalidInputError, type Problem } from '../problems';
import { resumeCommandLine, resumeCommandOf } from '../store/resumeCommand';
import { pruneLogsProblems, removeRunLogs } from './pruneLogs';
import { openStore, type Store, storeExists } from '../store/openStore';
import { durationProblem, parseDuration, type PruneRule, runCountProblem, selectRunsToPrune } from '../store/pruneSelection';
import { listRuns, neverJournaled, notInStoreWithoutJournal, type RunList } from '../store/runList';
import { asRefusal, goneRemedy, refusalLine, setAsideHint } from '../store/storeErrors';
import { eventPlaces, type StoreLocation, storeLocation } from '../store/storeLocation';
import type { CliIo } from './cliIo';

/** `rxdag prune` options as commander hands them over. */
export interface RawPruneOptions {
  readonly store?: string;
  readonly olderThan?: string;
  readonly keep?: string;
  readonly interrupted?: boolean;
  readonly dryRun?: boolean;
  /** The folder `rxdag run --logs` wrote into: each removed run's logs there go too. */
  readonly logs?: string;
}

/** What the command will remove, and what it refused before removing anything. */
interface Plan {
  readonly remove: readonly JournaledRunSummary[];
  readonly kept: number;
  /** One line each: a named run it will not remove, a file of the store it cannot read. */
  readonly refusals: readonly string[];
}

/** What the command takes from the world: specs pass their own. */
export interface PruneWorld {
  /** The clock `--older-than` counts back from. @default Date.now */
  readonly now?: () => number;
  /** Opens the store to prune. @default openStore(location, 'read') */
  readonly open?: (location: StoreLocation) => Store;
}

/** Removes the runs named by `runIds`, or selected by the options; resolves with the exit code. */
export async function pruneCommand(runIds: readonly string[], raw: RawPruneOptions, io: CliIo, world: PruneWorld = {}): Promise<number> {
  const { now = Date.now, open = (location: StoreLocation) => openStore(location, 'read') } = world;
  const rule = pruneRuleOf(runIds, raw, now());
  const location = storeLocation(raw.store, process.env);
  if (rule !== undefined && !storeExists(location)) {
    io.stdout.write(`no runs to remove: ${location.label} has no journal (runs are journaled there by rxdag run)\n`);
    return ExitCode.ok;
  }
  const store = open(location);
  try {
    const { journal } = store;
    const listed = await listRuns(journal).catch((error: unknown) => asRefusal(error, location));
    if (rule === undefined && listed.runs.length === 0 && (await neverJournaled(store))) {
      for (const runId of new Set(runIds)) io.stderr.write(`rxdag: ${notInStoreWithoutJournal(runId, location)}\n`);
      return ExitCode.invalid;
    }
    const plan =
      rule === undefined
        ? namedRuns(runIds, listed, raw.interrupted === true, location, await resumeHints(journal, runIds, listed, location))
        : selectedRuns(listed, rule, location);
    for (const refusal of plan.refusals) io.stderr.write(`rxdag: ${formatProblem({ message: refusal })}\n`);
    if (plan.remove.length === 0) {
      // every run named was refused: the refusals said why, nothing more is to say
      if (rule === undefined && plan.refusals.length > 0) return ExitCode.invalid;
      io.stdout.write('no runs to remove\n');
      return plan.refusals.length === 0 ? ExitCode.ok : ExitCode.invalid;
    }
    if (journal.remove === undefined) throw new Error(`the journal at ${journal.location} cannot remove runs`);
    const verb = raw.dryRun === true ? 'would remove' : 'removed';
    let failed = 0;
    // removed by another process since the listing: gone all the same
    let removedElsewhere = 0;
    let logsLeft = 0;
    // the run's logs go once its journal went (a run whose removal was refused keeps them)
    const logsOf = (runId: string): string => {
      if (raw.logs === undefined) return '';
      const logs = removeRunLogs(raw.logs, runId, raw.dryRun === true);
      if (logs.kind === 'removed') return ` and its logs ${escapeControls(logs.folder)}`;
      if (logs.kind === 'failed') {
        const what = raw.dryRun === true ? 'cannot look at' : 'could not remove';
        io.stderr.write(`rxdag: ${what} the logs of run "${escapeControls(runId)}" (${escapeControls(logs.folder)}): ${logs.reason}\n`);
        logsLeft += 1;
      }
      return '';
    };
    for (const run of plan.remove) {
      const removal =
        raw.dryRun === true ? undefined : await journal.remove(run.runId).then(() => undefined, removalOf(run.runId, location));
      if (removal === 'removed elsewhere') {
        io.stdout.write(`already removed ${escapeControls(run.runId)}  (by another process, since the listing)${logsOf(run.runId)}\n`);
        removedElsewhere += 1;
      } else if (removal !== undefined) {
        io.stderr.write(`rxdag: ${formatProblem({ message: removal.refusal })}\n`);
        failed += 1;
      } else io.stdout.write(`${verb} ${escapeControls(run.runId)}  (${whenOf(run)})${logsOf(run.runId)}\n`);
    }
    const removed = plan.remove.length - failed - removedElsewhere;
    const elsewhere = removedElsewhere === 0 ? '' : `; ${removedElsewhere} already removed by another process`;
    const notRemoved = failed === 0 ? '' : `; ${failed} not removed`;
    io.stdout.write(`${verb} ${removed} ${removed === 1 ? 'run' : 'runs'}; ${plan.kept} kept${elsewhere}${notRemoved}\n`);
    if (plan.refusals.length > 0 || failed > 0) return ExitCode.invalid;
    return logsLeft === 0 ? ExitCode.ok : ExitCode.outputFailed;
  } finally {
    await store.close();
  }
}

/**
 * The selection the options ask for, or undefined when runs are named; every problem with them
 * at once (an `InvalidInputError`, exit 2), before the store is opened.
 */
function pruneRuleOf(runIds: readonly string[], raw: RawPruneOptions, now: number): PruneRule | undefined {
  const problems: Problem[] = [...pruneLogsProblems(raw.logs)];
  let olderThanMs: number | undefined;
  if (raw.olderThan !== undefined) {
    olderThanMs = parseDuration(raw.olderThan);
    const problem = durationProblem(raw.olderThan);
    if (problem !== undefined) problems.push({ message: `--older-than ${problem} (got ${JSON.stringify(raw.olderThan)})` });
  }
  let keep: number | undefined;
  if (raw.keep !== undefined) {
    keep = /^\d+$/.test(raw.keep) ? Number(raw.keep) : Number.NaN;
    if (!Number.isSafeInteger(keep)) problems.push({ message: `--keep ${runCountProblem(raw.keep, 0)} (got ${JSON.stringify(raw.keep)})` });
  }
  const selecting = raw.olderThan !== undefined || raw.keep !== undefined;
  if (runIds.length > 0 && selecting)
    problems.push({
      message: 'RUN_ID arguments cannot go with --older-than or --keep: name the runs to remove, or select them by age and count',
    });
  if (runIds.length === 0 && !selecting)
    problems.push({
      message:
        'say which runs to remove: name them (rxdag prune RUN_ID...), or select ended runs with --older-than DURATION (e.g. 30d) and/or --keep N (the newest N of each DAG stay)',
    });
  if (problems.length > 0) throw new InvalidInputError(problems);
  if (runIds.length > 0) return undefined;
  return {
    // 0s: every ended run, also one whose end a clock ahead of this one wrote as still to come
    ...(olderThanMs === undefined || olderThanMs === 0 ? {} : { before: now - olderThanMs }),
    ...(keep === undefined ? {} : { keep }),
    interrupted: raw.interrupted === true,
  };
}

/**
 * How each interrupted run `runIds` name is resumed, for its refusal: `rxdag resume ID`, or, for
 * a run a program made (its tasks name agents the command line does not have), `resumeRun` there;
 * for one whose journal is corrupt, which no resume takes, what is wrong with it (`corrupt`).
 */
async function resumeHints(
  journal: Journal,
  runIds: readonly string[],
  { runs }: RunList,
  location: StoreLocation,
): Promise<ReadonlyMap<string, ResumeHint>> {
  const hints = new Map<string, ResumeHint>();
  for (const run of runs) {
    if (run.status !== 'interrupted' || !runIds.includes(run.runId)) continue;
    let corrupt: string | undefined;
    const unread =
      <T>(value: T) =>
      (error: unknown) => {
        if (error instanceof JournalCorruptError) corrupt = error.message;
        return value;
      };
    const header = await journal.header(run.runId).catch(unread(undefined));
    // (events that cannot be read: the header's own note, as a run not resumed yet has)
    const history = header === undefined ? [] : await journal.events(run.runId).catch(unread([]));
    // events each well-formed that no run can have gone through (a task completed that never started): found by the replay a resume makes
    if (corrupt === undefined && header !== undefined)
      corrupt = replayProblem({ header, events: history, placeOf: eventPlaces(location, run.runId) })?.message;
    if (corrupt !== undefined) {
      hints.set(run.runId, { corrupt });
      continue;
    }
    // the command line's run resumes with the flags that reach its workers (`--redis …`), as `rxdag show` says
    const command = header === undefined ? resumeCommandLine(run.runId, location) : resumeCommandOf(run.runId, header, location, history);
    hints.set(run.runId, {
      command: command ?? `resumeRun(journal, ${JSON.stringify(run.runId)}, { agents }) in the program that made it`,
    });
  }
  return hints;
}

/** How a named interrupted run is resumed, or why none can resume it. */
type ResumeHint = { readonly command: string } | { readonly corrupt: string };

/** The runs `runIds` name, each once; a name that is unknown, running, unreadable or (without `--interrupted`) interrupted is refused. */
function namedRuns(
  runIds: readonly string[],
  { runs, unreadable }: RunList,
  interrupted: boolean,
  location: StoreLocation,
  hints: ReadonlyMap<string, ResumeHint>,
): Plan {
  const byId = new Map(runs.map((run) => [run.runId, run]));
  const remove: JournaledRunSummary[] = [];
  const refusals: string[] = [];
  for (const runId of new Set(runIds)) {
    const run = byId.get(runId);
    // another run's unreadable file does not keep this one from going; its own does
    const own = unreadable.find((error) => error.runId === runId);
    if (own !== undefined) refusals.push(`${own.message} (not removed${setAsideHint(own, location)})`);
    else if (run === undefined) refusals.push(refusalLine(new RunNotResumableError(runId, 'unknown'), location)!);
    else if (run.status === 'running') {
      // a lock of another host is listed as running too: its owner names the file to remove once that process is gone
      const owner = run.owner ?? 'a live process';
      refusals.push(`run "${runId}" is running, owned by ${owner}: wait for it to end or stop it first${goneRemedy(owner)}`);
    } else if (run.status === 'interrupted' && !interrupted) {
      const hint = hints.get(runId)!;
      refusals.push(
        'command' in hint
          ? `run "${runId}" is interrupted and can still be resumed (${hint.command}); add --interrupted to remove it anyway`
          : `run "${runId}" is interrupted, and no resume can take it: ${hint.corrupt}; add --interrupted to remove it`,
      );
    } else remove.push(run);
  }
  return { remove, kept: runs.length - remove.length, refusals };
}

/** The runs `rule` selects; the files of the store that cannot be read stay, each refused in one line as `rxdag runs` reports it. */
function selectedRuns({ runs, unreadable }: RunList, rule: PruneRule, location: StoreLocation): Plan {
  const { remove, kept } = selectRunsToPrune(runs, rule);
  return { remove, kept, refusals: unreadable.map((error) => `${error.message} (not removed${setAsideHint(error, location)})`) };
}

/**
 * What the refusal to remove `runId` means: a run that is not in the store any more was
 * `removed elsewhere` (by another process since the listing: gone as asked); one a process took
 * since the listing is refused, with the line why (the others are removed all the same). A
 * store that fails is thrown as its refusal (exit 2: nothing more is removed).
 */
function removalOf(runId: string, location: StoreLocation) {
  return (error: unknown): 'removed elsewhere' | { readonly refusal: string } => {
    if (error instanceof RunNotResumableError) return 'removed elsewhere';
    if (error instanceof RunLockedError) return { refusal: refusalLine(error, location)! };
    return asRefusal(error, location, `remove run "${runId}"`);
  };
}

/** How a run stands, as its line says it: `succeeded, ended 2026-11-02 03:10:00`. */
function whenOf(run: JournaledRunSummary): string {
  if (run.endedAt !== undefined) return `${run.status}, ended ${formatClock(run.endedAt)}`;
  return run.startedAt === undefined ? `${run.status}, never started` : `${run.status}, started ${formatClock(run.startedAt)}`;
}
