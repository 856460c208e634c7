/**
 * The store's runs as the commands list them: every run whose record can be read, and apart, the
 * error of each record that cannot (a file of the store that is not a run's journal), for the
 * command to report or weigh. It reads the store; what is done about an unreadable record is
 * the command's to decide.
 */
import type { Journal, JournalCorruptError, JournaledRunSummary } from '../../index';

/** The readable runs, newest first, and the errors of the records that cannot be read. */
export interface RunList {
  readonly runs: readonly JournaledRunSummary[];
  readonly unreadable: readonly JournalCorruptError[];
}

/**
 * Lists `journal`'s runs past any record that cannot be read.
 *
 * @example
 * const { runs, unreadable } = await listRuns(store.journal);
 */
export async function listRuns(journal: Journal): Promise<RunList> {
  const unreadable: JournalCorruptError[] = [];
  const runs = await journal.runs({ onUnreadable: (error) => unreadable.push(error) });
  return { runs, unreadable };
}
