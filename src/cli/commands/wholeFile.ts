/**
 * Writes an output that is made whole at once (the HTML report) so that a write that fails (a
 * full disk) leaves the earlier file whole, not cut short: a regular file, or none yet, is written
 * beside and renamed over it; a FIFO, a device or a symbolic link is written in place (`openOutput`).
 * It does not check the path first (`writeTarget.ts` does) nor word the error (the caller does).
 */
import { closeSync, fchmodSync, lstatSync, openSync, renameSync, rmSync, type Stats, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openOutput } from './writeTarget';

/** Errors of writes that left the file as it was (written beside it, never renamed over it). */
const leftWhole = new WeakSet<object>();

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
 * having done nothing, when `file` is no regular file, or its folder takes no new file of ours
 * (only the file itself may be writable).
 */
function replaceWhole(file: string, text: string): boolean {
  const before = lstatOf(file);
  if (before !== undefined && !before.isFile()) return false;
  const beside = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.rxdag-tmp`);
  let fd: number;
  try {
    fd = openSync(beside, 'wx');
  } catch (error) {
    if (['EACCES', 'EPERM', 'EROFS', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) return false;
    throw leftAsWas(error);
  }
  try {
    try {
      if (before !== undefined) fchmodSync(fd, before.mode & 0o7777);
      writeFileSync(fd, text);
    } finally {
      closeSync(fd);
    }
    renameSync(beside, file);
  } catch (error) {
    rmSync(beside, { force: true });
    throw leftAsWas(error);
  }
  return true;
}

function leftAsWas(error: unknown): unknown {
  if (typeof error === 'object' && error !== null) leftWhole.add(error);
  return error;
}

function lstatOf(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch {
    return undefined;
  }
}
