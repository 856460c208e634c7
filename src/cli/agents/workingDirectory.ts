/**
 * Whether a shell task can start in a folder: it must be an existing directory this process may
 * enter, or `/bin/sh` fails to start with a bare `spawn /bin/sh EACCES` that names neither the
 * folder nor the cause. Used when a DAG file is read (`rxdag validate` refuses what `run` would
 * only find out when the task starts) and by the shell agent before each attempt. Reads the file
 * system; changes nothing, creates no folder.
 */
import { statSync } from 'node:fs';
import path from 'node:path';

/** The problem of a folder that is not there, as {@link workingDirectoryProblem} says it. */
export const NOT_A_DIRECTORY = 'is not an existing directory';

/** What keeps a shell task from starting in `directory` ({@link NOT_A_DIRECTORY}), or `undefined` when nothing does. */
export function workingDirectoryProblem(directory: string): string | undefined {
  try {
    if (!statSync(directory).isDirectory()) return 'is a file, not a directory';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES') return 'cannot be reached (permission denied on a folder above it)';
    const file = code === 'ENOTDIR' ? fileAbove(directory) : undefined;
    return file === undefined ? NOT_A_DIRECTORY : `is under a file (${file}), not a directory`;
  }
  try {
    // the folder's own `.` resolves only with the permission to enter it, checked as the
    // effective user (`access()` would check the real one)
    statSync(`${directory}/.`);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EACCES' ? 'cannot be entered (permission denied)' : `cannot be entered (${code ?? String(error)})`;
  }
}

/** The file on the way to `directory` (`/ci/notes.txt` of `/ci/notes.txt/sub`), if one is. */
function fileAbove(directory: string): string | undefined {
  for (let above = path.dirname(directory); above !== path.dirname(above); above = path.dirname(above)) {
    try {
      return statSync(above).isFile() ? above : undefined;
    } catch {
      // not there either: look further up
    }
  }
  return undefined;
}
