/**
 * What `rxdag runs` prints: one line per journaled run, newest first, with its id, DAG, status,
 * start, how long it took and how its tasks ended (completed, failed, skipped, of the total).
 * A run that has not ended shows no duration: its journal says when it started, not when its
 * process stopped. Formats only; the command reads the store.
 */
import type { JournaledRunSummary } from '../../index';
import { formatMs } from '../report/html';
import { formatClock, textTable } from './textTable';

/** The table of `runs` (as the journal lists them), heading first. */
export function runsTable(runs: readonly JournaledRunSummary[]): string[] {
  return textTable(
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
      run.status,
      run.startedAt === undefined ? '-' : formatClock(run.startedAt),
      tookOf(run),
      String(run.counts.completed),
      String(run.counts.failed),
      String(run.counts.skipped),
      String(run.counts.total),
    ]),
  );
}

/** How long an ended run took, else `-`. */
function tookOf(run: JournaledRunSummary): string {
  return run.startedAt === undefined || run.endedAt === undefined ? '-' : formatMs(run.endedAt - run.startedAt);
}
