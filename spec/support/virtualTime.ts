import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import { type RunHelpers, TestScheduler } from 'rxjs/testing';

/**
 * The specs' one virtual-time harness: every spec that runs in virtual time gets its
 * TestScheduler here. `spec/helpers.ts` re-exports it for the specs that import from there.
 */

/** A fresh TestScheduler whose assertions (`expectObservable`, `expectSubscriptions`) use jest's deep equality. */
export function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/**
 * Runs `body` in virtual time on a fresh {@link testScheduler} and flushes it: every timer due,
 * every marble assertion checked. Returns what `body` returned; read what it recorded afterwards.
 *
 * @example
 * const seen = inVirtualTime(({ cold }, ts) => { … runDag(dag, { scheduler: ts, … }) … });
 */
export function inVirtualTime<R>(body: (helpers: RunHelpers, ts: TestScheduler) => R): R {
  const ts = testScheduler();
  return ts.run((helpers) => body(helpers, ts));
}

/** The library's work on a TestScheduler, told apart from the test's own to find what a run left behind. */
export interface TaggedLibraryTime {
  /** Give this to the library: a SchedulerLike over the TestScheduler that tags every action scheduled through it. */
  readonly scheduler: SchedulerLike;
  /** How many actions the library scheduled are still queued on the TestScheduler. */
  pendingActions(): number;
}

/** Tags the work the library schedules on `ts` (see {@link TaggedLibraryTime}). */
export function tagLibraryWork(ts: TestScheduler): TaggedLibraryTime {
  const libraryWork = new WeakSet<object>();
  return {
    scheduler: {
      now: () => ts.now(),
      schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
        libraryWork.add(work);
        return ts.schedule(work, delay, state);
      },
    },
    pendingActions: () =>
      ts.actions.filter((action) => {
        const work = (action as unknown as { work?: unknown }).work;
        return typeof work === 'function' && libraryWork.has(work);
      }).length,
  };
}
