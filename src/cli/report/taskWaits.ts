/**
 * Why each task's first attempt started after it became ready, read from the run's events and,
 * when the report has them, the limits the DAG declares, what each task asks of them (`limits`,
 * `weight`) and the run's concurrency. What it cannot tell from what it has, it does not claim:
 * without the DAG's limits a wait is left unexplained, and without the run's concurrency a full
 * run is only said to be as busy as it ever was.
 */
import { type LimitUnits, takesManyUnits, unitsIn } from '../../dag/taskLimits';
import type { DagEvent, LimitSpec } from '../../index';
import type { RunSetup } from '../output/runSetup';
import { type Held, HeldUnits, lastAtMost, RateStarts } from './limitUsage';

/** What held a task back until there was room for it. */
export type WaitCause =
  /** A named limit's rate window: `rate.limit` units started in its last `rate.intervalMs`. */
  | { readonly kind: 'rate'; readonly limit: string; readonly rate: NonNullable<LimitSpec['rate']>; readonly units: number }
  /** A named limit's concurrency, `held` by running attempts of tasks that name it. */
  | { readonly kind: 'limit'; readonly limit: string; readonly concurrency: number; readonly held: Held; readonly units: number }
  /** Its agent kind was at capacity: an `agent.available` for the kind came while it waited. */
  | { readonly kind: 'agent'; readonly agent: string }
  /** The run's concurrency (`-c`), `held` by the run's running attempts. */
  | { readonly kind: 'slot'; readonly concurrency: number; readonly held: Held; readonly weight: number }
  /**
   * The run's slots were kept for `task`, heavier, which did not fit: what would have fit waited
   * until it started (the scheduler lets a heavy task go first, so lighter ones cannot starve it).
   */
  /** `concurrency`: the run's, or, not known (an events log read without it), the most it ever held (`peak`). */
  | { readonly kind: 'hold'; readonly task: string; readonly taskWeight: number; readonly concurrency: number; readonly peak?: true }
  /**
   * The run's concurrency is not known, and with this task the run would have held more units
   * than it ever did (`peak`): maybe its concurrency, maybe not. It started when an attempt ended.
   */
  | { readonly kind: 'busy'; readonly peak: number; readonly held: Held; readonly weight: number };

/**
 * Why a task's first attempt started after it became ready:
 * - `waited`: something was short (see {@link WaitCause}) for `ms`; it started `thenMs` after
 *   there was room (dispatch latency, or a rate window's wake-up timer firing late);
 * - `dispatch`: nothing it needs was short: the gap is dispatch latency (for a shell task,
 *   mostly spawning its process);
 * - `unexplained`: nothing the events show was short, and the report was not given the DAG's
 *   limits, so it cannot tell a limit from dispatch latency;
 * - `kept`: nothing it needs was full, but `task`, which takes more than one unit of something
 *   and shares `limit` with it, waited too: the scheduler keeps what such a task is short of for
 *   it (so lighter tasks cannot starve it), which may have held this one back;
 * - `resumed`: the run was stopped and resumed while it waited.
 */
export type TaskWait =
  | { readonly kind: 'waited'; readonly ms: number; readonly thenMs: number; readonly cause: WaitCause }
  | { readonly kind: 'dispatch'; readonly ms: number }
  | { readonly kind: 'unexplained'; readonly ms: number }
  | { readonly kind: 'kept'; readonly ms: number; readonly task: string; readonly limit: string }
  | { readonly kind: 'resumed'; readonly ms: number };

/** What the report knows of a run beyond its events. */
export interface WaitContext {
  /**
   * The DAG's limits and what each task asks of them, the tasks the run spawned included
   * (`withSpawnedTasks`); without them no limit is named.
   */
  readonly setup?: RunSetup;
  /**
   * The run's concurrency (`-c`) when it began; without it the report does not say the run was
   * full. A resumed run's later parts go by what `run.resumed` says (a resume may change it).
   */
  readonly maxConcurrency?: number;
}

/** A part of the run one process ran: from its first event (index `start`) to the next resume. */
interface Segment {
  readonly start: number;
  /** Its concurrency, when known. */
  readonly concurrency: number | undefined;
  /** The units of its concurrency its running attempts held (none are held across a resume). */
  readonly run: HeldUnits;
}

/** What a task asks of the run: its weight, the limits it needs, and its own units of them when it gave a mapping (else its weight of each). */
interface Needs {
  readonly weight: number;
  readonly limits: readonly string[];
  readonly own?: LimitUnits | undefined;
}

const ONE: Needs = { weight: 1, limits: [] };

/** A task that became ready (event `ready`) and started at event `started` (infinite when it never did). */
interface HeavyWait {
  readonly taskId: string;
  readonly ready: number;
  readonly started: number;
}

/** Such tasks of one limit, by when they became ready, with those events' indices beside them to search. */
interface HeavyWaits {
  readonly waits: readonly HeavyWait[];
  readonly readies: readonly number[];
}

/** Heavier starts looked at for the one that held a waiting task back: bounds the report's work on runs where every task weighs. */
const HOLDS_LOOKED_AT = 16;

/**
 * Follows the events (`see`, in order), then tells for each task what its first attempt waited
 * for (`waitOf`). Of everything that was short while a task waited, the one that made room last
 * is named: the task could not start before it. O(log events) a task, once an index as long as
 * the log is built for each weight asked about (a run has few).
 */
export class WaitTracker {
  /** Time of each event. */
  private readonly times: number[] = [];
  private readonly readyAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  /** By `taskId#attempt`, a retry's `task.retrying` (its backoff over: ready again) and its first `task.started`. */
  private readonly retryReadyAt = new Map<string, number>();
  private readonly retryStartedAt = new Map<string, number>();
  /** Attempts running, by `taskId#attempt`, and what they took. */
  private readonly open = new Map<string, Needs>();
  private readonly segments: Segment[];
  private readonly held = new Map<string, HeldUnits>();
  private readonly rates = new Map<string, RateStarts>();
  /** Indices of the `agent.available` events of each agent kind. */
  private readonly available = new Map<string, number[]>();
  /** Starts of attempts heavier than one unit, in event order: each may have held the run's slots. */
  private readonly heavyStarts: { readonly index: number; readonly ready: number; readonly taskId: string; readonly weight: number }[] = [];
  private readonly heavyStartIndex: number[] = [];
  /** The last `task.ready` of each task: when its coming attempt became ready. */
  private readonly lastReady = new Map<string, number>();
  /** By limit, the tasks taking more than one unit of something that name it, in the order they became ready; made when first asked. */
  private heavyByLimit: Map<string, HeavyWaits> | undefined;

  constructor(private readonly context: WaitContext) {
    this.segments = [{ start: 0, concurrency: context.maxConcurrency, run: new HeldUnits() }];
    for (const [name, limit] of Object.entries(context.setup?.limits ?? {})) {
      if (limit.concurrency !== undefined) this.held.set(name, new HeldUnits());
      if (limit.rate !== undefined) this.rates.set(name, new RateStarts(limit.rate.intervalMs));
    }
  }

  see(index: number, event: DagEvent): void {
    this.times[index] = event.at;
    switch (event.type) {
      case 'task.ready':
        if (!this.readyAt.has(event.taskId)) this.readyAt.set(event.taskId, index);
        this.lastReady.set(event.taskId, index);
        break;
      case 'task.retrying':
        this.retryReadyAt.set(`${event.taskId}#${event.attempt}`, index);
        break;
      case 'task.started': {
        if (!this.startedAt.has(event.taskId)) this.startedAt.set(event.taskId, index);
        const key = `${event.taskId}#${event.attempt}`;
        if (this.retryReadyAt.has(key) && !this.retryStartedAt.has(key)) this.retryStartedAt.set(key, index);
        const needs = this.needsOf(event.taskId);
        const ready = this.lastReady.get(event.taskId);
        if (needs.weight > 1 && ready !== undefined) {
          this.heavyStarts.push({ index, ready, taskId: event.taskId, weight: needs.weight });
          this.heavyStartIndex.push(index);
        }
        this.open.set(`${event.taskId}#${event.attempt}`, needs);
        this.take(index, needs, 1);
        for (const limit of needs.limits) this.rates.get(limit)?.add(index, event.at, unitsIn(needs.own, limit, needs.weight));
        break;
      }
      case 'task.completed':
      case 'task.failed':
      case 'task.cancelled': {
        // what the attempt held is given back after its outcome's events
        const key = `${event.taskId}#${event.attempt}`;
        const needs = this.open.get(key);
        if (needs === undefined) break;
        this.open.delete(key);
        this.take(index, needs, -1);
        break;
      }
      case 'agent.available': {
        let list = this.available.get(event.agent);
        if (list === undefined) this.available.set(event.agent, (list = []));
        list.push(index);
        break;
      }
      case 'run.resumed':
        // the stopped process's attempts hold nothing in the new one (its rate windows do keep their starts)
        for (const needs of this.open.values()) this.take(index, needs, -1);
        this.open.clear();
        // a resume of an earlier version does not say its concurrency (it may have had another -c): not known
        this.segments.push({ start: index, concurrency: event.maxConcurrency, run: new HeldUnits() });
        break;
      default:
        break;
    }
  }

  /** What the first attempt of `taskId`, run by `agent`, waited for; `undefined` when it started at once. */
  waitOf(taskId: string, agent: string): TaskWait | undefined {
    return this.waitBetween(taskId, agent, this.readyAt.get(taskId), this.startedAt.get(taskId));
  }

  /** What `attempt` of `taskId` (a retry) waited for once its backoff was over; `undefined` when it started at once. */
  retryWaitOf(taskId: string, agent: string, attempt: number): TaskWait | undefined {
    const key = `${taskId}#${attempt}`;
    return this.waitBetween(taskId, agent, this.retryReadyAt.get(key), this.retryStartedAt.get(key));
  }

  /** What held `taskId` back from event `ready` (it was ready) to event `started`. */
  private waitBetween(taskId: string, agent: string, ready: number | undefined, started: number | undefined): TaskWait | undefined {
    if (ready === undefined || started === undefined || started < ready) return undefined;
    const readyTime = this.times[ready]!;
    const startTime = this.times[started]!;
    const ms = startTime - readyTime;
    if (ms <= 0) return undefined;
    // the part of the run it started in began after it was ready: a resume came between
    if (this.segmentOf(started).start > ready) return { kind: 'resumed', ms };
    // the one that made room last held it back to the end; on a tie, the most specific is named
    let last: { readonly at: number; readonly cause: WaitCause } | undefined;
    for (const [at, cause] of this.causes(taskId, agent, ready, started)) {
      if (at > readyTime && (last === undefined || at > last.at)) last = { at, cause };
    }
    if (last === undefined) {
      if (this.context.setup === undefined) return { kind: 'unexplained', ms };
      const kept = this.keptFor(taskId, ready, started);
      return kept === undefined ? { kind: 'dispatch', ms } : { kind: 'kept', ms, ...kept };
    }
    return { kind: 'waited', ms: last.at - readyTime, thenMs: startTime - last.at, cause: last.cause };
  }

  /** Everything that had no room for the task while it waited, with when it had room again, most specific first. */
  private *causes(taskId: string, agent: string, ready: number, started: number): Generator<readonly [number, WaitCause]> {
    const { setup } = this.context;
    const { weight, limits, own } = this.needsOf(taskId);
    for (const name of limits) {
      const rate = setup?.limits[name]?.rate;
      if (rate === undefined) continue;
      const units = unitsIn(own, name, weight);
      const room = this.rates.get(name)?.lastFull(rate.limit, units, this.point(ready), this.point(started));
      if (room !== undefined) yield [room, { kind: 'rate', limit: name, rate, units }];
    }
    for (const name of limits) {
      const concurrency = setup?.limits[name]?.concurrency;
      if (concurrency === undefined) continue;
      const units = unitsIn(own, name, weight);
      const full = this.held.get(name)?.lastFull(concurrency, units, ready, started);
      if (full !== undefined) yield [this.times[full.releasedBy]!, { kind: 'limit', limit: name, concurrency, held: full.held, units }];
    }
    const freed = this.lastAvailable(agent, ready, started);
    if (freed !== undefined) yield [this.times[freed]!, { kind: 'agent', agent }];
    // the task waited within one part of the run (a wait across a resume is said as such)
    const { concurrency: maxConcurrency, run } = this.segmentOf(ready);
    if (maxConcurrency !== undefined) {
      const full = run.lastFull(maxConcurrency, weight, ready, started);
      if (full !== undefined) yield [this.times[full.releasedBy]!, { kind: 'slot', concurrency: maxConcurrency, held: full.held, weight }];
      const hold = this.lastHold(run, maxConcurrency, weight, ready, started);
      if (hold !== undefined) {
        yield [this.times[hold.index]!, { kind: 'hold', task: hold.taskId, taskWeight: hold.weight, concurrency: maxConcurrency }];
      }
    } else if (setup !== undefined) {
      // the run's concurrency is at least the most it ever held: more than that may not have fit
      const peak = run.peak;
      const full = run.lastFull(peak, weight, ready, started);
      if (full !== undefined) yield [this.times[full.releasedBy]!, { kind: 'busy', peak, held: full.held, weight }];
      const hold = this.lastHold(run, peak, weight, ready, started);
      if (hold !== undefined) {
        yield [this.times[hold.index]!, { kind: 'hold', task: hold.taskId, taskWeight: hold.weight, concurrency: peak, peak: true }];
      }
    }
  }

  /**
   * The last start, while a task of `weight` waited (between events `ready` and `started`), of a
   * heavier attempt that had been short of the run's slots: the scheduler kept the slots for it
   * until then. Only the last few such starts are looked at: the latest one is what is named.
   */
  private lastHold(run: HeldUnits, concurrency: number, weight: number, ready: number, started: number) {
    const last = lastAtMost(this.heavyStartIndex, started, true);
    for (let k = last; k >= 0 && k > last - HOLDS_LOOKED_AT; k--) {
      const start = this.heavyStarts[k]!;
      if (start.index <= ready) return undefined;
      if (start.weight > weight && run.lastFull(concurrency, start.weight, start.ready, start.index) !== undefined) return start;
    }
    return undefined;
  }

  /**
   * A task taking more than one unit of something that shares a limit with `taskId`, of the same
   * priority or a higher one, and waited while it did (between events `ready` and `started`): the
   * last few to become ready before it started are looked at, for each of its limits.
   */
  private keptFor(taskId: string, ready: number, started: number): { readonly task: string; readonly limit: string } | undefined {
    const heavyByLimit = (this.heavyByLimit ??= this.heavyWaits());
    // a task of a higher priority goes first: nothing is kept from it for one of a lower priority
    const priorities = this.context.setup?.priorities;
    const priority = priorities?.get(taskId) ?? 0;
    for (const limit of this.needsOf(taskId).limits) {
      const heavy = heavyByLimit.get(limit);
      if (heavy === undefined) continue;
      let k = lastAtMost(heavy.readies, started, true);
      for (const stop = k - HOLDS_LOOKED_AT; k >= 0 && k > stop; k--) {
        const wait = heavy.waits[k]!;
        if (wait.taskId !== taskId && wait.started > ready && (priorities?.get(wait.taskId) ?? 0) >= priority)
          return { task: wait.taskId, limit };
      }
    }
    return undefined;
  }

  private heavyWaits(): Map<string, HeavyWaits> {
    const byLimit = new Map<string, HeavyWait[]>();
    for (const [taskId, ready] of this.readyAt) {
      const { weight, limits, own } = this.needsOf(taskId);
      if (limits.length === 0 || !(weight > 1 || takesManyUnits(own))) continue;
      const wait = { taskId, ready, started: this.startedAt.get(taskId) ?? Number.POSITIVE_INFINITY };
      for (const limit of limits) {
        let waits = byLimit.get(limit);
        if (waits === undefined) byLimit.set(limit, (waits = []));
        waits.push(wait);
      }
    }
    const heavy = new Map<string, HeavyWaits>();
    for (const [limit, waits] of byLimit) {
      waits.sort((a, b) => a.ready - b.ready);
      heavy.set(limit, { waits, readies: waits.map((wait) => wait.ready) });
    }
    return heavy;
  }

  /**
   * What a task asks of the run. Without the DAG's setup each task counts as weighing 1: a
   * claim that the run was full then rests on its running attempts alone, each at least 1.
   */
  private needsOf(taskId: string): Needs {
    const setup = this.context.setup;
    if (setup === undefined) return ONE;
    const task = setup.tasks.get(taskId);
    if (task === undefined) return ONE;
    return { weight: task.weight ?? 1, limits: task.limits ?? [], own: task.limitUnits };
  }

  /** `sign` 1: an attempt with `needs` starts at event `index`; -1: it ends. */
  private take(index: number, needs: Needs, sign: 1 | -1): void {
    this.segments[this.segments.length - 1]!.run.change(index, sign, sign * needs.weight);
    for (const limit of needs.limits) this.held.get(limit)?.change(index, sign, sign * unitsIn(needs.own, limit, needs.weight));
  }

  /** The part of the run event `index` belongs to. */
  private segmentOf(index: number): Segment {
    let k = this.segments.length - 1;
    while (k > 0 && this.segments[k]!.start > index) k--;
    return this.segments[k]!;
  }

  private point(index: number): { readonly index: number; readonly at: number } {
    return { index, at: this.times[index]! };
  }

  /** The last `agent.available` of `agent` after event `from` and before event `to`. */
  private lastAvailable(agent: string, from: number, to: number): number | undefined {
    const list = this.available.get(agent);
    if (list === undefined) return undefined;
    let low = 0;
    let high = list.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (list[middle]! < to) low = middle + 1;
      else high = middle;
    }
    const last = list[low - 1];
    return last !== undefined && last > from ? last : undefined;
  }
}
