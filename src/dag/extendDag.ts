import { jsonSafetyProblem } from '../jsonSafe';
import { type Dag, defineDag, type Task } from './defineDag';
import { type DagIssue, DagValidationError, quoted } from './errors';
import { type TaskSpec, taskSpecSchema } from './schema';
import { unknownAgentIssues } from './unknownAgents';

/**
 * A DAG grown by tasks an agent spawned: a pure function, so the reducer can replay a
 * `tasks.spawned` event into the same graph. Spawned tasks depend on their spawner (they start
 * when it completes and see its output); the spawner's dependents also wait for them (a join).
 * A spawned task may depend only on tasks spawned with it and on tasks already completed, which
 * rules out cycles through the existing graph.
 *
 * Costs O(tasks of the DAG): spawning suits planners that add a handful of tasks, not one task
 * per task of a million-task DAG.
 */
export function extendDag(dag: Dag, spawner: number, specs: readonly TaskSpec[], isCompleted: (task: number) => boolean): Dag {
  const parentId = dag.index.ids[spawner]!;
  const issues: DagIssue[] = [];
  if (!Array.isArray(specs) || specs.length === 0) {
    throw new DagValidationError([{ path: ['spawn'], code: 'invalid-value', message: 'expected a non-empty array of task specs' }], dag.id);
  }
  const newIds = new Map<string, number>();
  specs.forEach((spec, i) => {
    const parsed = taskSpecSchema.safeParse(spec);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        issues.push({
          path: ['spawn', i, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
          code: 'invalid-value',
          message: issue.message,
        });
      }
      return;
    }
    const task = parsed.data;
    const problem = task.input === undefined ? undefined : jsonSafetyProblem(task.input);
    if (problem !== undefined)
      issues.push({ path: ['spawn', i, 'input'], code: 'invalid-value', message: `input is not JSON-safe: ${problem}` });
    if (dag.taskIndex(task.id) !== undefined || newIds.has(task.id)) {
      issues.push({ path: ['spawn', i, 'id'], code: 'duplicate-id', message: `task id ${quoted(task.id)} is already used in this run` });
    }
    newIds.set(task.id, i);
    for (const [d, depId] of (task.deps ?? []).entries()) {
      const existing = dag.taskIndex(depId);
      if (existing === undefined && !specs.some((other) => (other as { id?: unknown })?.id === depId)) {
        issues.push({
          path: ['spawn', i, 'deps', d],
          code: 'unknown-dependency',
          message: `spawned task ${quoted(task.id)} depends on ${quoted(depId)}, which is not a task of this run`,
        });
      } else if (existing !== undefined && existing !== spawner && !isCompleted(existing)) {
        issues.push({
          path: ['spawn', i, 'deps', d],
          code: 'invalid-value',
          message: `spawned task ${quoted(task.id)} depends on ${quoted(depId)}, which has not completed (a spawned task may depend only on completed tasks and on tasks spawned with it)`,
        });
      }
    }
  });
  if (issues.length > 0) throw new DagValidationError(issues, dag.id);

  const spawnedIds = specs.map((spec) => spec.id);
  const dependentsOfSpawner = new Set<number>();
  const { start, targets } = dag.index.dependents;
  for (let e = start[spawner]!; e < start[spawner + 1]!; e++) dependentsOfSpawner.add(targets[e]!);
  const tasks: TaskSpec[] = dag.tasks.map((task) => specOf(task, dependentsOfSpawner.has(task.index) ? spawnedIds : []));
  for (const spec of specs) tasks.push({ ...spec, deps: [parentId, ...(spec.deps ?? [])] });
  let result: Dag;
  try {
    result = defineDag({ id: dag.id, tasks, ...(dag.defaults === undefined ? {} : { defaults: dag.defaults }) });
  } catch (error) {
    // only the spawned tasks can be at fault: point the paths at them
    if (!(error instanceof DagValidationError)) throw error;
    throw new DagValidationError(
      error.issues.map((issue) => {
        const [first, position, ...rest] = issue.path;
        return first === 'tasks' && typeof position === 'number' && position >= dag.size
          ? { ...issue, path: ['spawn', position - dag.size, ...rest] }
          : issue;
      }),
      dag.id,
    );
  }
  return result;
}

function specOf(task: Task, extraDeps: readonly string[]): TaskSpec {
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
  };
}

/**
 * {@link extendDag}, then checks that every new task's agent (after the DAG's defaults) is one
 * the run has. Throws a `DagValidationError` naming each problem; the DAG it returns is the one
 * the reducer builds when it replays the `tasks.spawned` event (the pipeline hands it to the
 * reducer with the event, so it is built once).
 */
export function extendDagWithAgents(
  dag: Dag,
  spawner: number,
  specs: readonly TaskSpec[],
  isCompleted: (task: number) => boolean,
  agents: Readonly<Record<string, unknown>>,
): Dag {
  const grown = extendDag(dag, spawner, specs, isCompleted);
  const problems = unknownAgentIssues(grown, (name) => agents[name] !== undefined, Object.keys(agents), {
    fromTask: dag.size,
    pathOf: (task) => ['spawn', task - dag.size, 'agent'],
  });
  if (problems.length > 0) throw new DagValidationError(problems, dag.id);
  return grown;
}
