import type { DagEvent } from '../events';

/**
 * The error the reducer raises for an event that is not legal in the state it is applied to,
 * and how its messages name an event. It decides nothing: which events are legal where is the
 * run draft's business (`runDraft.ts`).
 */

/** An event that is not legal in the state it was applied to (a corrupt log, or a bug). */
export class InvalidTransitionError extends Error {
  override readonly name = 'InvalidTransitionError';
}

/** `task.ready for task "a"`, or the type alone for run events. */
export function describeEvent(event: DagEvent): string {
  return 'taskId' in event ? `${event.type} for task "${event.taskId}"` : event.type;
}
