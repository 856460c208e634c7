import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '../problems';

/**
 * Fails early (exit 2, nothing run) when an output file cannot be written: its folder is
 * missing or read-only, or the path is a folder. Better than learning it after a long run.
 */
export function checkWritable(flag: string, file: string): void {
  const folder = path.dirname(path.resolve(file));
  let reason: string | undefined;
  try {
    if (!statSync(folder).isDirectory()) reason = `"${folder}" is not a directory`;
    else accessSync(folder, constants.W_OK);
    if (reason === undefined && isDirectory(file)) reason = 'it is a directory';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    reason =
      code === 'ENOENT'
        ? `folder "${folder}" does not exist`
        : code === 'EACCES'
          ? `folder "${folder}" is not writable`
          : (error as Error).message;
  }
  if (reason !== undefined) throw new InvalidInputError([{ message: `${flag}: cannot write "${file}": ${reason}` }]);
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}
