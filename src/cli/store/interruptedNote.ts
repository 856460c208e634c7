/**
 * The note `rxdag run` gives when the newest run of the same DAG in its store was interrupted
 * (its process stopped before the run ended) and the command line can resume it: the new run
 * starts over, running again what that one completed, and once it has started `rxdag resume`
 * without an id passes the interrupted one over. It says which command goes on with that run
 * instead (with the flags of its latest start: its events are read). It decides nothing (the new
 * run starts all the same), and a store that cannot be listed, or a run whose record cannot be
 * read, gives no note: the run's own checks say what is wrong with it.
 */
import type { Journal } from '../../index';
import { resumeCommandOf } from './resumeCommand';
import type { StoreLocation } from './storeLocation';

/**
 * The note's line (without `rxdag: `), or `undefined` when the newest run of `dagId` is not an
 * interrupted run of the command line; `location` is the store's, as the command names it.
 *
 * @example
 * await interruptedRunNote(journal, 'nightly', storeLocation(undefined, {}))
 * // 'note: run nightly-20261204-0915-1a2b of this DAG was interrupted with 12 of 40 tasks ended; this run starts over. To go on with that one instead, stop this one and run: rxdag resume nightly-20261204-0915-1a2b'
 */
export async function interruptedRunNote(journal: Journal, dagId: string, location: StoreLocation): Promise<string | undefined> {
  try {
    const runs = await journal.runs({ dagId, onUnreadable: () => undefined });
    const newest = runs.find((run) => run.dagId === dagId);
    if (newest === undefined || newest.status !== 'interrupted') return undefined;
    const header = await journal.header(newest.runId);
    const resume = resumeCommandOf(newest.runId, header, location, await journal.events(newest.runId));
    if (resume === undefined) return undefined; // a program's run: not the command line's to resume
    const { total, completed, failed, skipped, cancelled } = newest.counts;
    const ended = completed + failed + skipped + cancelled;
    return (
      `note: run ${newest.runId} of this DAG was interrupted with ${ended} of ${total} tasks ended; this run starts over. ` +
      `To go on with that one instead, stop this one and run: ${resume}`
    );
  } catch {
    return undefined;
  }
}
