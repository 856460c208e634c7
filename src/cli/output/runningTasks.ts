/**
 * Which tasks run now, in the order they started and since when, followed from a run's events:
 * the progress bar's last field and the heartbeat of the plain output name them. It prints
 * nothing and counts nothing else (the tally of every phase is `runTally.ts`'s).
 */
import type { DagEvent } from '../../index';

/** Tasks named before the rest are only counted: `a, b, c +4 more`. */
const NAMED = 3;

export class RunningTasks {
  // task id -> when its attempt started; a Map keeps the order they started in
  private readonly since = new Map<string, number>();

  apply(event: DagEvent): void {
    if (event.type === 'task.started') this.since.set(event.taskId, event.at);
    else if (event.type === 'task.completed' || event.type === 'task.failed' || event.type === 'task.cancelled') {
      this.since.delete(event.taskId);
    } else if (event.type === 'run.resumed') {
      // their attempts stopped with the process before; they start again, with new events
      for (const taskId of event.interrupted) this.since.delete(taskId);
    }
  }

  /** Running task ids, the longest running first. */
  ids(): string[] {
    return [...this.since.keys()];
  }

  /**
   * The longest running tasks, the rest counted: `build, test +2 more`; with `now` (on the
   * events' clock), how long each has run: `build for 42.0 s`. Empty when none runs.
   */
  describe(now?: number): string {
    const named: string[] = [];
    for (const [taskId, at] of this.since) {
      if (named.length === NAMED) break;
      named.push(now === undefined ? taskId : `${taskId} for ${((now - at) / 1000).toFixed(1)} s`);
    }
    const more = this.since.size - named.length;
    return more > 0 ? `${named.join(', ')} +${more} more` : named.join(', ');
  }
}
