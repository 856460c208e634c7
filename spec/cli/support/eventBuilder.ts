import type { DagEvent } from '../../../src/index';

/** An event without `runId` and `seq`; `dag.completed` may leave out `failures` (none). */
type Without<E> = E extends DagEvent
  ? E extends { type: 'dag.completed' }
    ? Omit<E, 'runId' | 'seq' | 'failures'> & Partial<Pick<E, 'failures'>>
    : Omit<E, 'runId' | 'seq'>
  : never;

/**
 * Builds the events of one run for specs: `runId` and `seq` are filled in, everything else is
 * written out, so a spec reads like the events log it stands for.
 */
export function eventsOf(...partial: Without<DagEvent>[]): DagEvent[] {
  return partial.map(
    (event, i) => ({ ...(event.type === 'dag.completed' ? { failures: [] } : {}), ...event, runId: 'run-1', seq: i + 1 }) as DagEvent,
  );
}
