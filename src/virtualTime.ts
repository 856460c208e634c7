/**
 * Whether a scheduler keeps virtual time (a `TestScheduler`, a `VirtualTimeScheduler`), told by
 * its shape as well as its class: an application whose RxJS is another copy than rxdag's (a linked
 * package, a monorepo) hands over a `TestScheduler` of a class rxdag's copy does not know. It
 * schedules nothing.
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
