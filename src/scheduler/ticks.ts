import { Observable, type SchedulerLike, type Subscription, type VirtualTimeScheduler } from 'rxjs';
import { keepsVirtualTime } from '../virtualTime';

/**
 * `interval(periodMs, scheduler)` as the pipeline uses it (health checks, polling): 0, 1, 2, …,
 * one every `periodMs` on `scheduler`, each tick a new action rather than the last one
 * rescheduled. It does not complete. Why: RxJS's `VirtualAction` (a `TestScheduler`'s, also
 * behind `asyncScheduler` inside `TestScheduler.run`) chains each rescheduled action to the one
 * before, so unsubscribing after ~2,000 ticks recursed past the stack: a run of three virtual
 * hours with the default health checks threw out of `flush()`. On a virtual clock it notes its
 * pending tick, so that a pipeline can tell when nothing but ticks is left ({@link onlyTicksPending}).
 */
export function ticks(periodMs: number, scheduler: SchedulerLike): Observable<number> {
  // on a virtual clock, the pending tick is noted: a tick waits for a period, not for work
  const pending = keepsVirtualTime(scheduler) ? pendingTicksOf(scheduler) : undefined;
  return new Observable<number>((subscriber) => {
    let count = 0;
    let next: Subscription;
    const schedule = (): void => {
      next = scheduler.schedule(tick, periodMs);
      pending?.add(next);
    };
    // the next tick is set before this one is handled, so a slow handler does not stretch the period
    const tick = (): void => {
      pending?.delete(next);
      schedule();
      subscriber.next(count++);
    };
    schedule();
    return () => {
      pending?.delete(next);
      next.unsubscribe();
    };
  });
}

/** The pending actions of every `ticks` on a virtual-time scheduler. */
const pendingTicks = new WeakMap<VirtualTimeScheduler, Set<Subscription>>();

function pendingTicksOf(scheduler: VirtualTimeScheduler): Set<Subscription> {
  let pending = pendingTicks.get(scheduler);
  if (pending === undefined) pendingTicks.set(scheduler, (pending = new Set()));
  return pending;
}

/**
 * Whether a virtual-time scheduler holds nothing to run but `ticks` (health checks, polls, of
 * any scheduler of rxdag on it): no work is left that a tick could see move.
 */
export function onlyTicksPending(scheduler: VirtualTimeScheduler): boolean {
  const pending = pendingTicks.get(scheduler);
  return scheduler.actions.every((action) => pending?.has(action) === true);
}
