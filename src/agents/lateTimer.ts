/**
 * What a time limit's timer does when it fires late: Node runs expired timers before the I/O
 * that came while they waited, so an attempt whose end came in time would be taken for one that
 * timed out. The verdict waits for that I/O first. It does not decide the verdict (the attempt
 * does) nor time anything when the timer is on time (a virtual clock's timers always are).
 */
import { type SchedulerLike, Subscription } from 'rxjs';

/** How late past its time a time limit's timer fires to be taken for one that waited out a pause of the process. */
export const LATE_TIMER_MS = 250; // a busy event loop delays timers by milliseconds, or by a start of many processes at once, not this

/** How long at most such a timer then waits (as long as it was late): a remote result takes a few round trips to be heard. */
const LATE_GRACE_MS = 1000;

/**
 * Calls `verdict` once what came while the timer was `late` ms late was heard: at once when it
 * was not late; after the next turn of I/O when a busy loop made it late (many processes
 * started at once); after as long as it was late, 1 s at most, when the process was paused (a
 * machine asleep, a stopped process: a remote result takes a few round trips). Returns what
 * cancels the wait, or `undefined` when `verdict` ran.
 */
export function afterLateTimer(scheduler: SchedulerLike, late: number, verdict: () => void): Subscription | undefined {
  if (late > LATE_TIMER_MS) return afterGrace(scheduler, Math.min(late, LATE_GRACE_MS), verdict);
  if (late > 0) return afterPendingIo(verdict);
  verdict();
  return undefined;
}

/**
 * Calls `verdict` `graceMs` from now; when that timer is late in turn (the loop still busy), once
 * the I/O that came meanwhile was read, never after another grace.
 */
function afterGrace(scheduler: SchedulerLike, graceMs: number, verdict: () => void): Subscription {
  const due = scheduler.now() + graceMs;
  const waiting = new Subscription();
  waiting.add(
    scheduler.schedule(() => {
      if (scheduler.now() > due) waiting.add(afterPendingIo(verdict));
      else verdict();
    }, graceMs),
  );
  return waiting;
}

/**
 * Calls `action` once the I/O that came meanwhile was read and the handles it closed are closed
 * (a process's end is heard at its pipes' `close`): at the second `setImmediate`, the check
 * phase of the event loop's next turn, after a poll and a round of close callbacks (a timer of
 * 0 ms may run before both, in the same pass over expired timers, when the timers before it took
 * long). Real time only.
 */
function afterPendingIo(action: () => void): Subscription {
  let immediate = setImmediate(() => (immediate = setImmediate(action)));
  return new Subscription(() => clearImmediate(immediate));
}
