/**
 * The counts behind the progress bar: how many tasks are in each phase, kept by the library's
 * `trackRun`, and which tasks run now. It prints nothing.
 */
import { type Dag, type DagEvent, type FailurePolicy, type RunTracker, type TaskCounts, type TaskStatus, trackRun } from '../../index';
import { RunningTasks } from './runningTasks';

/** Where a task is in its life, as the CLI shows it: the library's task status. */
export type TaskPhase = TaskStatus;

/**
 * Counts of tasks by phase for the progress display, kept by the library's own reducer through
 * `trackRun` (O(1) per event), so the CLI never keeps a second copy of the run's rules,
 * and which tasks run now ({@link RunningTasks}). A resumed run's tally is
 * first given the journal's events (`run.resumed` then puts the attempts that were in flight
 * back among the ready tasks).
 */
export class RunTally {
  // Made at `dag.created`, when the run's id is known.
  private tracker: RunTracker | undefined;
  /** The tasks that run now, in the order they started. */
  readonly running = new RunningTasks();

  constructor(
    private readonly dag: Dag,
    /** The run's failure policy (a resumed run's is in its journal). */
    private readonly failurePolicy: FailurePolicy = 'skip-dependents',
  ) {}

  apply(event: DagEvent): void {
    if (event.type === 'dag.created') this.tracker = trackRun(this.dag, event.runId, this.failurePolicy);
    this.tracker?.apply(event);
    this.running.apply(event);
  }

  /** Whether the run's `dag.created` was seen (a resumed run's, in its journal). */
  get started(): boolean {
    return this.tracker !== undefined;
  }

  /** How many tasks are in `phase`. */
  count(phase: TaskPhase): number {
    if (this.tracker === undefined) return phase === 'pending' ? this.dag.size : 0;
    return this.tracker.counts[phase];
  }

  /** Tasks of the run, spawned ones included. */
  get total(): number {
    return this.tracker?.size ?? this.dag.size;
  }

  /** Tasks that ended, whatever the outcome. */
  get finished(): number {
    const { completed, failed, skipped, cancelled } = this.taskCounts();
    return completed + failed + skipped + cancelled;
  }

  /** The tally as the `counts` of `dag.completed` would give it. */
  taskCounts(): TaskCounts {
    const phase = (p: TaskPhase) => this.count(p);
    return {
      total: this.total,
      completed: phase('completed'),
      failed: phase('failed'),
      skipped: phase('skipped'),
      cancelled: phase('cancelled'),
    };
  }
}
