/**
 * What a run was set up with, beyond its graph, as `rxdag show` and the report show it: its
 * named limits, what each task asks of them (`limits`, `weight`), its trigger rule (`when`), its
 * estimate and whether that came from earlier runs; and why a skipped task was skipped, worded
 * from how the task it names ended. Built from a DAG spec (the file's, or a journal's header),
 * and for the tasks a run spawned, from their `tasks.spawned` events. Words and data only: the
 * report and `show` lay them out.
 */
import type { DagEvent, DagSpec, JournalHeader, LimitSpec, TaskSpec, TriggerRule } from '../../index';
import { limitNamesOf, type LimitUnits, ownUnitsOf } from '../../dag/taskLimits';
import { describeLimit } from '../../scheduler/limits';
import { formatMs } from '../report/html';
import { type EstimatesNote, estimatesNoteOf } from '../store/historyEstimates';

/** What one task asks of the run, where it says anything beyond the defaults. */
export interface TaskSetup {
  /** The names of the limits it needs. */
  readonly limits?: readonly string[];
  /** The units it takes of each of them, where it gave them as a mapping (otherwise its weight of each). */
  readonly limitUnits?: LimitUnits;
  /** Present when not 1. */
  readonly weight?: number;
  readonly when?: TriggerRule;
  readonly estimateMs?: number;
  /** The estimate came from earlier runs of the DAG. */
  readonly estimateFromHistory?: true;
}

/** A run's limits, each task's setup (only tasks that have one), and the estimates taken from history. */
export interface RunSetup {
  readonly limits: Readonly<Record<string, LimitSpec>>;
  readonly tasks: ReadonlyMap<string, TaskSetup>;
  readonly estimates?: EstimatesNote;
  /** What the DAG's defaults ask of every task that does not say (spawned tasks too). */
  readonly defaults?: TaskAsks;
  /**
   * Each task's priority as the run's dispatch order counts it, where it is not 0: its own,
   * raised to the highest of the tasks that depend on it (a spawned task's own only).
   */
  readonly priorities?: ReadonlyMap<string, number>;
}

/** The fields of a task spec (or of the DAG's defaults) that ask something of the run. */
type TaskAsks = Pick<TaskSpec, 'limits' | 'weight' | 'priority'>;

/** The setup of a journaled run, as its header holds it (its DAG, its limits, its estimates' note). */
export function journaledSetupOf(header: JournalHeader): RunSetup {
  return runSetupOf(header.spec, header.options.limits, estimatesNoteOf(header.options.metadata));
}

/** The setup of a run of `spec` under `limits`, with the estimates `note` says came from history. */
export function runSetupOf(spec: DagSpec, limits: Readonly<Record<string, LimitSpec>> | undefined, note?: EstimatesNote): RunSetup {
  const fromHistory = new Set(note?.fromHistory);
  const tasks = new Map<string, TaskSetup>();
  const defaults = spec.defaults;
  for (const task of spec.tasks) addTaskSetup(tasks, task, fromHistory.has(task.id), defaults);
  const priorities = inheritedPriorities(spec.tasks, defaults);
  return {
    limits: limits ?? {},
    tasks,
    priorities,
    ...(note === undefined ? {} : { estimates: note }),
    ...(defaults === undefined ? {} : { defaults }),
  };
}

/**
 * `setup` with the tasks the run spawned: their specs are in their `tasks.spawned` events, not
 * in the DAG the setup was made from. `setup` itself when nothing was spawned.
 *
 * @example
 * withSpawnedTasks(journaledSetupOf(header), events).tasks.get('summarize-1') // { limits: ['provider'] }
 */
export function withSpawnedTasks(setup: RunSetup, events: readonly DagEvent[]): RunSetup {
  let tasks: Map<string, TaskSetup> | undefined;
  let priorities: Map<string, number> | undefined;
  for (const event of events) {
    // an events log is checked only for the fields every event has
    if (event.type !== 'tasks.spawned' || !Array.isArray(event.tasks)) continue;
    tasks ??= new Map(setup.tasks);
    priorities ??= new Map(setup.priorities);
    for (const task of event.tasks) {
      if (typeof task?.id !== 'string') continue;
      addTaskSetup(tasks, task, false, setup.defaults);
      const priority = task.priority ?? setup.defaults?.priority;
      if (typeof priority === 'number' && priority !== 0 && !priorities.has(task.id)) priorities.set(task.id, priority);
    }
  }
  return tasks === undefined || priorities === undefined ? setup : { ...setup, tasks, priorities };
}

/**
 * Each task's priority as the dispatch order counts it, where not 0: its own (else the
 * defaults'), raised to the highest of the tasks that depend on it, directly or not. Dependents
 * pass theirs on before their dependencies, as in a topological order read backwards.
 */
function inheritedPriorities(tasks: readonly TaskSpec[], defaults: TaskAsks | undefined): Map<string, number> {
  const effective = new Map<string, number>();
  for (const task of tasks) {
    const priority = task.priority ?? defaults?.priority ?? 0;
    if (typeof priority === 'number' && priority !== 0) effective.set(task.id, priority);
  }
  if (effective.size === 0) return effective;
  const byId = new Map(tasks.map((task) => [task.id, task]));
  // how many dependents have yet to pass their priority on to each task
  const pending = new Map<string, number>();
  for (const task of tasks) for (const dep of task.deps ?? []) pending.set(dep, (pending.get(dep) ?? 0) + 1);
  const next = tasks.filter((task) => !pending.has(task.id));
  while (next.length > 0) {
    const task = next.pop()!;
    const priority = effective.get(task.id) ?? 0;
    for (const dep of task.deps ?? []) {
      if (priority > (effective.get(dep) ?? 0)) effective.set(dep, priority);
      const left = pending.get(dep)! - 1;
      pending.set(dep, left);
      const depTask = byId.get(dep);
      if (left === 0 && depTask !== undefined) next.push(depTask);
    }
  }
  for (const [id, priority] of effective) if (priority === 0) effective.delete(id);
  return effective;
}

/** Adds what `task` asks of the run to `tasks` (its own, else the DAG's `defaults`), when it asks anything. */
function addTaskSetup(tasks: Map<string, TaskSetup>, task: TaskSpec, estimateFromHistory: boolean, defaults: TaskAsks | undefined): void {
  const limits = task.limits ?? defaults?.limits;
  const names = limitNamesOf(limits);
  const own = limits === undefined || names.length === 0 ? undefined : ownUnitsOf(limits);
  const weight = task.weight ?? defaults?.weight;
  const setup: TaskSetup = {
    ...(names.length === 0 ? {} : { limits: names }),
    ...(own === undefined ? {} : { limitUnits: own }),
    ...(weight === undefined || weight === 1 ? {} : { weight }),
    ...(task.when === undefined ? {} : { when: task.when }),
    ...(task.estimateMs === undefined ? {} : { estimateMs: task.estimateMs }),
    ...(estimateFromHistory && task.estimateMs !== undefined ? { estimateFromHistory: true as const } : {}),
  };
  if (Object.keys(setup).length > 0) tasks.set(task.id, setup);
}

/** Every limit of the run: `api: 2 at once, 60 per minute; db: 4 at once`, or '' for none. */
export function describeLimits(limits: Readonly<Record<string, LimitSpec>>): string {
  return Object.keys(limits)
    .map((name) => `${name}: ${describeLimit(limits[name]!)}`)
    .join('; ');
}

/** What the rules of a task say (`limits api · weight 4 · when all-done`, `limits api ×1, tokens ×3000`), or '' for none. */
export function describeRules(setup: TaskSetup | undefined): string {
  if (setup === undefined) return '';
  const parts: string[] = [];
  const own = setup.limitUnits;
  if (setup.limits !== undefined)
    parts.push(`limits ${setup.limits.map((name) => (own === undefined ? name : `${name} ×${own[name]}`)).join(', ')}`);
  if (setup.weight !== undefined) parts.push(`weight ${setup.weight}`);
  if (setup.when !== undefined) parts.push(`when ${setup.when}`);
  return parts.join(' · ');
}

/** A task's estimate: `1.20 s (history)`, `150 ms`, or '' for none. */
export function describeEstimate(setup: TaskSetup | undefined): string {
  if (setup?.estimateMs === undefined) return '';
  return `${formatMs(setup.estimateMs)}${setup.estimateFromHistory === true ? ' (history)' : ''}`;
}

/** How the task a `task.skipped` names (`because`) had ended when it was skipped. */
export type BecauseEnded = 'failed' | 'skipped' | 'completed' | undefined;

/**
 * Why a task was skipped, from how the task its event names ended: a task upstream (a dependency,
 * or one further up a chain of skips) that failed or was skipped; or, when that dependency completed, an `any-failed` task none of whose
 * dependencies failed (the only rule that skips after a success).
 *
 * @example
 * skipReason('summarize-3', 'failed')    // 'upstream task "summarize-3" failed'
 * skipReason('summarize-1', 'completed') // 'no dependency failed (when any-failed)'
 */
export function skipReason(because: string, ended: BecauseEnded, name: (id: string) => string = (id) => `"${id}"`): string {
  if (ended === 'completed') return 'no dependency failed (when any-failed)';
  if (ended === 'skipped') return `upstream task ${name(because)} was skipped`;
  return `upstream task ${name(because)} failed`;
}
