import type { DagEvent, TaskCounts } from '../../index';

/** Where a task is in its life, as the CLI shows it. */
export type TaskPhase = 'pending' | 'ready' | 'running' | 'backoff' | 'completed' | 'failed' | 'skipped' | 'cancelled';

/**
 * Counts of tasks by phase, kept up to date event by event in O(1) each, for the progress
 * display. Built only from events, like everything else that watches a run.
 */
export class RunTally {
  // Phase of every task seen so far; tasks not seen yet are pending.
  private readonly phases = new Map<string, TaskPhase>();
  // Running task ids in the order they started (a Map keeps insertion order).
  private readonly runningSince = new Map<string, number>();
  private readonly counts: Record<TaskPhase, number> = {
    pending: 0,
    ready: 0,
    running: 0,
    backoff: 0,
    completed: 0,
    failed: 0,
    skipped: 0,
    cancelled: 0,
  };
  // From `dag.created`; 0 until then.
  private taskCount = 0;

  apply(event: DagEvent): void {
    switch (event.type) {
      case 'dag.created':
        this.taskCount = event.taskCount;
        break;
      case 'tasks.spawned':
        this.taskCount += event.tasks.length; // an agent added tasks to the run
        break;
      case 'task.ready':
      case 'task.retrying':
        this.move(event.taskId, 'ready');
        break;
      case 'task.started':
        this.move(event.taskId, 'running');
        this.runningSince.set(event.taskId, event.at);
        break;
      case 'task.completed':
        this.move(event.taskId, 'completed');
        break;
      case 'task.failed':
        this.move(event.taskId, event.willRetry ? 'backoff' : 'failed');
        break;
      case 'task.skipped':
        this.move(event.taskId, 'skipped');
        break;
      case 'task.cancelled':
        this.move(event.taskId, 'cancelled');
        break;
      default:
        break; // the other events inform and change no task's phase
    }
  }

  /** How many tasks are in `phase`. */
  count(phase: TaskPhase): number {
    return phase === 'pending' ? this.taskCount - this.phases.size + this.counts.pending : this.counts[phase];
  }

  get total(): number {
    return this.taskCount;
  }

  /** Tasks that ended, whatever the outcome. */
  get finished(): number {
    return this.counts.completed + this.counts.failed + this.counts.skipped + this.counts.cancelled;
  }

  /** Ids of the running tasks, longest running first. */
  running(): string[] {
    return [...this.runningSince.keys()];
  }

  /** The tally as the `counts` of `dag.completed` would give it. */
  taskCounts(): TaskCounts {
    const { completed, failed, skipped, cancelled } = this.counts;
    return { total: this.taskCount, completed, failed, skipped, cancelled };
  }

  private move(taskId: string, phase: TaskPhase): void {
    const previous = this.phases.get(taskId);
    if (previous !== undefined) this.counts[previous]--;
    if (previous === 'running') this.runningSince.delete(taskId);
    this.phases.set(taskId, phase);
    this.counts[phase]++;
  }
}
