import { DagValidationError, quoted } from '../dag/errors';
import type { DagIssue, DagIssueCode } from '../dag/errors';
import type { Dag } from '../dag/types';
import { KeptFromStarting, roomOf, THE_DEFAULTS, tooMuchOf } from '../dag/declaredLimits';
import { sameLimits, unitsIn } from '../dag/taskLimits';
import { escapeControls, meantHint } from '../dag/text';
import { unknownAgentIssues } from '../dag/unknownAgents';
import { jsonBytes, MAX_JSON_BYTES, toJsonSafe } from '../jsonSafe';
import type { AgentDefinition } from '../agents/agentSpec';
import type { LimitSpec } from './limits';
import { parseSchedulerOptions, type SchedulerOptions } from './options';

/**
 * What a run of a DAG needs from its scheduler, checked before it starts (and for spawned tasks
 * before they join): every agent it names, every limit it names, and room for each task's
 * weight in `maxConcurrency`, in its agent's capacity and in each of its limits (a task heavier
 * than one of them could never start); and, for a journaled run, inputs that JSON keeps. Every
 * problem at once, as `DagIssue`s; it throws nothing. A problem the tasks have because they take
 * a field from the DAG's `defaults` (a limit the defaults name, the defaults' weight) is the
 * defaults', said once at `defaults.limits…` or `defaults.weight`; a task that sets the field
 * itself is told at its own path.
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
  /**
   * Whether a task leaves `weight` or `limits` to the DAG's `defaults` (default: when its value is
   * the defaults', see `sameAsDefaults`). A caller that has the spec as written tells it exactly.
   */
  readonly takesDefault?: TakesDefault;
  /** Why a limit the tasks name is not among the run's when it is declared elsewhere (default: it is not declared). */
  readonly notTheRuns?: (name: string) => string | undefined;
}

/** Whether `task` takes `field` from the DAG's `defaults` rather than setting it itself. */
export type TakesDefault = (task: number, field: 'weight' | 'limits') => boolean;

/** The library's name for the run's concurrency. */
const MAX_CONCURRENCY = (limit: number): string => `\`maxConcurrency\` ${limit}`;

/**
 * Throws what `runDag(dag, options)` would throw on a bad option (`TypeError`) or on a DAG the
 * options cannot run (`DagValidationError`); creates no run.
 */
export function checkRun(
  dag: Dag,
  options: SchedulerOptions,
  which: Pick<CheckedTasks, 'concurrencyName' | 'mayStart' | 'takesDefault'> = {},
): void {
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
  const takesDefault = which.takesDefault ?? sameAsDefaults(dag);
  const ofDefaults = new DefaultsIssues(issues);
  // what each limit and agent allows, looked up once per name rather than once per task
  const roomByName = new Map<string, number | undefined>();
  const room = (name: string): number | undefined => {
    if (!roomByName.has(name)) roomByName.set(name, Object.hasOwn(limits, name) ? roomOf(limits[name]!) : undefined);
    return roomByName.get(name);
  };
  const known = Object.keys(limits);
  const knownList = known.length === 0 ? 'none' : known.map(quoted).join(', ');
  const capacities = index.agentNames.map((name) => {
    const agent = agents[name];
    return typeof agent === 'object' ? (agent.capacity ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY;
  });
  // a task whose weight is more than `than` allows: its own problem, or its defaults'
  const weighsMoreThan = (task: number, weight: number, than: string) => {
    if (takesDefault(task, 'weight')) {
      ofDefaults.keepFromStarting(['defaults', 'weight'], `${THE_DEFAULTS} weigh ${weight}, more than ${than}`, 'weight', index.ids[task]!);
    } else {
      issues.push(tooHeavy([...pathOf(task), 'weight'], `task ${quoted(index.ids[task]!)} weighs ${weight}, more than ${than}`));
    }
  };
  for (let task = fromTask; task < dag.size; task++) {
    const weight = index.weight?.[task] ?? 1;
    const names = index.limits?.[task];
    const own = index.limitUnits?.[task];
    const starts = mayStart === undefined || mayStart(task);
    if (names !== undefined) {
      for (let k = 0; k < names.length; k++) {
        const name = names[k]!;
        // where the task names it: its place in a list, its key in a mapping
        const at = own === undefined ? k : name;
        // own keys only: a limit called `constructor` or `__proto__` must be declared to count
        const allowed = room(name);
        const units = unitsIn(own, name, weight);
        if (allowed === undefined) {
          const why = which.notTheRuns?.(name) ?? 'which is not declared';
          const needs = `limit ${quoted(name)}, ${why}${meantHint(name, known)}; known limits: ${knownList}`;
          if (takesDefault(task, 'limits')) ofDefaults.say(['defaults', 'limits', at], 'unknown-limit', `${THE_DEFAULTS} need ${needs}`);
          else {
            const message = `task ${quoted(index.ids[task]!)} needs ${needs}`;
            issues.push({ path: [...pathOf(task), 'limits', at], code: 'unknown-limit', message });
          }
        } else if (units > allowed && starts) {
          // the units are the task's weight for a list of names, its own count for a mapping
          const field = own === undefined ? 'weight' : 'limits';
          const ownCount = own !== undefined;
          if (takesDefault(task, field)) {
            const path = ownCount ? ['defaults', 'limits', name] : ['defaults', 'weight'];
            ofDefaults.keepFromStarting(path, tooMuchOf(THE_DEFAULTS, units, name, limits[name]!, ownCount)!, field, index.ids[task]!);
          } else {
            const message = tooMuchOf(`task ${quoted(index.ids[task]!)}`, units, name, limits[name]!, ownCount)!;
            issues.push(tooHeavy([...pathOf(task), ...(ownCount ? ['limits', name] : ['weight'])], message));
          }
        }
      }
    }
    if (!starts) continue;
    if (weight > maxConcurrency) weighsMoreThan(task, weight, concurrencyName(maxConcurrency));
    const capacity = capacities[index.agentCodes[task]!]!;
    if (weight > capacity)
      weighsMoreThan(task, weight, `the capacity ${capacity} of agent ${quoted(index.agentNames[index.agentCodes[task]!]!)}`);
  }
  return ofDefaults.said();
}

/**
 * Whether a task takes a field from the DAG's defaults by its value: the defaults give the field
 * and the task's is the same (as `dagSpecOf` writes the task, leaving the field out; a DAG keeps
 * no more than that of how its spec was written).
 */
function sameAsDefaults({ defaults, index }: Dag): TakesDefault {
  if (defaults === undefined) return () => false;
  return (task, field) =>
    field === 'weight'
      ? defaults.weight !== undefined && (index.weight?.[task] ?? 1) === defaults.weight
      : defaults.limits !== undefined && sameLimits(index.limits?.[task] ?? [], index.limitUnits?.[task], defaults.limits);
}

/**
 * The problems of a DAG's defaults among a run's issues: each said once, at the defaults, where
 * the first task that takes the field from them meets it, and naming every such task a weight
 * keeps from starting.
 */
class DefaultsIssues {
  // by path and message: the issue's place among the others, and the tasks it keeps from starting
  private readonly found = new Map<string, { readonly at: number; readonly kept?: KeptFromStarting }>();

  constructor(private readonly issues: DagIssue[]) {}

  /** A problem of the defaults that is theirs alone (a limit they name is not declared). */
  say(path: (string | number)[], code: DagIssueCode, message: string): void {
    const key = `${JSON.stringify(path)}\n${message}`;
    if (this.found.has(key)) return;
    this.found.set(key, { at: this.issues.length });
    this.issues.push({ path, code, message });
  }

  /** A weight or units of the defaults too much for something: the task `id` could never start. */
  keepFromStarting(path: (string | number)[], message: string, field: 'weight' | 'limits', id: string): void {
    const key = `${JSON.stringify(path)}\n${message}`;
    let found = this.found.get(key);
    if (found === undefined) {
      found = { at: this.issues.length, kept: new KeptFromStarting(field) };
      this.found.set(key, found);
      this.issues.push({ path, code: 'too-heavy', message });
    }
    found.kept!.add(quoted(id));
  }

  /** The run's issues, each of the defaults' ending with the tasks it keeps from starting. */
  said(): DagIssue[] {
    for (const { at, kept } of this.found.values()) {
      if (kept !== undefined) this.issues[at] = { ...this.issues[at]!, message: this.issues[at]!.message + kept.ending() };
    }
    return this.issues;
  }
}

/**
 * What a journaled run needs of its DAG besides: inputs that JSON keeps as they are, and that
 * fit in one line together. Its record holds the DAG as JSON (its first line), so a resumed run
 * would hand its agents a `Date` as a string, a function or `NaN` not at all, and a first line
 * past {@link MAX_JSON_BYTES} could not be read back. Spawned tasks' inputs are checked when
 * they are spawned.
 */
export function journaledInputIssues(dag: Dag): DagIssue[] {
  const issues: DagIssue[] = [];
  const { inputs, ids } = dag.index;
  let atMostBytes = 0;
  for (let task = 0; task < inputs.length; task++) {
    const input = inputs[task];
    if (input === undefined) continue;
    const check = toJsonSafe(input);
    if (check.ok) {
      atMostBytes += check.atMostBytes;
      continue;
    }
    issues.push({
      path: ['tasks', task, 'input'],
      code: 'invalid-value',
      message: `input of task ${quoted(ids[task]!)} is not JSON-safe: ${escapeControls(check.problem)}; a journaled run keeps its inputs as JSON`,
    });
  }
  // counted exactly only when the bound may be too many
  const bytes =
    atMostBytes <= MAX_JSON_BYTES ? 0 : inputs.reduce<number>((sum, input) => sum + (input === undefined ? 0 : jsonBytes(input)), 0);
  if (bytes > MAX_JSON_BYTES) {
    issues.push({
      path: ['tasks'],
      code: 'invalid-value',
      message:
        `the tasks' inputs are ${bytes} bytes of JSON (UTF-8) together, more than a journal holds in the line that keeps the DAG ` +
        `(${MAX_JSON_BYTES}): run it without a journal, or keep big inputs elsewhere and give the tasks where they are`,
    });
  }
  return issues;
}

function tooHeavy(path: (string | number)[], message: string): DagIssue {
  return { path, code: 'too-heavy', message: `${message}: it could never start` };
}
