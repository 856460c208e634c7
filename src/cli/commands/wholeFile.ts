/**
 * Writes an output that is made whole at once (the HTML report) so that a write that fails (a
 * full disk) leaves the earlier file whole, not cut short: a regular file of ours with one name,
 * or none yet, is written beside, flushed, and renamed over it. Written in place (`openOutput`),
 * as any file was before: a FIFO, a device, a symbolic link, a file with other names (hard links)
 * or another owner (a rename would make it another file), and wherever the file beside cannot be
 * made or renamed over it (a folder only the file in it is writable in, a sticky folder, a file
 * mounted on its own in a container, a name too long to add to). It does not check the path first
 * (`writeTarget.ts` does) nor word the error (the caller does).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, lstatSync, openSync, renameSync, rmSync, type Stats, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OUTPUT_MODE, openOutput } from './writeTarget';

/** Errors of writes that left the file as it was (written beside it, never renamed over it). */
const leftWhole = new WeakSet<object>();

/** What the file beside cannot be made, or renamed over the file, for: then the file is written in place. */
const CANNOT_REPLACE = new Set(['EACCES', 'EPERM', 'EROFS', 'EEXIST', 'ENAMETOOLONG', 'EBUSY', 'EXDEV']);

/** Whether `error`, thrown by {@link writeWholeFile}, left the file as it was (an earlier file whole, or none made). */
export function leftAsItWas(error: unknown): boolean {
  return typeof error === 'object' && error !== null && leftWhole.has(error);
}

/** Writes `text` as the whole of `file`; throws the error of the write (see {@link leftAsItWas}). */
export function writeWholeFile(file: string, text: string): void {
  if (replaceWhole(file, text)) return;
  const fd = openOutput(file, 'w');
  try {
    writeFileSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `text` into a file beside `file` and renames it over `file` (whose mode it keeps). False,
 * having done nothing, when `file` is to be written in place (see the module's comment).
 */
function replaceWhole(file: string, text: string): boolean {
  const before = lstatOf(file);
  if (before !== undefined && !(before.isFile() && before.nlink === 1 && before.uid === process.getuid?.())) return false;
  const beside = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.rxdag-tmp`);
  let fd: number;
  try {
    fd = openSync(beside, 'wx', OUTPUT_MODE);
  } catch (error) {
    if (CANNOT_REPLACE.has(codeOf(error))) return false;
    throw markLeftWhole(error);
  }
  try {
    try {
      if (before !== undefined) fchmodSync(fd, before.mode & 0o7777);
      writeFileSync(fd, text);
      fsyncSync(fd); // the text on disk before its name is: a crash then leaves the earlier file, not an empty one
    } finally {
      closeSync(fd);
    }
    renameSync(beside, file);
  } catch (error) {
    rmSync(beside, { force: true });
    if (CANNOT_REPLACE.has(codeOf(error))) return false; // the rename: written in place instead
    throw markLeftWhole(error);
  }
  return true;
}

function markLeftWhole(error: unknown): unknown {
  if (typeof error === 'object' && error !== null) leftWhole.add(error);
  return error;
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? '';
}

function lstatOf(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch {
    return undefined;
  }
}
