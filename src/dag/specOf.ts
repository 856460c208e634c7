import type { DagSpec, TaskSpec } from './schema';
import type { Dag, Task } from './types';

/**
 * A defined DAG back as a spec: what a journal stores so a run can be resumed without the file
 * it came from, and what `extendDag` grows. `defineDag(dagSpecOf(dag))` gives the same tasks in
 * the same order with the same values. Builds plain objects only (O(tasks)); checks nothing.
 */

/** The spec of one task, with its defaults written out; `extraDeps` are added to its deps. */
export function taskSpecOf(task: Task, extraDeps: readonly string[] = []): TaskSpec {
  const { retry } = task;
  return {
    id: task.id,
    deps: extraDeps.length === 0 ? task.deps : [...task.deps, ...extraDeps],
    agent: task.agent,
    ...(task.input === undefined ? {} : { input: task.input }),
    ...(task.timeoutMs === undefined ? {} : { timeoutMs: task.timeoutMs }),
    retry: {
      attempts: retry.attempts,
      backoffMs: retry.backoffMs,
      backoffFactor: retry.backoffFactor,
      ...(Number.isFinite(retry.maxBackoffMs) ? { maxBackoffMs: retry.maxBackoffMs } : {}),
    },
    priority: task.priority,
    ...(task.estimateMs === undefined ? {} : { estimateMs: task.estimateMs }),
    ...(task.weight === 1 ? {} : { weight: task.weight }),
    ...(task.limits.length === 0 ? {} : { limits: task.limits }),
    ...(task.when === undefined ? {} : { when: task.when }),
  };
}

/** The spec of a whole DAG: every task's spec, and the defaults (which spawned tasks still need). */
export function dagSpecOf(dag: Dag): DagSpec {
  const tasks = dag.tasks.map((task) => taskSpecOf(task));
  return dag.defaults === undefined ? { id: dag.id, tasks } : { id: dag.id, tasks, defaults: dag.defaults };
}
