/**
 * The command that resumes an interrupted run of the command line, as `rxdag show` and the note
 * of `rxdag run` give it: `rxdag resume RUN_ID`, with `--store` when the flag chose the store,
 * the flags that reach the run's workers (the remote note of its latest start), and what to do where a password is
 * shown as `***`. It resumes nothing, and judges only whose run it is: a program's run is not
 * the command line's to resume, and gets none.
 */
import type { DagEvent, JournalHeader } from '../../index';
import { latestRemoteNote, passwordToGive } from '../remote/remoteNote';
import { commandLine } from '../shellWord';
import { programRunProblem } from './programRuns';
import { type StoreLocation, storeFlag } from './storeLocation';

/**
 * The command line that resumes `runId` (whose events are `history`), or `undefined` for a program's run.
 *
 * @example
 * resumeCommandOf('nightly-20261204-0915-1a2b', header, storeLocation('runs', {}), events)
 * // 'rxdag resume nightly-20261204-0915-1a2b --store runs --redis redis://h:6379/0'
 */
export function resumeCommandOf(
  runId: string,
  header: JournalHeader,
  location: StoreLocation,
  history: readonly DagEvent[],
): string | undefined {
  if (programRunProblem(runId, header, history) !== undefined) return undefined;
  return resumeCommandLine(runId, location, latestRemoteNote(header, history)?.resumeFlags ?? '');
}

/**
 * `rxdag resume RUN_ID`, with `--store` when the flag chose `location` and the run's remote
 * `resumeFlags` (` --redis …`), and what to do where they show a password as `***`: the one
 * spelling of a run's resume command, for a run whose owner is already known.
 */
export function resumeCommandLine(runId: string, location: StoreLocation | undefined, resumeFlags = ''): string {
  const flags = `${location === undefined ? '' : storeFlag(location)}${resumeFlags}`;
  return `${commandLine('rxdag resume', runId, flags)}${passwordToGive(flags)}`;
}
