/**
 * The names of a run's files in the file journal: its id escaped into one plain file name (a
 * long id shortened and ended with a hash), and the journal file of a run in a folder. It reads
 * and writes no file.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';

/**
 * Longest name kept whole: 255 bytes (a file name's limit on Linux and macOS) less room for the
 * longest suffix a run's files get (`.lock.<pid>.<random>`, a lock written aside: < 32 bytes).
 */
export const MAX_NAME_BYTES = 255 - 32;
/** Hex digits of the hash that stands for the rest of a long id. */
const HASH_DIGITS = 32;

/**
 * A run's file name: its id, escaped so any id is one plain file name. A name that would be too
 * long for the file system (an id of 256 wide characters escapes to ~2,300 bytes) keeps its
 * start and ends in a hash of the whole id, after `%7E` (an escaped `~`, which escaping never
 * writes, so no whole id's name has it).
 */
export function fileNameOf(runId: string): string {
  const name = encodeURIComponent(runId).replace(/^\./, '%2E');
  if (name.length <= MAX_NAME_BYTES) return name;
  const hash = createHash('sha256').update(runId).digest('hex').slice(0, HASH_DIGITS);
  const start = name.slice(0, MAX_NAME_BYTES - HASH_DIGITS - 3).replace(/%[0-9A-F]?$/, ''); // no escape cut in two
  return `${start}%7E${hash}`;
}

/**
 * The journal file of `runId` in the file journal at `dir`, whether there is one or not: for a
 * message that names the file (its line `seq + 1` holds the event of `seq`).
 *
 * @example
 * journalFileOf('.rxdag', 'nightly-42') // '/home/ci/.rxdag/nightly-42.jsonl'
 */
export function journalFileOf(dir: string, runId: string): string {
  return path.join(path.resolve(dir), `${fileNameOf(runId)}.jsonl`);
}

/**
 * Where the event of `seq` stands in the journal file `file`, for a message: `<file>:<line>`
 * (the header is line 1, so the event of `seq` is on line `seq + 1`).
 *
 * @example
 * placeInFile('/home/ci/.rxdag/nightly-42.jsonl', 4) // '/home/ci/.rxdag/nightly-42.jsonl:5'
 */
export function placeInFile(file: string, seq: number): string {
  return `${file}:${seq + 1}`;
}
