/**
 * A torn last line of a run's journal file (bytes after its last newline: a write a crash cut
 * short, never acknowledged), as the commands tell of it before `resume` moves it aside: where it
 * is, how long, where it goes, in words. It reads the file's end only and changes nothing (the
 * journal's `resume` moves the line).
 */
import { journalFileOf } from './fileNames';
import { readTornTail, type TornTail } from './fileRecord';

/** The torn last line of a run's journal file in the folder `dir` (see `tornTailOf`). */
export interface JournalTornTail extends TornTail {
  /** The journal file. */
  readonly file: string;
  /** Where `resume` moves it. */
  readonly keptIn: string;
}

/**
 * The torn last line of the journal of `runId` in the file journal at `dir` (bytes after its
 * last newline: a write a crash cut, never acknowledged), which the run's next `resume` moves to
 * `<run>.jsonl.torn`; `undefined` when there is none or no such file. Reads the file's end only
 * and changes nothing.
 *
 * @example
 * tornTailOf('.rxdag', 'nightly-42') // { file: '/…/nightly-42.jsonl', at: 4096, bytes: 13, keptIn: '/…/nightly-42.jsonl.torn' }
 */
export function tornTailOf(dir: string, runId: string): JournalTornTail | undefined {
  const file = journalFileOf(dir, runId);
  let tail: TornTail | undefined;
  try {
    tail = readTornTail(file);
  } catch {
    return undefined; // not there, or not readable: the read of its record says so
  }
  return tail === undefined ? undefined : { ...tail, file, keptIn: `${file}.torn` };
}

/**
 * A torn tail in words, for a message: `13 bytes at byte 4096 of /…/x.jsonl (a last line without
 * its newline: a write cut short by a crash or a full disk, never acknowledged)`.
 */
export function describeTornTail(tail: JournalTornTail): string {
  const bytes = `${tail.bytes} byte${tail.bytes === 1 ? '' : 's'}`;
  return `${bytes} at byte ${tail.at} of ${tail.file} (a last line without its newline: a write cut short by a crash or a full disk, never acknowledged)`;
}
