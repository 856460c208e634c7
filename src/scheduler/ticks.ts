import { Observable, type SchedulerLike, type Subscription } from 'rxjs';

/**
 * `interval(periodMs, scheduler)` as the pipeline uses it (health checks, polling): 0, 1, 2, …,
 * one every `periodMs` on `scheduler`, each tick a new action rather than the last one
 * rescheduled. It does not complete. Why: RxJS's `VirtualAction` (a `TestScheduler`'s, also
 * behind `asyncScheduler` inside `TestScheduler.run`) chains each rescheduled action to the one
 * before, so unsubscribing after ~2,000 ticks recursed past the stack: a run of three virtual
 * hours with the default health checks threw out of `flush()`.
 */
export function ticks(periodMs: number, scheduler: SchedulerLike): Observable<number> {
  return new Observable<number>((subscriber) => {
    let count = 0;
    let next: Subscription;
    // the next tick is set before this one is handled, so a slow handler does not stretch the period
    const tick = (): void => {
      next = scheduler.schedule(tick, periodMs);
      subscriber.next(count++);
    };
    next = scheduler.schedule(tick, periodMs);
    return () => next.unsubscribe();
  });
}
