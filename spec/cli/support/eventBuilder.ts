import type { DagEvent } from '../../../src/index';

type Without<E> = E extends DagEvent ? Omit<E, 'runId' | 'seq'> : never;

/**
 * Builds the events of one run for specs: `runId` and `seq` are filled in, everything else is
 * written out, so a spec reads like the events log it stands for.
 */
export function eventsOf(...partial: Without<DagEvent>[]): DagEvent[] {
  return partial.map((event, i) => ({ ...event, runId: 'run-1', seq: i + 1 }) as DagEvent);
}
