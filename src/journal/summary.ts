import type { DagEvent } from '../events';
import type { JournaledRunSummary, JournalHeader } from './journal';
import type { HeaderHead } from './headerHead';
import { addToTally, emptyTally, type RunTally } from './tally';

/**
 * A journaled run's line in `journal.runs()`, from its header and events: status, times, last
 * `seq` and how its tasks ended so far (the same tally the PostgreSQL journal keeps per append).
 * Which process owns the run, if one does, is the backend's to say (`owner`, as a
 * `RunLockedError` names it; `true` for an owner it does not name).
 */
export function summarize(header: JournalHeader | HeaderHead, events: readonly DagEvent[], owner: string | boolean): JournaledRunSummary {
  // the spec's tasks until `dag.created` gives the count (a listing's header has no spec: it reads that event)
  const tasks = 'spec' in header && Array.isArray(header.spec.tasks) ? header.spec.tasks.length : 0;
  return summaryOfTally(header, addToTally(emptyTally(tasks), events), owner);
}

/** {@link summarize} from a tally already made (`fileTally.ts` makes one without parsing every line). */
export function summaryOfTally(header: HeaderHead, tally: RunTally, owner: string | boolean): JournaledRunSummary {
  const running = tally.outcome === null && owner !== false;
  return {
    runId: header.runId,
    dagId: header.dagId,
    status: tally.outcome ?? (running ? 'running' : 'interrupted'),
    ...(tally.startedAt === null ? {} : { startedAt: tally.startedAt }),
    ...(tally.endedAt === null ? {} : { endedAt: tally.endedAt }),
    lastSeq: tally.lastSeq,
    counts: tally.counts,
    ...(running && typeof owner === 'string' ? { owner } : {}),
  };
}
