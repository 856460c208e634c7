/**
 * Which run a bare `rxdag resume` goes on with: the newest interrupted run of the store that the
 * command line made, or a refusal in one line that says why none is (a program's run, one a
 * later run of its DAG followed, a store of running or ended runs only, each with what to do).
 * It reads the store's listing and headers, and resumes nothing.
 */
import type { JournaledRunSummary, JournalHeader } from '../../index';
import { InvalidInputError } from '../problems';
import type { Store } from './openStore';
import { programRunProblem } from './programRuns';
import { resumeCommandLine } from './resumeCommand';
import { headersAtOnce, listRuns, neverJournaled, startedOver } from './runList';
import { asRefusal, CANCELLED_RUN_HINT, FAILED_RUN_HINT, goneRemedy, setAsideHint } from './storeErrors';
import { storeFlag } from './storeLocation';

/**
 * The newest run of the store whose process stopped before it ended. When a program made it,
 * it is refused, naming the newest the command line made: resuming an older run in its place
 * would run again what its user may have given up on. One a later run of its DAG followed (a run
 * started over, after a fix) is passed over, and named when no other is left: its old commands
 * would run after the new ones.
 */
export async function newestInterrupted(store: Store): Promise<string> {
  const { runs, unreadable } = await listRuns(store.journal).catch((error: unknown) => asRefusal(error, store.location));
  if (unreadable.length > 0) {
    // the newest interrupted run may be the one that cannot be read: name it rather than guess
    throw new InvalidInputError(
      unreadable.map((error) => ({
        message: `${error.message}; which interrupted run is the newest cannot be told: name the run (rxdag resume RUN_ID)${setAsideHint(error, store.location)}`,
      })),
    );
  }
  // interrupted runs a later run of their DAG followed are passed over, named if none is left
  const interrupted = runs.filter((run) => run.status === 'interrupted').map((run) => run.runId);
  const later = await startedOver(store.journal, runs, { atOnce: headersAtOnce(store.location) });
  const [newest, ...older] = interrupted.filter((runId) => !later.has(runId));
  if (newest === undefined && interrupted[0] !== undefined) {
    const passed = interrupted[0];
    const superseded = later.get(passed)!;
    throw new InvalidInputError([
      {
        message:
          `the newest interrupted run, ${passed}, was followed by run ${superseded.runId} of the same DAG ` +
          `(${superseded.status}): resuming it would run its tasks as they were journaled then, after the newer run; ` +
          `to resume it all the same, name it: ${resumeCommandLine(passed, store.location)}`,
      },
    ]);
  }
  if (newest !== undefined) {
    const header = await headerOf(store, newest);
    const refused = programRunProblem(newest, header);
    if (refused === undefined) return newest;
    // said with the agents of the tasks it spawned too, as when it is named
    const history = await store.journal.events(newest).catch(() => []);
    const programs = programRunProblem(newest, header, history) ?? refused;
    let cliRun: string | undefined;
    for (const runId of older) {
      if (programRunProblem(runId, await headerOf(store, runId)) !== undefined) continue;
      cliRun = runId;
      break;
    }
    const instead =
      cliRun === undefined
        ? 'no other interrupted run of the store is one the command line goes on with (rxdag runs lists them)'
        : `the newest the command line made: ${resumeCommandLine(cliRun, store.location)}`;
    throw new InvalidInputError([{ message: `the newest interrupted run is a program's: ${programs}; ${instead}` }]);
  }
  const running = runs.filter((run) => run.status === 'running');
  const why =
    runs.length === 0
      ? (await neverJournaled(store))
        ? 'it has no journal: runs are journaled there by rxdag run'
        : 'it has no runs'
      : running.length > 0
        ? `${running.length} running now, the others ended`
        : 'every run ended';
  // a run stopped with Ctrl-C is the likely one asked for: say why it cannot be resumed
  const last = runs[0];
  const ended = last?.status === 'cancelled' ? 'was cancelled' : last?.status === 'failed' ? 'failed' : undefined;
  // the hints (Ctrl-C cancels, run the DAG file again) are the command line's: not for a program's run
  // a record that cannot be read counts as a program's, as for the started-over marks
  const byCli =
    ended !== undefined &&
    (await store.journal.header(last!.runId).then(
      (header) => programRunProblem(last!.runId, header) === undefined,
      () => false,
    ));
  const hinted = byCli ? ` (${last!.status === 'cancelled' ? CANCELLED_RUN_HINT : FAILED_RUN_HINT})` : '';
  const newestCancelled = ended === undefined ? '' : `; the newest, ${last!.runId}, ${ended}${hinted}`;
  throw new InvalidInputError([
    {
      message: `no interrupted run to resume in the store ${store.location.label} (${why}; rxdag runs${storeFlag(store.location)} lists them)${newestCancelled}${ownerHint(running, store)}`,
    },
  ]);
}

/**
 * Who owns the newest running run: a lock of another host looks live from here (a CI job that
 * carried the store of a container killed before it), and its owner's line names the lock file to
 * remove once that process is gone. A store that names no owner gets the resume that would.
 */
function ownerHint(running: readonly JournaledRunSummary[], store: Store): string {
  const newest = running[0];
  if (newest === undefined) return '';
  if (newest.owner !== undefined)
    return `; the newest running one, ${newest.runId}, is owned by ${newest.owner}${goneRemedy(newest.owner)}`;
  return `; if the process of the newest running one is gone (its host or container no longer runs), ${resumeCommandLine(newest.runId, store.location)} says whose lock holds it`;
}

/** A run's header, or its refusal (a corrupt journal, an unreachable store). */
async function headerOf(store: Store, runId: string): Promise<JournalHeader> {
  try {
    return await store.journal.header(runId);
  } catch (error) {
    return asRefusal(error, store.location);
  }
}
