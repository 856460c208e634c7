import type { LimitModel, TaskModel } from './model';
import type { Observation } from './observation';
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

/** Units held now by running attempts: over all, per kind, per named limit. */
class Held {
  total = 0;
  readonly byKind = new Map<string, number>();
  readonly byLimit = new Map<string, number>();

  take(task: TaskModel, units: number): void {
    this.total += units;
    this.byKind.set(task.kind, (this.byKind.get(task.kind) ?? 0) + units);
    for (const name of task.limits) this.byLimit.set(name, (this.byLimit.get(name) ?? 0) + units);
  }

  give(task: TaskModel, units: number): void {
    this.take(task, -units);
  }
}

/**
 * Fold of the starts and ends of attempts in global order: at every start, the units running
 * (each attempt its task's weight) fit `maxConcurrency`, its kind's capacity and each named
 * limit's concurrency, no rate window `(t − intervalMs, t]` holds more than `limit` units of
 * starts, and none of its limits is paused by a failed attempt's error, over every run of the
 * scheduler. (In real time a start may be stamped `earlyMs` before the clock reading that let it
 * start.)
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
      held.take(task, task.weight);
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
        window.add(event.at, task.weight);
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
        held.give(task, task.weight);
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
 * (its tasks of one kind needing the same limits) whose heaviest ready task fits in the free
 * units of `maxConcurrency`, of its kind's capacity, of each of its limits' concurrency and rate
 * window, none of its limits paused by a failed attempt's error (see `LimitPauses`). (The
 * heaviest: the class's first task, which the others wait behind, is no heavier.) Unless it
 * leaves room for a heavier waiting task: a task heavier than one unit that does not fit holds
 * what it is short of, and a task that fits may wait while it needs something the heavy one is
 * short of now (so lighter tasks arriving without end cannot starve a heavy one).
 *
 * In real time a frame is not one time: `turnEnds` then holds the indexes of `o.global` after
 * which the scheduler's reaction ended (the event loop went on to timers or I/O), and the moments
 * a rate window opens or a pause ends are not checked, since the wake-up is a real timer that
 * fires as late as the machine is busy (the next turn's end still catches a start forgotten for
 * good).
 */
export function checkWorkConserving(o: Observation, v: Violations, turnEnds?: ReadonlySet<number>): void {
  const models = modelsOf(o);
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
  const fits = (task: TaskModel, at: number): boolean => {
    const capacity = o.kinds.get(task.kind)?.capacity ?? Number.POSITIVE_INFINITY;
    if (held.total + task.weight > o.options.maxConcurrency) return false;
    if ((held.byKind.get(task.kind) ?? 0) + task.weight > capacity) return false;
    return task.limits.every((name) => {
      const limit = o.limits.get(name);
      if (limit === undefined) return false;
      if ((held.byLimit.get(name) ?? 0) + task.weight > (limit.concurrency ?? Number.POSITIVE_INFINITY)) return false;
      if (paused(name, at)) return false;
      const window = windows.get(name);
      return window === undefined || window.unitsAt(at) + task.weight <= window.limit.rate.limit;
    });
  };
  /** Whether `task` needs something `heavy` is short of now: the slots, their agent kind, a limit they share. */
  const crowds = (task: TaskModel, heavy: TaskModel, at: number): boolean => {
    if (held.total + heavy.weight > o.options.maxConcurrency) return true;
    const capacity = o.kinds.get(task.kind)?.capacity ?? Number.POSITIVE_INFINITY;
    if (task.kind === heavy.kind && (held.byKind.get(task.kind) ?? 0) + heavy.weight > capacity) return true;
    return task.limits.some((name) => {
      if (!heavy.limits.includes(name)) return false;
      const limit = o.limits.get(name);
      if ((held.byLimit.get(name) ?? 0) + heavy.weight > (limit?.concurrency ?? Number.POSITIVE_INFINITY)) return true;
      if (paused(name, at)) return true;
      const window = windows.get(name);
      return window !== undefined && window.unitsAt(at) + heavy.weight > window.limit.rate.limit;
    });
  };
  const check = (at: number, why: string): boolean => {
    const firsts = [...waiting.values()].map((tasks) => tasks.heaviest());
    const heavyWaiting = firsts.filter((first) => first !== undefined && first.task.weight > 1 && !fits(first.task, at));
    for (const first of firsts) {
      if (first === undefined || !fits(first.task, at)) continue;
      if (heavyWaiting.some((heavy) => crowds(first.task, heavy!.task, at))) continue; // it leaves room for a heavier one
      const { key: heaviestKey, task: heaviest } = first;
      const limits = heaviest.limits.map((name) => {
        const window = windows.get(name);
        const until = pauses.pausedAt(name, at);
        return `${JSON.stringify(name)} ${held.byLimit.get(name) ?? 0}/${o.limits.get(name)?.concurrency ?? '∞'}${window === undefined ? '' : `, ${window.unitsAt(at)}/${window.limit.rate.limit} in its window`}${until === undefined ? '' : `, paused until ${until}`}`;
      });
      v.push(
        `t=${at} (${why}): ${heaviestKey} (weight ${heaviest.weight}, kind ${heaviest.kind}${limits.length > 0 ? `, limits ${limits.join('; ')}` : ''}) waits with ${held.total}/${o.options.maxConcurrency} units running and ${held.byKind.get(heaviest.kind) ?? 0}/${o.kinds.get(heaviest.kind)?.capacity ?? '∞'} of its kind`,
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
            if (tasks === undefined) waiting.set(cls, (tasks = new WaitingClass()));
            tasks.add(key, task);
            break;
          }
          case 'task.started':
            waiting.get(cls)?.remove(key);
            running.set(key, task);
            held.take(task, task.weight);
            for (const name of task.limits) {
              const window = windows.get(name);
              if (window === undefined) continue;
              window.add(event.at, task.weight);
              const at = event.at + window.limit.rate.intervalMs;
              opening.splice(sortedIndex(opening, at), 0, at);
            }
            break;
          case 'task.completed':
          case 'task.failed':
          case 'task.cancelled':
          case 'task.skipped': {
            waiting.get(cls)?.remove(key);
            if (running.delete(key)) held.give(task, task.weight);
            const until = event.type === 'task.failed' ? pauses.failed(task, event) : undefined;
            if (until !== undefined && until > event.at) {
              opening.splice(sortedIndex(opening, until), 0, until);
              pauseEnds.add(until);
            }
            break;
          }
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

/** The ready tasks of one dispatch class of a run, by weight, so the heaviest is found at once. */
class WaitingClass {
  private readonly byWeight = new Map<number, Map<string, TaskModel>>();
  private readonly weightOf = new Map<string, number>();

  add(key: string, task: TaskModel): void {
    if (this.weightOf.has(key)) return;
    this.weightOf.set(key, task.weight);
    let tasks = this.byWeight.get(task.weight);
    if (tasks === undefined) this.byWeight.set(task.weight, (tasks = new Map()));
    tasks.set(key, task);
  }

  remove(key: string): void {
    const weight = this.weightOf.get(key);
    if (weight === undefined) return;
    this.weightOf.delete(key);
    const tasks = this.byWeight.get(weight)!;
    tasks.delete(key);
    if (tasks.size === 0) this.byWeight.delete(weight);
  }

  /** A ready task of the heaviest weight waiting, with its `run/task` key, if any waits. */
  heaviest(): { readonly key: string; readonly task: TaskModel } | undefined {
    if (this.byWeight.size === 0) return undefined;
    const tasks = this.byWeight.get(Math.max(...this.byWeight.keys()))!;
    const [key, task] = tasks.entries().next().value!;
    return { key, task };
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
