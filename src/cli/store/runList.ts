/**
 * The store's runs as the commands list them: every run whose record can be read, and apart, the
 * error of each record that cannot (a file of the store that is not a run's journal), for the
 * command to report or weigh. It reads the store; what is done about an unreadable record is
 * the command's to decide.
 */
import type { Journal, JournalCorruptError, JournaledRunSummary, RunsOptions } from '../../index';

/** The readable runs, newest first, and the errors of the records that cannot be read. */
export interface RunList {
  readonly runs: readonly JournaledRunSummary[];
  readonly unreadable: readonly JournalCorruptError[];
}

/**
 * Lists `journal`'s runs (of the DAG `only.dagId`, when given: another DAG's run that has not
 * ended is then not read whole) past any record that cannot be read.
 *
 * @example
 * const { runs, unreadable } = await listRuns(store.journal);
 */
export async function listRuns(journal: Journal, only: Pick<RunsOptions, 'dagId'> = {}): Promise<RunList> {
  const unreadable: JournalCorruptError[] = [];
  const runs = await journal.runs({ ...only, onUnreadable: (error) => unreadable.push(error) });
  return { runs: only.dagId === undefined ? runs : runs.filter((run) => run.dagId === only.dagId), unreadable };
}

/** For each run that a later run of its DAG followed (`runs` newest first), the nearest such run. */
export function laterRunsOfTheirDag(runs: readonly JournaledRunSummary[]): Map<string, JournaledRunSummary> {
  const later = new Map<string, JournaledRunSummary>();
  const newestSoFar = new Map<string, JournaledRunSummary>(); // by DAG id
  for (const run of runs) {
    const next = newestSoFar.get(run.dagId);
    if (next !== undefined) later.set(run.runId, next);
    newestSoFar.set(run.dagId, run);
  }
  return later;
}
