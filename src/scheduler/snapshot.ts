import type { RunState } from '../state/runState';

/**
 * What `state$` emits: each run's state and the totals over all runs, as a pure sum. It does not
 * decide when a snapshot is taken (the engine does, after a flush, only if someone listens).
 */

/** Aggregate view of a scheduler, emitted after every flush. */
export interface SchedulerSnapshot {
  /** Runs going on, and those that ended in the last flush, by run id. */
  readonly runs: ReadonlyMap<string, RunState>;
  readonly running: number;
  readonly ready: number;
  /** Waiting for dependencies or for a retry backoff. */
  readonly pending: number;
  /** Tasks that ended (completed, failed, skipped or cancelled). */
  readonly done: number;
}

/** The snapshot of a scheduler whose runs are in these states: a pure sum of their counts. */
export function schedulerSnapshot(states: readonly RunState[]): SchedulerSnapshot {
  const runs = new Map<string, RunState>();
  let running = 0;
  let ready = 0;
  let pending = 0;
  let done = 0;
  for (const state of states) {
    runs.set(state.runId, state);
    const c = state.counts;
    running += c.running;
    ready += c.ready;
    pending += c.pending + c.backoff;
    done += c.completed + c.failed + c.skipped + c.cancelled;
  }
  return Object.freeze({ runs, running, ready, pending, done });
}
