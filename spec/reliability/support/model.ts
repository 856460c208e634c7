import type { DagSpec, FailurePolicy, LimitSpec, RetrySpec, TaskLimits, TaskSpec, TriggerRule } from '../../../src';
import { hintDelay } from './retryHints';
import type {
  Behaviour,
  ChildGen,
  DagGen,
  KindGen,
  LimitsGen,
  LimitsPickGen,
  SchedulerOptionsGen,
  SchedulingGen,
  ScriptedBehaviour,
} from './scenario';

/**
 * The test's own model of a generated DAG: what each task depends on, how its agent behaves
 * per attempt and what retry policy and time limit apply. The invariants compare the events
 * against this model, never against the scheduler's own indexes.
 */

/** A retry policy with every field filled in, as the design defines the defaults. */
export interface RetryModel {
  readonly attempts: number;
  readonly backoffMs: number;
  readonly backoffFactor: number;
  readonly maxBackoffMs: number;
}

export interface TaskModel {
  readonly id: string;
  /** Dependencies, by id; grows when a spawner's spawned tasks join it. */
  readonly deps: Set<string>;
  readonly kind: string;
  readonly retry: RetryModel;
  /** Own or DAG-default time limit; the run's `taskTimeoutMs` applies when undefined. */
  readonly timeoutMs: number | undefined;
  readonly script: readonly Behaviour[];
  /** The DAG's defaults, which tasks this one spawns get too. */
  readonly dagDefaults: DagDefaults;
  /** Units it takes of `maxConcurrency`, of its kind's capacity and of each of its limits it names in a list. */
  readonly weight: number;
  /** Names of the scheduler's limits it needs (its own or the DAG's default ones). */
  readonly limits: readonly string[];
  /** The units it takes of each of its limits, where it gives them as a mapping (else each takes its weight: see {@link unitsOf}). */
  readonly ownUnits: ReadonlyMap<string, number> | undefined;
  /** Its own trigger rule, if it has one (see {@link effectiveRule}). */
  readonly when: TriggerRule | undefined;
  /**
   * Its own priority as the library gives it: its `priority`, else 0 (the generated DAGs give no
   * default priority, and spawned tasks write none). See {@link effectivePriorities} for the one
   * it is dispatched by.
   */
  readonly priority: number;
}

/** A named limit of the scheduler. */
export interface LimitModel {
  readonly name: string;
  readonly concurrency: number | undefined;
  readonly rate: { readonly limit: number; readonly intervalMs: number } | undefined;
}

/** What a scheduler gives its runs: the ceilings every task's weight must fit under. */
export interface Resources {
  readonly maxConcurrency: number;
  readonly kinds: readonly KindGen[];
  /** The scheduler's named limits, by name, in declaration order. */
  readonly limits: ReadonlyMap<string, LimitModel>;
}

/** Limit names that tempt bugs: prototype keys, separators, unicode. */
const EXOTIC_LIMIT_NAMES = ['__proto__', 'a -> b', 'constructor', 'ü∂\u{1F600}'];

/** The scheduler's limits of a scenario, by name. */
export function limitModels(gen: LimitsGen): Map<string, LimitModel> {
  return new Map(
    gen.limits.map((limit, i) => {
      const name = gen.exoticNames ? EXOTIC_LIMIT_NAMES[i % EXOTIC_LIMIT_NAMES.length]! : `L${i}`;
      return [name, { name, concurrency: limit.concurrency, rate: limit.rate }];
    }),
  );
}

/** A limit name the scheduler does not declare (one that tempts bugs when its names do). */
export function undeclaredLimit(resources: Resources): string {
  return [...resources.limits.keys()].some((name) => EXOTIC_LIMIT_NAMES.includes(name)) ? 'toString' : 'L9';
}

/** A scenario's scheduler options for the library (the generated ones, and its limits if any), without agents. */
export function schedulerOptionsOf(options: SchedulerOptionsGen, limits: ReadonlyMap<string, LimitModel>) {
  return {
    maxConcurrency: options.maxConcurrency,
    mode: options.mode,
    pollIntervalMs: options.pollIntervalMs,
    healthCheckIntervalMs: options.healthCheckIntervalMs,
    stuckAfterMs: options.stuckAfterMs,
    contextInjection: options.contextInjection,
    failurePolicy: options.failurePolicy,
    ...(options.taskTimeoutMs === undefined ? {} : { taskTimeoutMs: options.taskTimeoutMs }),
    ...(limits.size === 0 ? {} : { limits: limitsOption(limits) }),
  };
}

/** The `limits` option for the scheduler: own properties, `__proto__` included. */
export function limitsOption(limits: ReadonlyMap<string, LimitModel>): Record<string, LimitSpec> {
  return Object.fromEntries([...limits.values()].map((l) => [l.name, limitSpecOf(l)]));
}

function limitSpecOf(l: LimitModel): LimitSpec {
  const rate = l.rate === undefined ? undefined : { ...l.rate };
  if (l.concurrency !== undefined) return rate === undefined ? { concurrency: l.concurrency } : { concurrency: l.concurrency, rate };
  if (rate !== undefined) return { rate };
  throw new Error(`the model's limit ${l.name} has neither concurrency nor rate`);
}

/** The units of limit `name` a task takes: its own count where it gives its limits as a mapping, else its weight. */
export function unitsOf(task: Pick<TaskModel, 'weight' | 'ownUnits'>, name: string): number {
  return task.ownUnits === undefined ? task.weight : task.ownUnits.get(name)!;
}

/** The most units of limit `name` one task may take: its concurrency and its rate's limit. */
export function limitCeiling(resources: Resources, name: string): number {
  const limit = resources.limits.get(name);
  return Math.min(limit?.concurrency ?? Number.POSITIVE_INFINITY, limit?.rate?.limit ?? Number.POSITIVE_INFINITY);
}

/** Most units one task may take: `maxConcurrency`, its kind's capacity, each of the limits it takes its weight of. */
export function maxWeight(resources: Resources, kind: string, limits: readonly string[]): number {
  let most = resources.maxConcurrency;
  const capacity = resources.kinds[Number(kind.slice(1))]?.capacity;
  if (capacity !== undefined) most = Math.min(most, capacity);
  for (const name of limits) most = Math.min(most, limitCeiling(resources, name));
  return most;
}

/** The named limits a task needs, as the model and as the spec writes them. */
export interface LimitsNeed extends Pick<TaskModel, 'limits' | 'ownUnits'> {
  /** Its `limits` as a spec writes them. */
  readonly written: TaskLimits;
}

/** The limits `gen` picks among the declared ones; a mapping's units lowered to what each limit allows. */
function limitsNeedOf(gen: LimitsPickGen, resources: Resources): LimitsNeed {
  const names = [...resources.limits.keys()];
  const limits = names.length === 0 ? [] : [...new Set(gen.limitPicks.map((p) => names[p % names.length]!))];
  const units = gen.limitUnits;
  if (units === undefined) return { limits, ownUnits: undefined, written: limits };
  const ownUnits = new Map(limits.map((name, k) => [name, Math.min(units[k % units.length]!, limitCeiling(resources, name))]));
  // entries, not assignments: a limit may be called `__proto__`
  return { limits, ownUnits, written: Object.fromEntries(ownUnits) };
}

/** What a generated task asks of the scheduler, and the fields of its spec that say so. */
interface Scheduling extends Pick<TaskModel, 'weight' | 'limits' | 'ownUnits' | 'when'> {
  readonly spec: Pick<TaskSpec, 'weight' | 'limits' | 'when'>;
}

/**
 * The weight, limits and rule a generated task gets: only declared limits (its own, else the
 * DAG's `defaults`), a weight and units that fit, and no `any-failed` on a task without
 * dependencies (refused: none could fail).
 */
function schedulingOf(gen: SchedulingGen, kind: string, resources: Resources, defaults: DagDefaults, hasDeps = true): Scheduling {
  const inherits = gen.limitPicks.length === 0 && gen.limitUnits === undefined;
  const own = inherits ? undefined : limitsNeedOf(gen, resources);
  const { limits, ownUnits } = own ?? defaults.limits ?? NO_LIMITS;
  // with a mapping the weight counts only for maxConcurrency and the kind's capacity
  const weight = Math.min(gen.weight, maxWeight(resources, kind, ownUnits === undefined ? limits : []));
  const when = gen.when === 'any-failed' && !hasDeps ? 'all-done' : gen.when;
  return {
    weight,
    limits,
    ownUnits,
    when,
    spec: {
      ...(weight === 1 ? {} : { weight }),
      ...(own === undefined ? {} : { limits: own.written }),
      ...(when === undefined ? {} : { when }),
    },
  };
}

const NO_LIMITS: LimitsNeed = { limits: [], ownUnits: undefined, written: [] };

/**
 * The rule a task runs under: its own `when`, else the failure policy's (`continue` runs
 * dependents of a failure, like `all-done`; the other policies need every dependency completed).
 */
export function effectiveRule(task: TaskModel, policy: FailurePolicy): TriggerRule {
  return task.when ?? (policy === 'continue' ? 'all-done' : 'all-succeeded');
}

/**
 * Each task's priority as the dispatch order counts it: its own, raised to the highest of the
 * tasks that depend on it, directly or not (the library's priority inheritance), by id. Over the
 * tasks given, the DAG as it stands at some moment: dependencies not among them (spawned tasks
 * yet to come, whose dependents already name them) are left out.
 */
export function effectivePriorities(tasks: ReadonlyMap<string, TaskModel>): Map<string, number> {
  const effective = new Map([...tasks].map(([id, task]) => [id, task.priority]));
  // each pass raises every dependency to its dependent's priority, until a pass raises none
  let raised: boolean;
  do {
    raised = false;
    for (const [id, task] of tasks) {
      const p = effective.get(id)!;
      for (const dep of task.deps) {
        const q = effective.get(dep);
        if (q !== undefined && q < p) {
          effective.set(dep, p);
          raised = true;
        }
      }
    }
  } while (raised);
  return effective;
}

/**
 * How a dependency stands, for the trigger rules: not ended yet, or how it ended. A skip that a
 * failure started (its `because` failed, or was skipped so in turn) is `upstream-failed`: the
 * rules count it as failed. A skip by a rule while nothing failed is `skipped`.
 */
export type DepState = 'pending' | 'completed' | 'failed' | 'upstream-failed' | 'skipped' | 'cancelled';

/** Whether a dependency that ended so counts as failed for the trigger rules. */
const failedAsFarAsRulesGo = (d: DepState): boolean => d === 'failed' || d === 'upstream-failed';

/**
 * Whether the rule holds: the task may start. A task without dependencies has nothing to wait
 * for: it runs whatever its rule (an `any-failed` root included), as the scheduler does.
 */
export function ruleHolds(rule: TriggerRule, deps: readonly DepState[]): boolean {
  if (deps.length === 0) return true;
  const ended = deps.every((d) => d !== 'pending' && d !== 'cancelled');
  switch (rule) {
    case 'all-succeeded':
      return deps.every((d) => d === 'completed');
    case 'none-failed':
      return ended && !deps.some(failedAsFarAsRulesGo);
    case 'any-failed':
      return ended && deps.some(failedAsFarAsRulesGo);
    case 'all-done':
      return ended;
  }
}

/**
 * Whether the rule is broken: it can no longer hold, whatever the dependencies still pending do.
 * A failure breaks `all-succeeded` at once; a skip while nothing failed breaks it only once every
 * dependency has ended, so that a failure among the others, whenever it comes, decides how the
 * task's own skip counts.
 */
export function ruleBroken(rule: TriggerRule, deps: readonly DepState[]): boolean {
  if (deps.length === 0) return false;
  switch (rule) {
    case 'all-succeeded':
      return deps.some(failedAsFarAsRulesGo) || (deps.includes('skipped') && deps.every((d) => d !== 'pending' && d !== 'cancelled'));
    case 'none-failed':
      return deps.some(failedAsFarAsRulesGo);
    case 'any-failed':
      return deps.every((d) => d === 'completed' || d === 'skipped');
    case 'all-done':
      return false;
  }
}

/** The `defaults` of a generated DAG. */
export interface DagDefaults {
  readonly retry: RetrySpec | undefined;
  readonly timeoutMs: number | undefined;
  /** The limits a task writing none takes. */
  readonly limits: LimitsNeed | undefined;
}

export interface DagModel {
  readonly id: string;
  readonly spec: DagSpec;
  /** Tasks by id, in the order they were generated. */
  readonly tasks: ReadonlyMap<string, TaskModel>;
}

/** Task ids that tempt bugs: prototype keys, separators, unicode, numeric strings. */
const EXOTIC_IDS = ['__proto__', 'constructor', 'toString', 'a -> b', ' ', 'ü∂\u{1F600}', '0', '1e3', 'x"y\\z', 'hasOwnProperty'];

export function kindName(kinds: readonly KindGen[], kind: number): string {
  return `k${kind % kinds.length}`;
}

export function normalizeRetry(retry: RetrySpec | undefined): RetryModel {
  return {
    attempts: retry?.attempts ?? 1,
    backoffMs: retry?.backoffMs ?? 0,
    backoffFactor: retry?.backoffFactor ?? 2,
    maxBackoffMs: retry?.maxBackoffMs ?? Number.POSITIVE_INFINITY,
  };
}

/** The wait before attempt `attempt + 1`, from the design: `backoffMs × factor^(attempt-1)`, capped. */
export function expectedBackoff(retry: RetryModel, attempt: number): number {
  return Math.min(retry.backoffMs * retry.backoffFactor ** (attempt - 1), retry.maxBackoffMs);
}

/** Faults survive with probability `faultRate`%; the others play a quick success instead. */
export function applyFaultRate(script: readonly ScriptedBehaviour[], faultRate: number): Behaviour[] {
  return script.map(({ behaviour, roll }) => {
    if (behaviour.kind === 'ok' || behaviour.kind === 'empty' || behaviour.kind === 'spawn' || roll < faultRate) return behaviour;
    return { kind: 'ok', delay: 'delay' in behaviour ? behaviour.delay : 1, via: 'cold' };
  });
}

function taskId(gen: DagGen, i: number): string {
  return gen.exotic && i < EXOTIC_IDS.length ? EXOTIC_IDS[i]! : `t${i}`;
}

/** Dependencies of task `i` by the DAG's shape, as indexes of earlier tasks. */
function depIndexes(gen: DagGen, i: number): number[] {
  const n = gen.tasks.length;
  const picks = gen.tasks[i]!.depPicks;
  switch (gen.shape) {
    case 'random':
      return i === 0 ? [] : [...new Set(picks.map((p) => p % i))];
    case 'chain':
      return i === 0 ? [] : [i - 1];
    case 'wide':
      return [];
    case 'layered': {
      const layer = Math.floor(i / gen.width);
      if (layer === 0) return [];
      const previous = (layer - 1) * gen.width;
      return [...new Set((picks.length > 0 ? picks : [0]).map((p) => previous + (p % gen.width)))];
    }
    case 'tree':
      return i === 0 ? [] : [(picks[0] ?? 0) % i];
    case 'fanOutIn':
      if (i === 0) return [];
      return i === n - 1 && n > 2 ? Array.from({ length: n - 2 }, (_, k) => k + 1) : [0];
    case 'lattice':
      return i === 0 ? [] : i === 1 ? [0] : [i - 1, i - 2];
  }
}

/** The DAG spec and the model of a generated DAG. */
export function buildDag(gen: DagGen, dagId: string, resources: Resources, faultRate: number): DagModel {
  const { kinds } = resources;
  const tasks = new Map<string, TaskModel>();
  const specs: TaskSpec[] = [];
  const dagDefaults: DagDefaults = {
    retry: gen.defaults.retry,
    timeoutMs: gen.defaults.timeoutMs,
    limits: gen.defaults.limits === undefined ? undefined : limitsNeedOf(gen.defaults.limits, resources),
  };
  gen.tasks.forEach((task, i) => {
    const id = taskId(gen, i);
    const deps = depIndexes(gen, i).map((d) => taskId(gen, d));
    const kind = kindName(kinds, task.kind);
    const { spec: scheduling, ...asked } = schedulingOf(task, kind, resources, dagDefaults, deps.length > 0);
    tasks.set(id, {
      id,
      deps: new Set(deps),
      kind,
      retry: normalizeRetry(task.retry ?? gen.defaults.retry),
      timeoutMs: task.timeoutMs ?? gen.defaults.timeoutMs,
      script: applyFaultRate(task.script, faultRate),
      dagDefaults,
      priority: task.priority ?? 0,
      ...asked,
    });
    specs.push({
      id,
      ...(deps.length > 0 ? { deps } : {}),
      agent: kind,
      ...(task.retry === undefined ? {} : { retry: task.retry }),
      ...(task.timeoutMs === undefined ? {} : { timeoutMs: task.timeoutMs }),
      ...(task.priority === undefined ? {} : { priority: task.priority }),
      ...(task.estimateMs === undefined ? {} : { estimateMs: task.estimateMs }),
      ...scheduling,
    });
  });
  if (gen.reverse) specs.reverse();
  const defaults = {
    ...(gen.defaults.retry === undefined ? {} : { retry: gen.defaults.retry }),
    ...(gen.defaults.timeoutMs === undefined ? {} : { timeoutMs: gen.defaults.timeoutMs }),
    ...(dagDefaults.limits === undefined ? {} : { limits: dagDefaults.limits.written }),
  };
  return { id: dagId, spec: { id: dagId, tasks: specs, ...(Object.keys(defaults).length > 0 ? { defaults } : {}) }, tasks };
}

/** Spec and model of the tasks a `spawn` behaviour adds. */
export function spawnedTasks(
  parent: string,
  children: readonly ChildGen[],
  resources: Resources,
  faultRate: number,
  dagDefaults: DagDefaults,
): { readonly specs: TaskSpec[]; readonly models: TaskModel[] } {
  const { kinds } = resources;
  const ids = children.map((_, j) => `${parent}.s${j}`);
  const specs: TaskSpec[] = [];
  const models: TaskModel[] = [];
  children.forEach((child, j) => {
    const siblings = j === 0 ? [] : [...new Set(child.siblingPicks.map((p) => ids[p % j]!))];
    const kind = kindName(kinds, child.kind);
    // a spawned task on no sibling depends only on what has completed: `any-failed` is refused there
    const { spec: scheduling, ...asked } = schedulingOf(child, kind, resources, dagDefaults, siblings.length > 0);
    specs.push({
      id: ids[j]!,
      agent: kind,
      ...(siblings.length > 0 ? { deps: siblings } : {}),
      ...(child.retry === undefined ? {} : { retry: child.retry }),
      ...(child.timeoutMs === undefined ? {} : { timeoutMs: child.timeoutMs }),
      ...scheduling,
    });
    models.push({
      id: ids[j]!,
      deps: new Set([parent, ...siblings]),
      kind,
      // spawned tasks get the DAG's defaults, as any task of the DAG
      retry: normalizeRetry(child.retry ?? dagDefaults.retry),
      timeoutMs: child.timeoutMs ?? dagDefaults.timeoutMs,
      script: applyFaultRate(child.script, faultRate),
      dagDefaults,
      // written by none, nor by the DAG's defaults: the library's default
      priority: 0,
      ...asked,
    });
  });
  return { specs, models };
}

/** The behaviour of an attempt: attempts past the script repeat its last entry. */
export function behaviourOf(task: TaskModel, attempt: number): Behaviour {
  return task.script[Math.min(attempt, task.script.length) - 1]!;
}

/** The time limit an attempt of `task` runs under. */
export function effectiveTimeout(task: TaskModel, runTimeoutMs: number | undefined): number | undefined {
  return task.timeoutMs ?? runTimeoutMs;
}

/** How long an attempt takes before it settles by itself (Infinity: never). */
export function settleDelay(behaviour: Behaviour): number {
  switch (behaviour.kind) {
    case 'hang':
      return Number.POSITIVE_INFINITY;
    case 'ok':
      return behaviour.via === 'sync' || behaviour.via === 'value' ? 0 : behaviour.delay;
    case 'fail':
    case 'warning':
    case 'critical':
      return behaviour.via === 'throw' ? 0 : behaviour.delay;
    default:
      return behaviour.delay;
  }
}

/** Whether some attempt of `task` (or of a task it spawns) can run forever. */
export function mayHang(task: TaskModel, runTimeoutMs: number | undefined): boolean {
  const hangs = effectiveTimeout(task, runTimeoutMs) === undefined && task.script.some((b) => b.kind === 'hang');
  // spawned tasks get the DAG's defaults, then the run's time limit
  const childHangs = task.script.some(
    (b) =>
      b.kind === 'spawn' &&
      b.children.some(
        (c) =>
          (c.timeoutMs ?? task.dagDefaults.timeoutMs ?? runTimeoutMs) === undefined && c.script.some((s) => s.behaviour.kind === 'hang'),
      ),
  );
  return hangs || childHangs;
}

/**
 * An upper bound on the virtual time a work-conserving scheduler needs for `task`, its retries
 * and what it spawns, run one after another: a run must be over by the sum of these. While
 * nothing runs, a ready task fits (its weight fits every ceiling) unless a rate window is full
 * or a limit is paused; a window empties `intervalMs` after its last start: each attempt may
 * wait that long. A failed attempt's error may ask for a wait instead of the backoff and pause
 * its task's limits as long (holding back any task on them): each attempt is given both.
 */
export function workBound(task: TaskModel, runTimeoutMs: number | undefined, options: SchedulerOptionsGen, resources: Resources): number {
  const timeout = effectiveTimeout(task, runTimeoutMs) ?? Number.POSITIVE_INFINITY;
  const rateWait = Math.max(0, ...[...resources.limits.values()].map((l) => l.rate?.intervalMs ?? 0));
  const wait = (options.mode === 'polling' ? 2 * options.pollIntervalMs : 0) + rateWait;
  let bound = 0;
  for (let attempt = 1; attempt <= task.retry.attempts; attempt++) {
    const behaviour = behaviourOf(task, attempt);
    const duration = Math.min(settleDelay(behaviour), timeout);
    bound += (Number.isFinite(duration) ? duration : 0) + expectedBackoff(task.retry, attempt) + hintDelay(behaviour) + wait + 1;
    if (behaviour.kind === 'spawn') {
      for (const child of behaviour.children) {
        const childTimeout = child.timeoutMs ?? task.dagDefaults.timeoutMs ?? runTimeoutMs ?? Number.POSITIVE_INFINITY;
        const attempts = (child.retry ?? task.dagDefaults.retry)?.attempts ?? 1;
        for (const { behaviour: b } of child.script) {
          const d = Math.min(settleDelay(b), childTimeout);
          bound += attempts * ((Number.isFinite(d) ? d : 0) + 30 + hintDelay(b) + wait + 1);
        }
      }
    }
  }
  return bound;
}
