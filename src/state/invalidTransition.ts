import { type DagEvent, EVENT_TYPES } from '../events';

/**
 * The error the reducer raises for an event that is not legal in the state it is applied to,
 * and how its messages name an event. It decides nothing: which events are legal where is the
 * run draft's business (`runDraft.ts`).
 */

/** An event that is not legal in the state it was applied to (a corrupt log, or a bug). */
export class InvalidTransitionError extends Error {
  override readonly name = 'InvalidTransitionError';
}

/** The event types a run's record holds. */
const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);

/** Whether `type` is one of the event types this version knows. */
export function isEventType(type: string): boolean {
  return KNOWN_TYPES.has(type);
}

/** What is said of an event whose type this version does not know: one a later version writes, if it is a name. */
export function notAnEventType(event: DagEvent): string {
  const { type } = event as { type: unknown };
  return `${JSON.stringify(type)} is not an event type${typeof type === 'string' ? ' (written by a later rxdag?)' : ''}`;
}

/** `task.ready for task "a"`, or the type alone for run events. */
export function describeEvent(event: DagEvent): string {
  return 'taskId' in event ? `${event.type} for task "${event.taskId}"` : event.type;
}
