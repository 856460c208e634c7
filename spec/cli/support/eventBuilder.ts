import type { DagEvent } from '../../../src/index';

/** An event without `runId` and `seq`; `dag.completed` may leave out `failures` (none). */
export type Without<E> = E extends DagEvent
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

/** The start of a run of one task: `dag.created`, then the task ready and its first attempt started, all at 0. */
export function oneTaskStarted(dagId: string, taskId: string, agent = 'shell'): Without<DagEvent>[] {
  return [
    { type: 'dag.created', at: 0, dagId, taskCount: 1 },
    { type: 'task.ready', at: 0, taskId, attempt: 1 },
    { type: 'task.started', at: 0, taskId, attempt: 1, agent },
  ];
}
