/**
 * What `rxdag runs` prints: one line per journaled run, newest first, with its id, DAG, status,
 * start, how long it took and how its tasks ended (completed, failed, skipped, of the total).
 * A run that has not ended shows no duration: its journal says when it started, not when its
 * process stopped. An interrupted run that a later run of its DAG followed is marked `interrupted*`
 * (a footnote says what that means). Formats only; the command reads the store.
 */
import type { JournaledRunSummary } from '../../index';
import { formatMs } from '../report/html';
import { elapsedMs, formatClock, textTable } from './textTable';

/** What `interrupted*` means, the line under a table that has one. */
export const FOLLOWED_FOOTNOTE = '* a later run of its DAG followed it (started over): rxdag resume without a run id passes it over';

/** The table of `runs` (as the journal lists them), heading first; `followed` holds the runs a later run of their DAG followed. */
export function runsTable(runs: readonly JournaledRunSummary[], followed: ReadonlySet<string> = new Set()): string[] {
  const marked = (run: JournaledRunSummary) => (run.status === 'interrupted' && followed.has(run.runId) ? 'interrupted*' : run.status);
  const table = textTable(
    [
      { heading: 'RUN' },
      { heading: 'DAG' },
      { heading: 'STATUS' },
      { heading: 'STARTED' },
      { heading: 'TOOK', right: true },
      { heading: 'COMPLETED', right: true },
      { heading: 'FAILED', right: true },
      { heading: 'SKIPPED', right: true },
      { heading: 'TOTAL', right: true },
    ],
    runs.map((run) => [
      run.runId,
      run.dagId,
      marked(run),
      run.startedAt === undefined ? '-' : formatClock(run.startedAt),
      tookOf(run),
      String(run.counts.completed),
      String(run.counts.failed),
      String(run.counts.skipped),
      String(run.counts.total),
    ]),
  );
  return runs.some((run) => marked(run) === 'interrupted*') ? [...table, FOLLOWED_FOOTNOTE] : table;
}

/** How long an ended run took, else `-`. */
function tookOf(run: JournaledRunSummary): string {
  return run.startedAt === undefined || run.endedAt === undefined ? '-' : formatMs(elapsedMs(run.startedAt, run.endedAt));
}
