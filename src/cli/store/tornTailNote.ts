/**
 * What the commands say of a run whose journal, in a folder, ends with a torn line (a write a
 * crash cut short, never acknowledged): the note of `rxdag show` and `rxdag runs` (that
 * `rxdag resume` will set it aside), and the line of `rxdag resume` (that it did).
 * It reads the file's end only and changes nothing; a database store has no torn lines.
 */
import { describeTornTail, type JournalTornTail, tornTailOf } from '../../journal/tornTail';
import type { StoreLocation } from './storeLocation';

/**
 * `rxdag: the journal of run x ends with a torn line: 13 bytes at byte 4096 of …; rxdag resume
 * moves it to ….torn`, or `undefined` when the journal ends with a whole line.
 */
export function tornTailNote(location: StoreLocation, runId: string): string | undefined {
  if (location.kind !== 'folder') return undefined;
  const tail = tornTailOf(location.dir, runId);
  if (tail === undefined) return undefined;
  return `rxdag: the journal of run ${runId} ends with a torn line: ${describeTornTail(tail)}; resuming the run moves it to ${tail.keptIn}`;
}

/**
 * `rxdag: setting aside the torn last line of run x's journal: 13 bytes at byte 4096 of
 * /…/x.jsonl (…), kept in /…/x.jsonl.torn`: what the journal does at its first append (a store
 * that then fails, a full disk, says so next, and the line stays where it was).
 */
export function tornTailSetAside(runId: string, tail: JournalTornTail): string {
  return `rxdag: setting aside the torn last line of run ${runId}'s journal: ${describeTornTail(tail)}, kept in ${tail.keptIn}`;
}
