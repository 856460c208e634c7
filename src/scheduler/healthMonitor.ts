import type { FlushClock } from './flushClock';
import type { RunController } from './runController';

/**
 * The health check, at each tick of `healthCheckIntervalMs`: for every running run, a
 * `health.checked` with its running, ready and pending counts, and a `task.stuck` (once per
 * attempt) for each attempt running longer than `stuckAfterMs`. It only informs: it never stops,
 * retries or fails anything.
 */
export class HealthMonitor {
  constructor(
    /** The flush's clock, which the events are stamped with: a `task.stuck`'s `runningForMs` is its `at` less the start's. */
    private readonly clock: FlushClock,
    private readonly stuckAfterMs: number,
  ) {}

  check(runs: readonly RunController[]): void {
    const now = this.clock.now();
    for (const run of [...runs]) {
      if (run.phase !== 'running') continue; // a run whose start is still queued has nothing to report
      run.writer.healthChecked(run.writer.draft.statusCounts);
      for (const attempt of run.running.items) {
        const runningForMs = now - attempt.startedAt;
        if (!attempt.stuckReported && runningForMs >= this.stuckAfterMs) {
          attempt.stuckReported = true;
          run.writer.stuck(attempt.task, attempt.attempt, attempt.startedAt);
        }
      }
    }
  }
}
