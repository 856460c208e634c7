/**
 * The check of `rxdag run --logs DIR` and `rxdag resume --logs DIR` before anything runs (exit 2
 * with the other problems): the path is given, it is not a file, and a file can really be made in
 * it. A missing folder is made for the check, with its parents, and removed again with them, as
 * a file made in it is: a refused command leaves the disk as it was. It does not write the logs
 * (`taskLogs.ts` does, making the folder again) and cannot promise that their writes succeed.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { pathSlip } from '../pathSlips';
import type { Problem } from '../problems';
import { describeIoError } from './writeTarget';

/**
 * What is wrong with `--logs DIR` (none when it is not given):
 * `--logs "out.txt" is a file: give a folder (it is made if missing)`, or
 * `--logs: cannot write into "/ro/logs": EACCES (permission denied)`.
 */
export function logsFolderProblems(dir: string | undefined): Problem[] {
  if (dir === undefined) return [];
  if (dir === '') return [{ message: '--logs needs a folder path' }];
  const slip = pathSlip('--logs', dir);
  if (slip !== undefined) return [{ message: slip }];
  let isFolder: boolean | undefined;
  try {
    isFolder = statSync(dir).isDirectory();
  } catch {
    // not there (yet), or not reachable: the probe below says which
  }
  if (isFolder === false) return [{ message: `--logs ${JSON.stringify(dir)} is a file: give a folder (it is made if missing)` }];
  const reason = probeReason(dir);
  return reason === undefined ? [] : [{ message: `--logs: cannot write into ${JSON.stringify(dir)}: ${reason}` }];
}

/**
 * Makes `dir` if it is missing, creates a file in it and removes what it made: undefined when
 * all of that worked, else the first error (`ENOTDIR (not a directory)` for a file on the way).
 */
function probeReason(dir: string): string | undefined {
  let made: string | undefined;
  try {
    made = madeOneByOne(dir);
  } catch (error) {
    return describeIoError(error);
  }
  const probe = path.join(dir, `.rxdag-logs-check-${randomBytes(6).toString('hex')}`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
    return undefined;
  } catch (error) {
    return describeIoError(error);
  } finally {
    if (made !== undefined) removeFolders(path.resolve(dir), path.resolve(made));
  }
}

/**
 * Makes `dir` and the folders above it that are missing, one at a time: the first it made, if
 * any. Node's recursive mkdir says ENOENT where a folder cannot be made on a read-only file
 * system; this throws what the system said (EROFS).
 */
function madeOneByOne(dir: string): string | undefined {
  const missing: string[] = [];
  for (let at = path.resolve(dir); !existsSync(at); at = path.dirname(at)) {
    missing.push(at);
    if (path.dirname(at) === at) break;
  }
  for (const folder of [...missing].reverse()) mkdirSync(folder);
  return missing.at(-1);
}

/** Removes `deepest` and the folders above it up to `top` (made by one recursive mkdir), as far as it can. */
function removeFolders(deepest: string, top: string): void {
  for (let folder = deepest; ; folder = path.dirname(folder)) {
    try {
      rmdirSync(folder);
    } catch {
      return; // not empty (something else wrote there meanwhile): kept
    }
    if (folder === top || path.dirname(folder) === folder) return;
  }
}
