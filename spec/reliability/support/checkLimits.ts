import { effectivePriorities, type LimitModel, type TaskModel, unitsOf } from './model';
import type { Observation, RunRecord } from './observation';
import { LimitPauses } from './limitPauses';
import { eventsByTask, type Violations } from './taskEvents';

/** Checks over the scheduler as a whole: units and limits, idle room, and agent calls against task.started. */

/** Each run's tasks (spawned ones included), by `runId/taskId`. */
function modelsOf(o: Observation): Map<string, TaskModel> {
  const models = new Map<string, TaskModel>();
  for (const run of o.runs) for (const t of run.tasks.values()) models.set(`${run.runId}/${t.id}`, t);
  return models;
}

/** Units started under a rate limit, oldest first: the window `(t − intervalMs, t]` at any `t`. */
class RateWindow {
  private readonly starts: { readonly at: number; readonly units: number }[] = [];
  constructor(readonly limit: LimitModel & { readonly rate: { readonly limit: number; readonly intervalMs: number } }) {}

  add(at: number, units: number): void {
    this.starts.push({ at, units });
  }

  /** Units started in `(at − intervalMs, at]`. */
  unitsAt(at: number): number {
    const from = at - this.limit.rate.intervalMs;
    while (this.starts.length > 0 && this.starts[0]!.at <= from) this.starts.shift();
    return this.starts.reduce((sum, s) => (s.at <= at ? sum + s.units : sum), 0);
  }
}

function rateWindows(o: Observation): Map<string, RateWindow> {
  const windows = new Map<string, RateWindow>();
  for (const limit of o.limits.values())
    if (limit.rate !== undefined) windows.set(limit.name, new RateWindow({ ...limit, rate: limit.rate }));
  return windows;
}

/**
 * Each task's priority as its run's dispatch order counts it (see `effectivePriorities`) at the
 * events folded so far, by `runId/taskId`: over the tasks its DAG has then, a spawned task only
 * from its `tasks.spawned` on (a spawner waiting to run does not inherit its children's yet).
 */
class Priorities {
  private readonly byKey = new Map<string, number>();
  // `run/task` of the spawned tasks whose `tasks.spawned` is still to come
  private readonly unspawned = new Set<string>();

  constructor(private readonly o: Observation) {
    for (const event of o.global)
      if (event.type === 'tasks.spawned') for (const task of event.tasks) this.unspawned.add(`${event.runId}/${task.id}`);
    for (const run of o.runs) this.compute(run);
  }

  of(key: string): number {
    return this.byKey.get(key)!;
  }

  /** The DAG of run `runId` has the tasks `ids` from now on. */
  spawned(runId: string, ids: readonly string[]): void {
    for (const id of ids) this.unspawned.delete(`${runId}/${id}`);
    const run = this.o.runs.find((r) => r.runId === runId);
    if (run !== undefined) this.compute(run);
  }

  private compute(run: RunRecord): void {
    const present = new Map([...run.tasks].filter(([id]) => !this.unspawned.has(`${run.runId}/${id}`)));
    for (const [id, p] of effectivePriorities(present)) this.byKey.set(`${run.runId}/${id}`, p);
  }
}

/**
 * Units held now by running attempts: over all and per kind (each its task's weight), per named
 * limit (each the units its task takes of it: see `unitsOf`).
 */
class Held {
  total = 0;
  readonly byKind = new Map<string, number>();
  readonly byLimit = new Map<string, number>();

  take(task: TaskModel, sign: 1 | -1 = 1): void {
    this.total += sign * task.weight;
    this.byKind.set(task.kind, (this.byKind.get(task.kind) ?? 0) + sign * task.weight);
    for (const name of task.limits) this.byLimit.set(name, (this.byLimit.get(name) ?? 0) + sign * unitsOf(task, name));
  }

  give(task: TaskModel): void {
    this.take(task, -1);
  }
}

/**
 * Fold of the starts and ends of attempts in global order: at every start, the units running
 * fit `maxConcurrency` and its kind's capacity (each attempt its task's weight) and each named
 * limit's concurrency (each attempt the units its task takes of it), no rate window
 * `(t − intervalMs, t]` holds more than `limit` units of starts, and none of its limits is paused
 * by a failed attempt's error, over every run of the scheduler. (In real time a start may be
 * stamped `earlyMs` before the clock reading that let it start.)
 */
export function checkConcurrency(o: Observation, v: Violations): void {
  const models = modelsOf(o);
  const running = new Map<string, TaskModel>(); // run/task -> its model
  const held = new Held();
  const windows = rateWindows(o);
  const pauses = new LimitPauses();
  const early = o.tolerance?.earlyMs ?? 0;
  for (const event of o.global) {
    const key = 'taskId' in event ? `${event.runId}/${event.taskId}` : '';
    if (event.type === 'task.started') {
      const task = models.get(key);
      if (task === undefined) continue; // reported as an event for an unknown task
      if (running.has(key)) v.push(`${key} started while already running`);
      running.set(key, task);
      held.take(task);
      if (held.total > o.options.maxConcurrency)
        v.push(`t=${event.at}: ${held.total} units running (events, ${running.size} attempts), maxConcurrency ${o.options.maxConcurrency}`);
      const capacity = o.kinds.get(event.agent)?.capacity;
      if (capacity !== undefined && held.byKind.get(task.kind)! > capacity)
        v.push(`t=${event.at}: ${held.byKind.get(task.kind)} units of ${task.kind} running (events), capacity ${capacity}`);
      for (const name of task.limits) {
        const until = pauses.pausedAt(name, event.at + early);
        if (until !== undefined)
          v.push(`t=${event.at}: ${key} started under limit ${JSON.stringify(name)}, which a failed attempt's error paused until ${until}`);
        const limit = o.limits.get(name);
        if (limit?.concurrency !== undefined && held.byLimit.get(name)! > limit.concurrency)
          v.push(
            `t=${event.at}: ${held.byLimit.get(name)} units running under limit ${JSON.stringify(name)} (events), its concurrency is ${limit.concurrency}`,
          );
        const window = windows.get(name);
        if (window === undefined) continue;
        window.add(event.at, unitsOf(task, name));
        const units = window.unitsAt(event.at);
        if (units > window.limit.rate.limit)
          v.push(
            `t=${event.at}: ${units} units started under limit ${JSON.stringify(name)} in (${event.at - window.limit.rate.intervalMs}, ${event.at}], its rate is ${window.limit.rate.limit} per ${window.limit.rate.intervalMs} ms`,
          );
      }
    } else if (event.type === 'task.completed' || event.type === 'task.failed' || event.type === 'task.cancelled') {
      const task = running.get(key);
      if (task !== undefined) {
        running.delete(key);
        held.give(task);
      }
      if (event.type === 'task.failed') {
        const failed = models.get(key);
        if (failed !== undefined) pauses.failed(failed, event);
      }
    } else if (event.type === 'agent.available') {
      if (o.kinds.get(event.agent)?.capacity === undefined)
        v.push(`${event.runId}: agent.available for ${event.agent}, which has no capacity`);
    }
    if (v.length > 50) return;
  }
}

/**
 * Event mode dispatches as soon as there is room: at the end of every frame, and at every moment
 * a rate window lets a start out of it or a limit's pause ends, no run may have a dispatch class
 * (its tasks of one kind needing the same limits) whose ready tasks all fit: the most any of them
 * takes of each thing (its weight of the free units of `maxConcurrency` and of its kind's
 * capacity, its units of each limit's concurrency and rate window, none of its limits paused by
 * a failed attempt's error: see `LimitPauses`) fits. (Then the class's first task, which the
 * others wait behind, fits, whichever it is.) Unless it leaves room for a heavier waiting task: a
 * task taking more than one unit of something (its weight, or its own units of a limit) that does
 * not fit holds what it is short of, and a task that fits may wait while it needs something the
 * heavy one is short of now, or would leave it short of one of its limits (so lighter tasks
 * arriving without end cannot starve a heavy one). Not for a heavy task of its own run that it
 * goes before, though: a higher priority starts first (see `mayWaitFor`).
 *
 * In real time a frame is not one time: `turnEnds` then holds the indexes of `o.global` after
 * which the scheduler's reaction ended (the event loop went on to timers or I/O), and the moments
 * a rate window opens or a pause ends are not checked, since the wake-up is a real timer that
 * fires as late as the machine is busy (the next turn's end still catches a start forgotten for
 * good).
 */
export function checkWorkConserving(o: Observation, v: Violations, turnEnds?: ReadonlySet<number>): void {
  const models = modelsOf(o);
  const priorities = new Priorities(o);
  const waiting = new Map<string, WaitingClass>(); // run + class -> its ready tasks
  const classOf = new Map<string, string>();
  const running = new Map<string, TaskModel>();
  const held = new Held();
  const windows = rateWindows(o);
  const opening: number[] = []; // times a start leaves its rate window or a pause ends, ascending
  const pauses = new LimitPauses();
  const pauseEnds = new Set<number>(); // the times in `opening` a pause ends, to say so
  // in real time a pause is taken to last `earlyMs` longer: the stamps it is judged by may be early
  const paused = (name: string, at: number): boolean => pauses.pausedAt(name, at - (o.tolerance?.earlyMs ?? 0)) !== undefined;
  const fits = (demand: Demand, at: number): boolean => {
    const capacity = o.kinds.get(demand.kind)?.capacity ?? Number.POSITIVE_INFINITY;
    if (held.total + demand.weight > o.options.maxConcurrency) return false;
    if ((held.byKind.get(demand.kind) ?? 0) + demand.weight > capacity) return false;
    for (const [name, units] of demand.units) {
      const limit = o.limits.get(name);
      if (limit === undefined) return false;
      if ((held.byLimit.get(name) ?? 0) + units > (limit.concurrency ?? Number.POSITIVE_INFINITY)) return false;
      if (paused(name, at)) return false;
      const window = windows.get(name);
      if (window !== undefined && window.unitsAt(at) + units > window.limit.rate.limit) return false;
    }
    return true;
  };
  /**
   * Whether `demand` needs something `heavy` is short of now (the slots, their agent kind), or
   * would leave it short of a limit they share (what it needs of each is kept for it).
   */
  const crowds = (demand: Demand, heavy: Demand, at: number): boolean => {
    if (held.total + heavy.weight > o.options.maxConcurrency) return true;
    const capacity = o.kinds.get(demand.kind)?.capacity ?? Number.POSITIVE_INFINITY;
    if (demand.kind === heavy.kind && (held.byKind.get(demand.kind) ?? 0) + heavy.weight > capacity) return true;
    for (const [name, units] of demand.units) {
      const need = heavy.units.get(name);
      if (need === undefined) continue;
      const limit = o.limits.get(name);
      if ((held.byLimit.get(name) ?? 0) + need + units > (limit?.concurrency ?? Number.POSITIVE_INFINITY)) return true;
      if (paused(name, at)) return true;
      const window = windows.get(name);
      if (window !== undefined && window.unitsAt(at) + need + units > window.limit.rate.limit) return true;
    }
    return false;
  };
  const check = (at: number, why: string): boolean => {
    const classes = [...waiting.values()].flatMap((tasks) => {
      const most = tasks.most();
      return most === undefined ? [] : [{ ...most, tasks }];
    });
    const heavyWaiting = classes.filter(({ demand }) => isHeavy(demand) && !fits(demand, at));
    for (const { key, demand, tasks } of classes) {
      if (!fits(demand, at)) continue;
      // it leaves room for a heavier one
      if (heavyWaiting.some((heavy) => mayWaitFor(tasks, heavy.tasks, priorities) && crowds(demand, heavy.demand, at))) continue;
      const limits = [...demand.units].map(([name, units]) => {
        const window = windows.get(name);
        const until = pauses.pausedAt(name, at);
        return `${JSON.stringify(name)} ${units} of ${held.byLimit.get(name) ?? 0}/${o.limits.get(name)?.concurrency ?? '∞'}${window === undefined ? '' : `, ${window.unitsAt(at)}/${window.limit.rate.limit} in its window`}${until === undefined ? '' : `, paused until ${until}`}`;
      });
      v.push(
        `t=${at} (${why}): ${key} waits, its class taking at most weight ${demand.weight} (kind ${demand.kind}${limits.length > 0 ? `; limits ${limits.join('; ')}` : ''}), with ${held.total}/${o.options.maxConcurrency} units running and ${held.byKind.get(demand.kind) ?? 0}/${o.kinds.get(demand.kind)?.capacity ?? '∞'} of its kind`,
      );
      return true;
    }
    return false;
  };
  const global = o.global;
  for (let i = 0; i < global.length; i++) {
    const event = global[i]!;
    // moments with no event when a rate window lets a start out: a wake-up is due then
    while (opening.length > 0 && opening[0]! < event.at) {
      const at = opening.shift()!;
      while (opening[0] === at) opening.shift();
      if (turnEnds === undefined && check(at, pauseEnds.has(at) ? 'a pause ends' : 'a rate window opens')) return;
    }
    if ('taskId' in event) {
      const key = `${event.runId}/${event.taskId}`;
      const task = models.get(key);
      if (task !== undefined) {
        const cls = classOf.get(key) ?? `${event.runId}\u0000${task.kind}\u0000${[...task.limits].sort().join('\u0000')}`;
        classOf.set(key, cls);
        switch (event.type) {
          case 'task.ready':
          case 'task.retrying': {
            let tasks = waiting.get(cls);
            if (tasks === undefined) waiting.set(cls, (tasks = new WaitingClass(event.runId)));
            tasks.add(key, task);
            break;
          }
          case 'task.started':
            waiting.get(cls)?.remove(key);
            running.set(key, task);
            held.take(task);
            for (const name of task.limits) {
              const window = windows.get(name);
              if (window === undefined) continue;
              window.add(event.at, unitsOf(task, name));
              const at = event.at + window.limit.rate.intervalMs;
              opening.splice(sortedIndex(opening, at), 0, at);
            }
            break;
          case 'task.completed':
          case 'task.failed':
          case 'task.cancelled':
          case 'task.skipped': {
            waiting.get(cls)?.remove(key);
            if (running.delete(key)) held.give(task);
            const until = event.type === 'task.failed' ? pauses.failed(task, event) : undefined;
            if (until !== undefined && until > event.at) {
              opening.splice(sortedIndex(opening, until), 0, until);
              pauseEnds.add(until);
            }
            break;
          }
          case 'tasks.spawned':
            priorities.spawned(
              event.runId,
              event.tasks.map((t) => t.id),
            );
            break;
          default:
            break;
        }
      }
    }
    const next = global[i + 1];
    if (turnEnds === undefined ? next === undefined || next.at !== event.at : turnEnds.has(i)) {
      while (opening[0] === event.at) opening.shift();
      if (check(event.at, turnEnds === undefined ? 'end of frame' : 'end of turn')) return;
    }
    if (v.length > 50) return;
  }
}

/**
 * Whether the ready tasks of `waiting` may wait for the heavy ones of `heavy`: always for
 * another run's, but for their own run's only when none of them goes before every heavy one in
 * the dispatch order (a higher priority starts first, whatever the heavy task is short of).
 * Equal priorities are left to the ranks, which the model does not follow: they may wait then.
 */
function mayWaitFor(waiting: WaitingClass, heavy: WaitingClass, priorities: Priorities): boolean {
  return waiting.runId !== heavy.runId || heavy.highestPriority(priorities) >= waiting.highestPriority(priorities);
}

/** What a task takes (or the most the ready tasks of a class take): its weight of the slots and of its kind, its units of each limit. */
interface Demand {
  readonly kind: string;
  readonly weight: number;
  /** Units of each limit it needs, by name. */
  readonly units: ReadonlyMap<string, number>;
}

/** Whether a demand takes more than one unit of something: a task so heavy that does not fit is held a place for. */
function isHeavy(demand: Demand): boolean {
  if (demand.weight > 1) return true;
  for (const units of demand.units.values()) if (units > 1) return true;
  return false;
}

/** Each task's demand with its signature (equal for tasks that take the same), made once per task. */
const demands = new WeakMap<TaskModel, Demand & { readonly signature: string }>();

function demandOf(task: TaskModel): Demand & { readonly signature: string } {
  let demand = demands.get(task);
  if (demand === undefined) {
    const names = [...task.limits].sort();
    const units = new Map(names.map((name) => [name, unitsOf(task, name)]));
    demand = { kind: task.kind, weight: task.weight, units, signature: `${task.weight}:${[...units.values()].join(',')}` };
    demands.set(task, demand);
  }
  return demand;
}

/**
 * The ready tasks of one dispatch class of a run (one kind, the same limits), by what they take,
 * so the most they take of each thing is found at once.
 */
class WaitingClass {
  private readonly bySignature = new Map<string, Map<string, TaskModel>>();
  private readonly signatureOf = new Map<string, string>();
  // the most the ready tasks take, with one of their keys; made again after a change
  private cached: { readonly key: string; readonly demand: Demand } | undefined;

  constructor(
    /** The run they belong to. */
    readonly runId: string,
  ) {}

  add(key: string, task: TaskModel): void {
    if (this.signatureOf.has(key)) return;
    const { signature } = demandOf(task);
    this.signatureOf.set(key, signature);
    let tasks = this.bySignature.get(signature);
    if (tasks === undefined) {
      this.bySignature.set(signature, (tasks = new Map()));
      this.cached = undefined;
    }
    tasks.set(key, task);
  }

  remove(key: string): void {
    const signature = this.signatureOf.get(key);
    if (signature === undefined) return;
    this.signatureOf.delete(key);
    const tasks = this.bySignature.get(signature)!;
    tasks.delete(key);
    if (tasks.size === 0) this.bySignature.delete(signature);
    this.cached = undefined; // the key it names may be this one
  }

  /**
   * The most any ready task takes of each thing (weight, units of each limit: the class's tasks
   * all need the same limits), with the key `run/task` of a task of the heaviest weight; undefined
   * when none waits.
   */
  most(): { readonly key: string; readonly demand: Demand } | undefined {
    if (this.cached !== undefined || this.bySignature.size === 0) return this.cached;
    let key = '';
    let kind = '';
    let weight = 0;
    const units = new Map<string, number>();
    for (const tasks of this.bySignature.values()) {
      const [first, task] = tasks.entries().next().value!;
      const demand = demandOf(task);
      kind = demand.kind;
      if (demand.weight > weight) [key, weight] = [first, demand.weight];
      for (const [name, n] of demand.units) units.set(name, Math.max(units.get(name) ?? 0, n));
    }
    this.cached = { key, demand: { kind, weight, units } };
    return this.cached;
  }

  /**
   * The highest of the ready tasks' priorities, as the dispatch order counts them now: the
   * class's first task's; -Infinity when none waits.
   */
  highestPriority(priorities: Priorities): number {
    let highest = Number.NEGATIVE_INFINITY;
    for (const key of this.signatureOf.keys()) highest = Math.max(highest, priorities.of(key));
    return highest;
  }
}

function sortedIndex(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One agent call per task.started, in its frame; each call's work over when its attempt ended. */
export function checkAgentCalls(o: Observation, v: Violations): void {
  const calls = new Map(o.calls.map((c) => [`${c.runId}/${c.taskId}#${c.attempt}`, c]));
  if (calls.size !== o.calls.length) v.push(`${o.calls.length - calls.size} attempts called their agent more than once`);
  let starts = 0;
  for (const run of o.runs) {
    const byTask = eventsByTask(run.events);
    for (const list of byTask.values()) {
      list.forEach((e, i) => {
        if (e.type !== 'task.started') return;
        starts++;
        const key = `${run.runId}/${e.taskId}#${e.attempt}`;
        const call = calls.get(key);
        if (call === undefined) {
          v.push(`${key}: task.started, but its agent was never called`);
          return;
        }
        if (call.calledAt !== e.at) v.push(`${key}: agent called at ${call.calledAt}, started at ${e.at}`);
        const end = list.slice(i + 1).find((x) => x.type === 'task.completed' || x.type === 'task.failed' || x.type === 'task.cancelled');
        if (end !== undefined && (call.endedAt === undefined || call.endedAt > end.at))
          v.push(`${key}: agent still working at ${end.at} when its attempt ended (${end.type}); work ended at ${call.endedAt}`);
      });
    }
  }
  if (starts !== o.calls.length) v.push(`${o.calls.length} agent calls for ${starts} task.started events`);
}
