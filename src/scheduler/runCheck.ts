import { DagValidationError, quoted } from '../dag/errors';
import type { DagIssue } from '../dag/errors';
import type { Dag } from '../dag/types';
import { roomOf, tooMuchOf } from '../dag/declaredLimits';
import { unitsIn } from '../dag/taskLimits';
import { escapeControls } from '../dag/text';
import { unknownAgentIssues } from '../dag/unknownAgents';
import { jsonSafetyProblem } from '../jsonSafe';
import type { AgentDefinition } from '../agents/agentSpec';
import type { LimitSpec } from './limits';
import { parseSchedulerOptions, type SchedulerOptions } from './options';

/**
 * What a run of a DAG needs from its scheduler, checked before it starts (and for spawned tasks
 * before they join): every agent it names, every limit it names, and room for each task's
 * weight in `maxConcurrency`, in its agent's capacity and in each of its limits (a task heavier
 * than one of them could never start); and, for a journaled run, inputs that JSON keeps. Every
 * problem at once, as `DagIssue`s; it throws nothing.
 * {@link checkRun} makes the same checks as `runDag` does before it returns, without loading the
 * scheduler (a tool that only validates, like `rxdag validate`, needs no RxJS).
 */

/** What a run is checked against. */
export interface RunResources {
  readonly agents: Readonly<Record<string, AgentDefinition>>;
  readonly limits: Readonly<Record<string, LimitSpec>>;
  readonly maxConcurrency: number;
}

/** Which tasks to check (all, or the spawned ones), where their issues point, and in whose words. */
export interface CheckedTasks {
  readonly fromTask?: number;
  readonly pathOf?: (task: number) => (string | number)[];
  /** How an issue names the run's `maxConcurrency` of `limit` (a command line has its own flag). */
  readonly concurrencyName?: (limit: number) => string;
  /**
   * Whether the task may still start (default: every task): a resumed run's ended tasks never
   * start again, so their weights need no room (their agents and limits are still checked).
   */
  readonly mayStart?: (task: number) => boolean;
}

/** The library's name for the run's concurrency. */
const MAX_CONCURRENCY = (limit: number): string => `\`maxConcurrency\` ${limit}`;

/**
 * Throws what `runDag(dag, options)` would throw on a bad option (`TypeError`) or on a DAG the
 * options cannot run (`DagValidationError`); creates no run.
 */
export function checkRun(dag: Dag, options: SchedulerOptions, which: Pick<CheckedTasks, 'concurrencyName'> = {}): void {
  const problems = runIssues(dag, parseSchedulerOptions(options), which);
  if (problems.length > 0) throw new DagValidationError(problems, dag.id);
}

export function runIssues(dag: Dag, resources: RunResources, which: CheckedTasks = {}): DagIssue[] {
  const { agents, limits, maxConcurrency } = resources;
  const fromTask = which.fromTask ?? 0;
  const pathOf = which.pathOf ?? ((task: number) => ['tasks', task]);
  const concurrencyName = which.concurrencyName ?? MAX_CONCURRENCY;
  const mayStart = which.mayStart;
  const issues = unknownAgentIssues(dag, (name) => Object.hasOwn(agents, name), Object.keys(agents), {
    fromTask,
    pathOf: (task) => [...pathOf(task), 'agent'],
  });
  const { index } = dag;
  if (index.weight === undefined && index.limits === undefined) return issues;
  // what each limit and agent allows, looked up once per name rather than once per task
  const roomByName = new Map<string, number | undefined>();
  const room = (name: string): number | undefined => {
    if (!roomByName.has(name)) roomByName.set(name, Object.hasOwn(limits, name) ? roomOf(limits[name]!) : undefined);
    return roomByName.get(name);
  };
  const capacities = index.agentNames.map((name) => {
    const agent = agents[name];
    return typeof agent === 'object' ? (agent.capacity ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY;
  });
  for (let task = fromTask; task < dag.size; task++) {
    const weight = index.weight?.[task] ?? 1;
    const names = index.limits?.[task];
    const own = index.limitUnits?.[task];
    if (names !== undefined) {
      for (let k = 0; k < names.length; k++) {
        const name = names[k]!;
        // where the task names it: its place in a list, its key in a mapping
        const at = own === undefined ? k : name;
        // own keys only: a limit called `constructor` or `__proto__` must be declared to count
        const allowed = room(name);
        const units = unitsIn(own, name, weight);
        if (allowed === undefined) {
          const known = Object.keys(limits);
          issues.push({
            path: [...pathOf(task), 'limits', at],
            code: 'unknown-limit',
            message: `task ${quoted(index.ids[task]!)} needs limit ${quoted(name)}, which is not declared; known limits: ${known.length === 0 ? 'none' : known.map(quoted).join(', ')}`,
          });
        } else if (units > allowed && (mayStart === undefined || mayStart(task))) {
          const message = tooMuchOf(`task ${quoted(index.ids[task]!)}`, units, name, limits[name]!, own !== undefined)!;
          issues.push(tooHeavy([...pathOf(task), ...(own === undefined ? ['weight'] : ['limits', name])], message));
        }
      }
    }
    if (mayStart !== undefined && !mayStart(task)) continue;
    if (weight > maxConcurrency) {
      issues.push(
        tooHeavy(
          [...pathOf(task), 'weight'],
          `task ${quoted(index.ids[task]!)} weighs ${weight}, more than ${concurrencyName(maxConcurrency)}`,
        ),
      );
    }
    const capacity = capacities[index.agentCodes[task]!]!;
    if (weight > capacity) {
      const name = quoted(index.agentNames[index.agentCodes[task]!]!);
      issues.push(
        tooHeavy(
          [...pathOf(task), 'weight'],
          `task ${quoted(index.ids[task]!)} weighs ${weight}, more than the capacity ${capacity} of agent ${name}`,
        ),
      );
    }
  }
  return issues;
}

/**
 * What a journaled run needs of its DAG besides: inputs that JSON keeps as they are. Its record
 * holds the DAG as JSON, so a resumed run would hand its agents a `Date` as a string, a function
 * or `NaN` not at all. Spawned tasks' inputs are checked when they are spawned.
 */
export function journaledInputIssues(dag: Dag): DagIssue[] {
  const issues: DagIssue[] = [];
  const { inputs, ids } = dag.index;
  for (let task = 0; task < inputs.length; task++) {
    const input = inputs[task];
    const problem = input === undefined ? undefined : jsonSafetyProblem(input);
    if (problem !== undefined) {
      issues.push({
        path: ['tasks', task, 'input'],
        code: 'invalid-value',
        message: `input of task ${quoted(ids[task]!)} is not JSON-safe: ${escapeControls(problem)}; a journaled run keeps its inputs as JSON`,
      });
    }
  }
  return issues;
}

function tooHeavy(path: (string | number)[], message: string): DagIssue {
  return { path, code: 'too-heavy', message: `${message}: it could never start` };
}
