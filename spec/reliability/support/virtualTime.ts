import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';

/** Telling the library's timers from the test's own in a TestScheduler, to find what a run left behind. */

/** A SchedulerLike over the TestScheduler that tags the work the library schedules, to find leftovers. */
export function taggingScheduler(ts: TestScheduler, libraryWork: WeakSet<object>): SchedulerLike {
  return {
    now: () => ts.now(),
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
      libraryWork.add(work);
      return ts.schedule(work, delay, state);
    },
  };
}

export function pendingLibraryActions(ts: TestScheduler, libraryWork: WeakSet<object>): number {
  return ts.actions.filter((action) => {
    const work = (action as unknown as { work?: unknown }).work;
    return typeof work === 'function' && libraryWork.has(work);
  }).length;
}
