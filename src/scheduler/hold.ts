/**
 * A hold: the claim of a task short of something it takes more than one unit of on what it
 * waits for, so that lighter tasks arriving without end cannot starve it. It says which other
 * tasks must wait for it, and follows the first task of its class (what that takes may change).
 * It does not choose which task holds (the dispatcher's contention does), nor start anything.
 */
import { type LimitUnits, takesManyUnits, unitsIn } from '../dag/taskLimits';
import type { DispatchClass } from './dispatchClasses';
import { effectivePriorities } from './dispatchOrder';
import type { Limit } from './limits';
import type { RunController } from './runController';

export class Hold {
  constructor(
    readonly run: RunController,
    /** The held task's class; the task is that class's first. */
    readonly cls: DispatchClass,
    public task: number,
    /** Its weight. */
    public units: number,
    /** Its own units of limits (undefined: its weight of each). */
    public own: LimitUnits | undefined,
  ) {}

  /**
   * Whether `task` (first of its class, or -1) of the held task's run has a higher effective
   * priority than the held task: it starts first, as it would without the hold (a task of the
   * same priority waits, though the order puts the longer critical path first). So does one
   * queued first (an attempt of a resumed run that was in flight): it held its room before the
   * held task, which a task queued first that waits may be holding back.
   */
  goesBefore(task: number): boolean {
    if (task < 0) return false;
    const priority = effectivePriorities(this.run.dag.index);
    return priority[task]! > priority[this.task]! || this.run.readyQueue.queuedFirst(task);
  }

  /**
   * Whether a task of class `cls`, taking `units` (and `own` of its limits), must wait for the
   * held task, with `slotsLeft` of the scheduler's slots free. It would leave the held task short
   * of one of its limits: what it needs of each is kept for it from when it holds (so its limits'
   * shortage only shrinks, whichever of them is short at the moment, and streams of lighter tasks
   * cannot take turns starving it). But while a rate window it needs is short, whose room comes
   * when its starts leave it (no lighter task takes from it meanwhile), a limit that has room for
   * it lends its concurrency (not its window) to lighter tasks: kept, it would stand idle until
   * then (calls while a token budget refills). A pause is no such wait: an attempt failing
   * meanwhile may lengthen it. While a limit of the held task is short, slots and agent kinds may
   * be taken (they are given back as their tasks end); once none is, they are kept for it too: it
   * fits now (it goes first), or it waits for slots, or for its agent kind, which `cls` shares.
   * `wake` hears the limit and units a task kept waiting waits for, and whether for its window
   * alone (a limit that lends its concurrency).
   */
  delays(
    cls: DispatchClass,
    units: number,
    own: LimitUnits | undefined,
    now: number,
    slotsLeft: number,
    wake: (limit: Limit, units: number, now: number, windowOnly: boolean) => void,
  ): boolean {
    const held = this.cls;
    let limitsShort = false;
    let windowShort = false;
    for (const limit of held.limits) {
      const need = unitsIn(this.own, limit.name, this.units);
      if (limit.hasRoom(need, now)) continue;
      limitsShort = true;
      if (!limit.windowHasRoom(need, now)) windowShort = true;
    }
    for (const limit of held.limits) {
      if (!cls.limits.includes(limit)) continue;
      const need = unitsIn(this.own, limit.name, this.units);
      const both = need + unitsIn(own, limit.name, units);
      const lends = windowShort && limit.hasRoom(need, now);
      if (!(lends ? limit.windowHasRoom(both, now) : limit.hasRoom(both, now))) {
        wake(limit, both, now, lends);
        return true;
      }
    }
    if (limitsShort) return false;
    return this.units > slotsLeft || held.kind.hasRoomFor(this.units) || cls.kind === held.kind;
  }

  /**
   * Follows the first task of its class, while its run goes on (`live`); false when the hold
   * ends: its run ended, or that task takes one unit of everything.
   */
  follow(live: boolean): boolean {
    const { run, cls } = this;
    const code = live ? run.classes.indexOf(cls) : -1;
    const first = code < 0 ? -1 : run.readyQueue.first(code);
    const units = first < 0 ? 1 : (run.dag.index.weight?.[first] ?? 1);
    const own = first < 0 ? undefined : run.dag.index.limitUnits?.[first];
    if (!(units > 1 || takesManyUnits(own))) return false;
    this.task = first;
    this.units = units;
    this.own = own;
    return true;
  }
}
