/**
 * Growing a running DAG by the tasks an agent spawned (`extendDag`), and checking them as a run
 * does (`extendDagForRun`: agents, limits, weights), with every problem of every spawned task
 * reported at once. Runs
 * nothing and changes nothing: the DAG it is given stays as it was, a new one is returned.
 */
import { jsonSafetyProblem } from '../jsonSafe';
import { type Dag, defineDag } from './defineDag';
import { grownDag } from './growDag';
import { TaskSpecs } from './specOf';
import { type DagIssue, DagValidationError, quoted } from './errors';
import { noAgentIssues, zodIssues } from './issues';
import { type DagSpec, idLengthFits, type TaskSpec, taskSpecSchema } from './schema';
import { escapeControls } from './text';
import { type AgentsOfTasks, unknownAgentIssues } from './unknownAgents';
import { type ListedDeps, listedDeps } from './validateTasks';

/**
 * A DAG grown by tasks an agent spawned: a pure function, so the reducer can replay a
 * `tasks.spawned` event into the same graph. Spawned tasks depend on their spawner (they start
 * when it completes and see its output); the spawner's dependents also wait for them (a join).
 * A spawned task may depend only on tasks spawned with it and on tasks already completed, which
 * rules out cycles through the existing graph.
 *
 * Costs O(tasks of the DAG) in typed-array copies (`growDag.ts`): a task spawned per task of a
 * big DAG makes the run quadratic, cheaply up to tens of thousands of tasks.
 */
export function extendDag(dag: Dag, spawner: number, specs: readonly TaskSpec[], sofar: TasksSoFar): Dag {
  return grow(dag, spawner, specs, sofar, undefined);
}

/** What a spawn needs to know of its run's tasks. */
export interface TasksSoFar {
  /** Whether `task` completed: a spawned task may depend on it. */
  completed(task: number): boolean;
  /** Whether `task` ended, however (a dependent of the spawner skipped by a trigger rule): it does not wait for the spawned tasks. */
  ended(task: number): boolean;
}

/**
 * `error` of a spawn of `specs`, picked from the tasks an agent `gave` (those of `keptBefore`, the
 * tasks its run kept from before a resume, left out), with its `spawn[…]` places those the agent
 * gave them, and a dependency on a kept task said to be one; any other error as it is.
 */
export function atPlacesGiven(
  error: unknown,
  gave: readonly TaskSpec[],
  specs: readonly TaskSpec[],
  dagId: string,
  keptBefore: readonly TaskSpec[] = [],
): unknown {
  if (!(error instanceof DagValidationError) || gave === specs) return error;
  const kept = new Set(keptBefore.map((spec) => spec.id));
  const placeGiven = (at: number) => gave.indexOf(specs[at]!);
  const issues = error.issues.map((issue) => {
    const [first, at, ...rest] = issue.path;
    if (first !== 'spawn' || typeof at !== 'number') return issue;
    const spec = specs[at]!;
    const depId = rest[0] === 'deps' && typeof rest[1] === 'number' ? spec.deps?.[rest[1]] : undefined;
    const message =
      issue.code === 'invalid-value' && depId !== undefined && kept.has(depId)
        ? `spawned task ${quoted(spec.id)} depends on ${quoted(depId)}, which this task spawned before the run was resumed (its journal kept it) and has not completed: a task new in a spawn given again after a resume may depend only on completed tasks and on the other new ones`
        : issue.message.replace(/\(also spawn\[(\d+)\]\)/, (_, other: string) => `(also spawn[${placeGiven(Number(other))}])`);
    return { ...issue, message, path: ['spawn', placeGiven(at), ...rest] };
  });
  return new DagValidationError(issues, dagId, error.spawner);
}

/** The checks a run makes of the tasks `fromTask`… of a grown DAG (agents, limits, weights), at `['tasks', task, …]`. */
export type SpawnCheck = (grown: Dag, fromTask: number) => readonly DagIssue[];

/**
 * {@link extendDag}, with the run's checks of the new tasks: that their agents (after the DAG's
 * defaults) are the run's, and what `check` adds (the scheduler's limits, weights). Throws one
 * `DagValidationError` naming every problem of the spawn: a bad field, a duplicate id or an
 * unknown dependency does not hide a cycle, an unknown agent or an unknown limit of the tasks
 * that have none of those. The DAG it returns is the one the reducer builds when it replays the
 * `tasks.spawned` event (the pipeline hands it to the reducer with the event, so it is built once).
 */
export function extendDagForRun(
  dag: Dag,
  spawner: number,
  specs: readonly TaskSpec[],
  sofar: TasksSoFar,
  agents: Readonly<Record<string, unknown>>,
  check: SpawnCheck,
): Dag {
  return grow(dag, spawner, specs, sofar, { agents, check });
}

function grow(
  dag: Dag,
  spawner: number,
  specs: readonly TaskSpec[],
  sofar: TasksSoFar,
  run: { readonly agents: Readonly<Record<string, unknown>>; readonly check: SpawnCheck } | undefined,
): Dag {
  const parentId = dag.index.ids[spawner]!;
  if (!Array.isArray(specs) || specs.length === 0) {
    throw new DagValidationError(
      [{ path: ['spawn'], code: 'invalid-value', message: 'expected a non-empty array of task specs' }],
      dag.id,
      parentId,
    );
  }
  const { issues, kept } = spawnIssues(dag, spawner, specs, (task) => sofar.completed(task));
  // with problems, the tasks that have none make the DAG, on what exists of their deps: what only a DAG shows (a cycle) is said too
  const keptIds = new Set(kept.map(({ spec }) => spec.id));
  const fine = (id: string) => {
    const existing = dag.taskIndex(id);
    return existing === undefined ? keptIds.has(id) : existing === spawner || sofar.completed(existing);
  };
  // where each dependency the DAG is given stands in the task's own `deps` (for the paths of its issues)
  const keptDeps = (spec: TaskSpec): number[] => (spec.deps ?? []).flatMap((id, d) => (issues.length === 0 || fine(id) ? [d] : []));
  const depsOf = (spec: TaskSpec): readonly string[] => keptDeps(spec).map((d) => spec.deps![d]!);
  // tasks without a problem grow the DAG's own arrays; otherwise (or for a cycle) the grown spec is defined, to say what is wrong
  const keptSpecs = kept.map(({ spec }) => spec);
  // the spawner's dependents still to run wait for the spawned tasks (one that ended, skipped, does not)
  const joins = (dependent: number) => !sofar.ended(dependent);
  let grown = issues.length === 0 ? grownDag(dag, spawner, keptSpecs, depsOf, joins) : undefined;
  if (grown === undefined) {
    try {
      grown = defineDag(grownSpec(dag, spawner, kept, depsOf, joins));
    } catch (error) {
      if (!(error instanceof DagValidationError)) throw error;
      issues.push(...atSpawn(error.issues, dag.size, kept, keptDeps));
    }
  }
  if (run !== undefined) {
    const { agents, check } = run;
    const known = (name: string) => name === '' || Object.hasOwn(agents, name);
    issues.push(
      ...unknownAgentIssues(agentsOfSpecs(specs, dag.defaults?.agent), known, Object.keys(agents), {
        pathOf: (task) => ['spawn', task, 'agent'],
      }),
    );
    // the run's checks read each task's own fields, not its deps: a spawn with problems is checked
    // on its tasks without any, each depending on its spawner only (no cycle keeps them from a DAG)
    const checked = grown !== undefined && issues.length === 0 ? grown : definedOrNot(grownSpec(dag, spawner, kept, () => [], joins));
    if (checked !== undefined)
      issues.push(...atSpawn(check(checked, dag.size), dag.size, kept, () => []).filter((issue) => issue.code !== 'unknown-agent'));
  }
  if (issues.length > 0) throw new DagValidationError(issues, dag.id, parentId);
  return grown!;
}

/** The spec of `dag` grown by `kept`, each depending on its spawner and on `depsOf` it; the spawner's dependents that `joins` wait for them too. */
function grownSpec(
  dag: Dag,
  spawner: number,
  kept: readonly { readonly spec: TaskSpec }[],
  depsOf: (spec: TaskSpec) => readonly string[],
  joins: (dependent: number) => boolean,
): DagSpec {
  const parentId = dag.index.ids[spawner]!;
  const spawnedIds = kept.map(({ spec }) => spec.id);
  const dependentsOfSpawner = new Set<number>();
  const { start, targets } = dag.index.dependents;
  for (let e = start[spawner]!; e < start[spawner + 1]!; e++) if (joins(targets[e]!)) dependentsOfSpawner.add(targets[e]!);
  const written = new TaskSpecs(dag);
  const tasks: TaskSpec[] = Array.from({ length: dag.size }, (_, i) =>
    written.specOf(i, dependentsOfSpawner.has(i) ? spawnedIds : undefined),
  );
  for (const { spec } of kept) tasks.push({ ...spec, deps: [parentId, ...depsOf(spec)] });
  return { id: dag.id, tasks, ...(dag.defaults === undefined ? {} : { defaults: dag.defaults }) };
}

/** The DAG of `spec`, or undefined when it makes none. */
function definedOrNot(spec: DagSpec): Dag | undefined {
  try {
    return defineDag(spec);
  } catch {
    return undefined;
  }
}

/** `issues` of the grown DAG's tasks, those of spawned tasks (from `size` on) pointed at their place in the spawn. */
function atSpawn(
  issues: readonly DagIssue[],
  size: number,
  kept: readonly { readonly spec: TaskSpec; readonly at: number }[],
  keptDeps: (spec: TaskSpec) => readonly number[],
): DagIssue[] {
  return issues.map((issue) => {
    const [first, position, ...rest] = issue.path;
    if (first !== 'tasks' || typeof position !== 'number' || position < size) return issue;
    const { spec, at } = kept[position - size]!;
    // the grown task's deps are its spawner's id, then those of its own it was given
    const [field, dep, ...more] = rest;
    if (field !== 'deps' || typeof dep !== 'number') return { ...issue, path: ['spawn', at, ...rest] };
    const own = dep === 0 ? undefined : keptDeps(spec)[dep - 1];
    return { ...issue, path: own === undefined ? ['spawn', at, 'deps'] : ['spawn', at, 'deps', own, ...more] };
  });
}

/**
 * The problems of each spawned task on its own and against the run (its fields, its id, its
 * deps), and the tasks that have none, with their place in the spawn.
 */
function spawnIssues(
  dag: Dag,
  spawner: number,
  specs: readonly TaskSpec[],
  isCompleted: (task: number) => boolean,
): { issues: DagIssue[]; kept: { readonly spec: TaskSpec; readonly at: number }[] } {
  const issues: DagIssue[] = [];
  const kept: { spec: TaskSpec; at: number }[] = [];
  const newIds = new Map<string, number>();
  // every id of the spawn, for deps on a sibling given later: one lookup a dep, not a scan of the spawn
  const siblingIds = new Set<unknown>(specs.map((spec) => (spec as { id?: unknown } | null)?.id));
  specs.forEach((spec, i) => {
    const before = issues.length;
    // every problem of the task: a bad field does not hide its id, agent, input or deps
    const parsed = taskSpecSchema.safeParse(spec);
    if (!parsed.success) issues.push(...zodIssues(parsed.error, ['spawn', i], spec, taskSpecSchema));
    const task = parsed.success ? parsed.data : usableFields(spec);
    if (task === undefined) return;
    const problem = task.input === undefined ? undefined : jsonSafetyProblem(task.input);
    if (problem !== undefined)
      issues.push({ path: ['spawn', i, 'input'], code: 'invalid-value', message: `input is not JSON-safe: ${escapeControls(problem)}` });
    if (task.agent === undefined && dag.defaults?.agent === undefined) issues.push(...noAgentIssues(['spawn', i, 'agent'], task.id, spec));
    if (dag.taskIndex(task.id) !== undefined) {
      issues.push({ path: ['spawn', i, 'id'], code: 'duplicate-id', message: `task id ${quoted(task.id)} is already used in this run` });
    } else if (newIds.has(task.id)) {
      const message = `task id ${quoted(task.id)} is given twice among the tasks this attempt spawns (also spawn[${newIds.get(task.id)!}])`;
      issues.push({ path: ['spawn', i, 'id'], code: 'duplicate-id', message });
    }
    const firstOfId = !newIds.has(task.id) && dag.taskIndex(task.id) === undefined;
    if (!newIds.has(task.id)) newIds.set(task.id, i);
    const onSiblings = (task.deps ?? []).some((depId) => depId !== undefined && dag.taskIndex(depId) === undefined);
    if ((spec as { when?: unknown }).when === 'any-failed' && !onSiblings) {
      const message = `spawned task ${quoted(task.id)} has \`when: any-failed\` but depends on no task spawned with it: a spawned task may depend only on tasks that completed (its spawner too) and on those spawned with it, so none of its dependencies can fail and it could never run`;
      issues.push({ path: ['spawn', i, 'when'], code: 'invalid-value', message });
    }
    for (const [d, depId] of (task.deps ?? []).entries()) {
      if (depId === undefined) continue; // not a string: said by the schema
      const existing = dag.taskIndex(depId);
      if (existing === undefined && !siblingIds.has(depId)) {
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
    // a task with a problem of its own makes no part of the DAG; one whose deps are at fault still does, without them
    const ownProblem = issues.slice(before).some((issue) => issue.path[2] !== 'deps');
    if (parsed.success && firstOfId && !ownProblem) kept.push({ spec, at: i });
  });
  return { issues, kept };
}

/** The id, string deps, agent and input of a spawned task that failed its schema, when its id is a usable string. */
function usableFields(spec: unknown): { id: string; deps: ListedDeps; agent?: string; input?: unknown } | undefined {
  if (typeof spec !== 'object' || spec === null) return undefined;
  const { id, deps, agent, input } = spec as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0 || !idLengthFits(id)) return undefined;
  const strings = listedDeps(deps);
  // an agent given, even an invalid one (already reported), is not also "no agent"
  return { id, deps: strings, input, ...(agent === undefined ? {} : { agent: typeof agent === 'string' ? agent : '' }) };
}

/** The agent each spawned spec names (after the DAG's default; `''` for none usable), for the unknown-agent check. */
function agentsOfSpecs(specs: readonly unknown[], defaultAgent: string | undefined): AgentsOfTasks {
  const agentNames: string[] = [];
  const agentCodes = new Int32Array(specs.length);
  const ids = specs.map((spec, i) => {
    const { id, agent } = (typeof spec === 'object' && spec !== null ? spec : {}) as Record<string, unknown>;
    const name = typeof agent === 'string' ? agent : agent === undefined ? (defaultAgent ?? '') : '';
    let code = agentNames.indexOf(name);
    if (code < 0) code = agentNames.push(name) - 1;
    agentCodes[i] = code;
    return typeof id === 'string' ? id : `spawn[${i}]`;
  });
  return { size: specs.length, index: { agentCodes, agentNames, ids } };
}
