import type { Subscription } from 'rxjs';
import { RetryDue } from './pipelineSignals';
import type { RunController } from './runController';
import type { RunHost } from './runHost';

/**
 * A run's retries waiting for their backoff: one timer each on the scheduler's clock, which sends
 * the retry down the ready stream when it is due (an attempt's time limit is its own, in
 * `agents/runAttempt.ts`; a rate window's wake-up the dispatcher's). It does
 * not decide whether to retry or how long to wait (`state/routeFailure.ts` does), nor emit
 * `task.retrying` (the run controller does, when the retry comes back through the pipeline).
 */
export class RetryTimers {
  /** Timers by task index. */
  private readonly timers = new Map<number, Subscription>();

  constructor(
    private readonly run: RunController,
    private readonly host: Pick<RunHost, 'schedule' | 'signalReady'>,
  ) {}

  /** Attempt `attempt` of `task` is due after `backoffMs` (at once when that is 0 or less). */
  wait(task: number, attempt: number, backoffMs: number): void {
    const signal = new RetryDue(this.run, task, attempt);
    if (backoffMs <= 0) this.host.signalReady(signal);
    else
      this.timers.set(
        task,
        this.host.schedule(() => this.host.signalReady(signal), backoffMs),
      );
  }

  /** The retry of `task` came back through the pipeline: its timer is done. */
  due(task: number): void {
    this.timers.delete(task);
  }

  /** Stops every timer: the run ended. */
  clear(): void {
    for (const timer of this.timers.values()) timer.unsubscribe();
    this.timers.clear();
  }
}
