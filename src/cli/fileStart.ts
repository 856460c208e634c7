/**
 * The first bytes of a regular file, read without reading the rest: what a check needs to tell
 * what a file is (a run's journal, a binary file) before a command writes over it or reads it
 * whole. It decides nothing about what it reads.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/**
 * At most `bytes` bytes from the start of the regular file `file` of at most `largest` bytes;
 * `undefined` for anything else (a FIFO, a device, a folder, a file larger than `largest`) and
 * for what cannot be read: the command's own read or write then says why.
 */
export function fileStart(file: string, bytes: number, largest = Number.POSITIVE_INFINITY): Buffer | undefined {
  let fd: number | undefined;
  try {
    const stat = statSync(file);
    if (!stat.isFile() || stat.size > largest) return undefined;
    fd = openSync(file, 'r');
    const start = Buffer.alloc(bytes);
    return start.subarray(0, readSync(fd, start, 0, bytes, 0));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
