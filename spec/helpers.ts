import type { DagEvent } from '../src';

export { inVirtualTime, testScheduler } from './support/virtualTime';

/** A compact label for an event: `started:a`, `completed:a#2`, `dag.completed:succeeded`. */
export function label(event: DagEvent): string {
  const attempt = 'attempt' in event && event.attempt > 1 ? `#${event.attempt}` : '';
  switch (event.type) {
    case 'dag.created':
      return 'created';
    case 'dag.completed':
      return `done:${event.outcome}`;
    case 'health.checked':
      return `health:${event.running}/${event.ready}/${event.pending}`;
    case 'agent.available':
      return `available:${event.agent}`;
    case 'run.resumed':
      return `resumed:${event.interrupted.join(',')}`;
    default:
      return `${event.type.replace(/^tasks?\./, '')}:${event.taskId}${attempt}`;
  }
}

/** Events as `at label` lines: a readable timeline to compare in virtual time. */
export function timeline(events: readonly DagEvent[], keep: (event: DagEvent) => boolean = () => true): string[] {
  return events.filter(keep).map((event) => `${event.at} ${label(event)}`);
}

/** Keeps only the events that show scheduling: starts, ends and the run's end. */
export function scheduling(event: DagEvent): boolean {
  return event.type !== 'task.ready' && event.type !== 'dag.created' && event.type !== 'health.checked';
}
