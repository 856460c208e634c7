import type { RunState } from './runState';
import { readAttempt, readOutput, readRemainingDeps, readStatus, type TaskStatus, TASK_STATUSES } from './taskTable';

/**
 * Reading tasks out of a run's immutable state by id: a task's status, output, or all of it as
 * a plain object. Read-only and O(1) per task (`selectTasks` is O(tasks), for tests and reports);
 * they change nothing and know nothing of the pipeline.
 */

/** One task as a plain object, for tests, logs and UIs. */
export interface TaskSnapshot {
  readonly id: string;
  readonly status: TaskStatus;
  /** The latest attempt (0 before the task was ready). */
  readonly attempt: number;
  /** Dependencies not finished yet. */
  readonly remainingDeps: number;
  readonly output?: unknown;
}

function indexOrThrow(state: RunState, taskId: string): number {
  const task = state.dag.taskIndex(taskId);
  if (task === undefined) throw new RangeError(`run "${state.runId}" has no task "${taskId}"`);
  return task;
}

/** Status of one task. Throws a `RangeError` for an unknown id. */
export function selectTaskStatus(state: RunState, taskId: string): TaskStatus {
  return TASK_STATUSES[readStatus(state.tasks, indexOrThrow(state, taskId))]!;
}

/** Output of a completed task, `undefined` for a task not completed. Throws a `RangeError` for an unknown id. */
export function selectTaskOutput(state: RunState, taskId: string): unknown {
  return readOutput(state.outputs, indexOrThrow(state, taskId));
}

/** One task as a plain object. */
export function selectTask(state: RunState, taskId: string): TaskSnapshot {
  return taskSnapshot(state, indexOrThrow(state, taskId));
}

/** Every task as plain objects, in DAG order: O(tasks), for tests and reports, not for hot paths. */
export function selectTasks(state: RunState): TaskSnapshot[] {
  return Array.from({ length: state.dag.size }, (_, i) => taskSnapshot(state, i));
}

function taskSnapshot(state: RunState, task: number): TaskSnapshot {
  const output = readOutput(state.outputs, task);
  return {
    id: state.dag.index.ids[task]!,
    status: TASK_STATUSES[readStatus(state.tasks, task)]!,
    attempt: readAttempt(state.tasks, task),
    remainingDeps: readRemainingDeps(state.tasks, task),
    ...(output === undefined ? {} : { output }),
  };
}
