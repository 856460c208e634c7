import type { SchedulerLike } from 'rxjs';

/**
 * The time the events of one flush share. A flush runs no foreign code but agents and event
 * listeners, so between two agent calls it takes no time worth measuring: the clock is read once
 * and reused until {@link FlushClock.invalidate} (at each flush's start and end, and after each
 * agent call), because reading it per event was a measurable share of a run. It does not
 * schedule anything; timers go to the scheduler itself.
 */
export class FlushClock {
  // the reading the current flush shares; undefined until first asked for
  private reading: number | undefined;

  constructor(private readonly scheduler: SchedulerLike) {}

  /** The scheduler's time, read at most once until the next `invalidate()`. */
  now(): number {
    return (this.reading ??= this.scheduler.now());
  }

  /** Time may have passed (an agent ran, a flush began or ended): read the scheduler again. */
  invalidate(): void {
    this.reading = undefined;
  }
}
