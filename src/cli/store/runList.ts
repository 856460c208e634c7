/**
 * The store's runs as the commands list them: every run whose record can be read, and apart, the
 * error of each record that cannot (a file of the store that is not a run's journal), for the
 * command to report or weigh. It reads the store; what is done about an unreadable record is
 * the command's to decide.
 */
import type { Journal, JournaledRunSummary, RunsOptions } from '../../index';
import { quoted } from '../../dag/text';
// from its module: the package's index loads RxJS, which `rxdag runs` and `show` do not need
import { JournalCorruptError } from '../../journal/journal';
import { InvalidInputError } from '../problems';
import type { Store } from './openStore';
import { programRunProblem } from './programRuns';
import type { StoreLocation } from './storeLocation';

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

/**
 * The refusal of run `runId`, not in `store`, when the store never journaled anything: a database
 * schema without the journal's tables, most likely a misspelt `schema=` (a folder store that is
 * not there is refused before). Undefined otherwise, or when asking fails: the plain "not in the
 * store" stands.
 */
export async function neverJournaledRefusal(store: Store, runId: string): Promise<InvalidInputError | undefined> {
  if (!(await neverJournaled(store))) return undefined;
  return new InvalidInputError([{ message: notInStoreWithoutJournal(runId, store.location) }]);
}

/** What is said of a store that never journaled anything. */
export const NO_JOURNAL = 'has no journal (runs are journaled there by rxdag run)';

/** `run "x" is not in the store …, which has no journal (…)`. */
export function notInStoreWithoutJournal(runId: string, location: StoreLocation): string {
  return `run ${quoted(runId)} is not in the store ${location.label}, which ${NO_JOURNAL}`;
}

/** Whether `store` is a database schema without the journal's tables (false when asking fails, or for a folder). */
export async function neverJournaled(store: Store): Promise<boolean> {
  return store.hasJournal !== undefined && !(await store.hasJournal().catch(() => true));
}

/**
 * Headers {@link startedOver} reads at once from a store: a database answers in round trips, so
 * four (the command line's connections to it); a folder's are read from its files, one at a
 * time (a header may be megabytes: more at once would only hold more of them in memory).
 */
export function headersAtOnce(location: StoreLocation): number {
  return location.kind === 'postgres' ? 4 : 1;
}

/**
 * For each interrupted run of the command line that a later run of the command line of its DAG
 * followed (`runs` newest first), the nearest such run: that run started the DAG over (a fix, a
 * new day), so `rxdag resume` without an id passes the interrupted one over. Runs a program made
 * are neither: a service runs one DAG many times side by side. Reads the headers it needs (of the
 * interrupted runs followed by another, then of those that followed them, nearest first, a few
 * at once each time: a service may have run the DAG thousands of times since); with `only`, for
 * those interrupted runs alone (the rows a listing shows). A record that cannot be trusted counts
 * as a program's, a store that fails is thrown.
 */
export async function startedOver(
  journal: Journal,
  runs: readonly JournaledRunSummary[],
  { atOnce = 1, only }: { readonly atOnce?: number; readonly only?: ReadonlySet<string> } = {},
): Promise<Map<string, JournaledRunSummary>> {
  const made = new Map<string, Promise<boolean>>();
  const byCli = (runId: string) => {
    let known = made.get(runId);
    if (known === undefined) {
      known = journal.header(runId).then(
        (header) => programRunProblem(runId, header) === undefined,
        (error: unknown) => {
          if (error instanceof JournalCorruptError) return false;
          throw error;
        },
      );
      made.set(runId, known);
    }
    return known;
  };
  // each interrupted run with the runs of its DAG that came after it: the first `count` of `runs`, nearest last
  const newerOf = new Map<string, { readonly runs: readonly JournaledRunSummary[]; readonly count: number }>();
  const seen = new Map<string, JournaledRunSummary[]>(); // by DAG id
  for (const run of runs) {
    const newer = seen.get(run.dagId) ?? [];
    const asked = only === undefined || only.has(run.runId);
    if (run.status === 'interrupted' && newer.length > 0 && asked) newerOf.set(run.runId, { runs: newer, count: newer.length });
    newer.push(run);
    seen.set(run.dagId, newer);
  }
  // the interrupted runs' own headers first, then for each of the command line's the runs after it
  await firstMatching([...newerOf.keys()], atOnce, async (runId) => (await byCli(runId), false));
  const later = new Map<string, JournaledRunSummary>();
  for (const [runId, newer] of newerOf) {
    if (!(await byCli(runId))) continue;
    const nearest = await firstMatching(newer.runs.slice(0, newer.count).reverse(), atOnce, (run) => byCli(run.runId));
    if (nearest !== undefined) later.set(runId, nearest);
  }
  return later;
}

/** The first of `items` that `matches`, asking `atOnce` at a time (every one, when none does). */
async function firstMatching<T>(items: readonly T[], atOnce: number, matches: (item: T) => Promise<boolean>): Promise<T | undefined> {
  for (let from = 0; from < items.length; from += atOnce) {
    const window = items.slice(from, from + atOnce);
    const found = (await Promise.all(window.map(matches))).indexOf(true);
    if (found >= 0) return window[found];
  }
  return undefined;
}

/**
 * What to say after "run GIVEN is not in the store" when GIVEN is the id of a DAG whose runs the
 * store has (`rxdag show release`): its newest run, and `command` for it; '' otherwise, also
 * when the store cannot be listed (the line says enough without it).
 */
export async function runOfDagHint(journal: Journal, given: string, command: (runId: string) => string): Promise<string> {
  try {
    const newest = (await listRuns(journal, { dagId: given })).runs[0];
    return newest === undefined ? '' : `: ${given} is a DAG, whose newest run is ${newest.runId} (${command(newest.runId)})`;
  } catch {
    return '';
  }
}
