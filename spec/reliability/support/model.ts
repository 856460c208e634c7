import type { DagSpec, RetrySpec, TaskSpec } from '../../../src';
import type { Behaviour, ChildGen, DagGen, KindGen, ScriptedBehaviour, SchedulerOptionsGen } from './scenario';

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
}

/** The `defaults` of a generated DAG. */
export interface DagDefaults {
  readonly retry: RetrySpec | undefined;
  readonly timeoutMs: number | undefined;
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
export function buildDag(gen: DagGen, dagId: string, kinds: readonly KindGen[], faultRate: number): DagModel {
  const tasks = new Map<string, TaskModel>();
  const specs: TaskSpec[] = [];
  gen.tasks.forEach((task, i) => {
    const id = taskId(gen, i);
    const deps = depIndexes(gen, i).map((d) => taskId(gen, d));
    const kind = kindName(kinds, task.kind);
    tasks.set(id, {
      id,
      deps: new Set(deps),
      kind,
      retry: normalizeRetry(task.retry ?? gen.defaults.retry),
      timeoutMs: task.timeoutMs ?? gen.defaults.timeoutMs,
      script: applyFaultRate(task.script, faultRate),
      dagDefaults: gen.defaults,
    });
    specs.push({
      id,
      ...(deps.length > 0 ? { deps } : {}),
      agent: kind,
      ...(task.retry === undefined ? {} : { retry: task.retry }),
      ...(task.timeoutMs === undefined ? {} : { timeoutMs: task.timeoutMs }),
      ...(task.priority === undefined ? {} : { priority: task.priority }),
      ...(task.estimateMs === undefined ? {} : { estimateMs: task.estimateMs }),
    });
  });
  if (gen.reverse) specs.reverse();
  const defaults = {
    ...(gen.defaults.retry === undefined ? {} : { retry: gen.defaults.retry }),
    ...(gen.defaults.timeoutMs === undefined ? {} : { timeoutMs: gen.defaults.timeoutMs }),
  };
  return { id: dagId, spec: { id: dagId, tasks: specs, ...(Object.keys(defaults).length > 0 ? { defaults } : {}) }, tasks };
}

/** Spec and model of the tasks a `spawn` behaviour adds. */
export function spawnedTasks(
  parent: string,
  children: readonly ChildGen[],
  kinds: readonly KindGen[],
  faultRate: number,
  dagDefaults: DagDefaults,
): { readonly specs: TaskSpec[]; readonly models: TaskModel[] } {
  const ids = children.map((_, j) => `${parent}.s${j}`);
  const specs: TaskSpec[] = [];
  const models: TaskModel[] = [];
  children.forEach((child, j) => {
    const siblings = j === 0 ? [] : [...new Set(child.siblingPicks.map((p) => ids[p % j]!))];
    const kind = kindName(kinds, child.kind);
    specs.push({
      id: ids[j]!,
      agent: kind,
      ...(siblings.length > 0 ? { deps: siblings } : {}),
      ...(child.retry === undefined ? {} : { retry: child.retry }),
      ...(child.timeoutMs === undefined ? {} : { timeoutMs: child.timeoutMs }),
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
        (c) => (c.timeoutMs ?? task.dagDefaults.timeoutMs ?? runTimeoutMs) === undefined && c.script.some((s) => s.behaviour.kind === 'hang'),
      ),
  );
  return hangs || childHangs;
}

/**
 * An upper bound on the virtual time a work-conserving scheduler needs for `task`, its retries
 * and what it spawns, run one after another: a run must be over by the sum of these.
 */
export function workBound(task: TaskModel, runTimeoutMs: number | undefined, options: SchedulerOptionsGen): number {
  const timeout = effectiveTimeout(task, runTimeoutMs) ?? Number.POSITIVE_INFINITY;
  const poll = options.mode === 'polling' ? 2 * options.pollIntervalMs : 0;
  let bound = 0;
  for (let attempt = 1; attempt <= task.retry.attempts; attempt++) {
    const behaviour = behaviourOf(task, attempt);
    const duration = Math.min(settleDelay(behaviour), timeout);
    bound += (Number.isFinite(duration) ? duration : 0) + expectedBackoff(task.retry, attempt) + poll + 1;
    if (behaviour.kind === 'spawn') {
      for (const child of behaviour.children) {
        const childTimeout = child.timeoutMs ?? task.dagDefaults.timeoutMs ?? runTimeoutMs ?? Number.POSITIVE_INFINITY;
        const attempts = (child.retry ?? task.dagDefaults.retry)?.attempts ?? 1;
        for (const { behaviour: b } of child.script) {
          const d = Math.min(settleDelay(b), childTimeout);
          bound += attempts * ((Number.isFinite(d) ? d : 0) + 30 + poll + 1);
        }
      }
    }
  }
  return bound;
}
