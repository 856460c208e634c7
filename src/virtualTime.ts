/**
 * Whether a scheduler keeps virtual time (a `TestScheduler`, a `VirtualTimeScheduler`), told by
 * its shape as well as its class: an application whose RxJS is another copy than rxdag's (a linked
 * package, a monorepo) hands over a `TestScheduler` of a class rxdag's copy does not know; and
 * whether one keeps the wall clock. It schedules nothing.
 */
import { type SchedulerLike, VirtualTimeScheduler } from 'rxjs';

/**
 * @example
 * keepsVirtualTime(new TestScheduler(assert)) // true
 * keepsVirtualTime(asyncScheduler) // false
 */
export function keepsVirtualTime(scheduler: SchedulerLike): scheduler is VirtualTimeScheduler {
  if (scheduler instanceof VirtualTimeScheduler) return true;
  const shaped = scheduler as Partial<Record<keyof VirtualTimeScheduler, unknown>>;
  return (
    typeof shaped.flush === 'function' &&
    Array.isArray(shaped.actions) &&
    typeof shaped.frame === 'number' &&
    typeof shaped.maxFrames === 'number'
  );
}

/**
 * Whether a scheduler keeps the wall clock: not virtual time's, nor another inside
 * `TestScheduler.run()` (which RxJS moves into virtual time: its `now()` is far from the wall
 * clock), nor an application's own around a test clock. Timers on it are real ones.
 *
 * @example
 * onWallClock(asapScheduler) // true, outside TestScheduler.run()
 */
export function onWallClock(scheduler: SchedulerLike): boolean {
  return !keepsVirtualTime(scheduler) && Math.abs(scheduler.now() - Date.now()) < 60_000;
}
