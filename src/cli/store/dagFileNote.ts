/**
 * What a journaled run notes of the DAG file it was started from: the file's absolute path and
 * a digest of its text, in the run's `metadata` (`dagFile`). A resume runs the DAG as journaled,
 * not the file; when the file has changed since, it says so, as a user who edited the file may
 * expect the resume to take the edit. It decides nothing, and says nothing of a file that is gone
 * or cannot be read (moved, another machine): that changes nothing for the resume.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { readDagText } from '../dagFile/readDagText';
import { shellWord } from '../shellWord';

/** The key of the run's `metadata` that notes its DAG file. */
export const DAG_FILE_KEY = 'dagFile';

/** The DAG file a run was started from. */
export interface DagFileNote {
  /** Its absolute path. */
  readonly path: string;
  /** The SHA-256 of its text, in hex. */
  readonly sha256: string;
}

/** The note of the file `fileName`, of text `text`. */
export function dagFileNote(fileName: string, text: string): DagFileNote {
  return { path: path.resolve(fileName), sha256: digestOf(text) };
}

/**
 * The line (without `rxdag: `) that says the DAG file of run `runId` has changed since it
 * started, or `undefined`: unchanged, gone, unreadable, or a run that noted no file (a program's,
 * or one of an earlier version).
 *
 * @example
 * dagFileChange('nightly-20261204-0915-1a2b', header.options.metadata, '/work')
 * // 'note: nightly.yaml has changed since run nightly-20261204-0915-1a2b started; it goes on with its DAG as journaled (rxdag run nightly.yaml runs the file as it is now)'
 */
export function dagFileChange(
  runId: string,
  metadata: Readonly<Record<string, unknown>> | undefined,
  cwd = process.cwd(),
): string | undefined {
  const note = metadata?.[DAG_FILE_KEY];
  if (typeof note !== 'object' || note === null) return undefined;
  const { path: file, sha256 } = note as Record<string, unknown>;
  if (typeof file !== 'string' || typeof sha256 !== 'string') return undefined;
  let text: string;
  try {
    // a path from the journal, which another may have edited: a regular file only (a FIFO would
    // block the command before the journal is judged)
    if (!statSync(file).isFile()) return undefined;
    text = readDagText(file); // as the run read it (a byte order mark left out)
  } catch {
    return undefined;
  }
  if (digestOf(text) === sha256) return undefined;
  const relative = path.relative(cwd, file);
  const shown = shellWord(relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file);
  return (
    `note: ${shown} has changed since run ${runId} started; it goes on with its DAG as journaled ` +
    `(rxdag run ${shown} runs the file as it is now)`
  );
}

function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
