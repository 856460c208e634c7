/**
 * The task logs `rxdag prune --logs DIR` removes with each run: the folder `DIR/<run>` that
 * `rxdag run --logs DIR` wrote its attempts' logs into (the run id made a file name as the logs
 * make it). The check of `DIR` before anything is removed, and the removal of one run's folder
 * after its journal went. A run without such a folder (it ran without `--logs`, or its logs were
 * removed by hand) has nothing to remove. It does not remove the journal (`prune.ts` does) nor
 * anything in `DIR` but the folders of the runs removed.
 */
import { lstatSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { runFolderName } from '../agents/taskLogs';
import { pathSlip } from '../pathSlips';
import type { Problem } from '../problems';
import { describeIoError } from './writeTarget';

/**
 * What is wrong with `--logs DIR` (none when it is not given): empty, or a file. A folder that
 * does not exist is fine: no run has logs there.
 */
export function pruneLogsProblems(dir: string | undefined): Problem[] {
  if (dir === undefined) return [];
  if (dir === '') return [{ message: '--logs needs the folder path given to rxdag run --logs' }];
  const slip = pathSlip('--logs', dir);
  if (slip !== undefined) return [{ message: slip }];
  let isFolder = true;
  try {
    isFolder = statSync(dir).isDirectory();
  } catch (error) {
    // a file on the way is a wrong path; a folder not there has no logs, one not reachable is told run by run
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR')
      return [{ message: `--logs ${JSON.stringify(dir)}: ${describeIoError(error)}` }];
  }
  return isFolder ? [] : [{ message: `--logs ${JSON.stringify(dir)} is a file: give the folder given to rxdag run --logs` }];
}

/** What became of a run's logs: none there, removed (or, with a dry run, there to remove), or not removed and why. */
export type RunLogsRemoval =
  | { readonly kind: 'none' }
  | { readonly kind: 'removed'; readonly folder: string }
  | { readonly kind: 'failed'; readonly folder: string; readonly reason: string };

/**
 * Removes the folder of `runId`'s logs in `dir`, with what is in it (`dryRun`: only looks). A
 * symbolic link at its name is removed, not followed.
 */
export function removeRunLogs(dir: string, runId: string, dryRun: boolean): RunLogsRemoval {
  const folder = path.join(dir, runFolderName(runId));
  try {
    lstatSync(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'failed', folder, reason: describeIoError(error) };
  }
  if (dryRun) return { kind: 'removed', folder };
  try {
    rmSync(folder, { recursive: true, force: true });
    return { kind: 'removed', folder };
  } catch (error) {
    return { kind: 'failed', folder, reason: describeIoError(error) };
  }
}
