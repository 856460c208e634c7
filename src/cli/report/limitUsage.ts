/**
 * What a run's limits held over its events, as the report reads them back: the units running
 * attempts held (of the run's concurrency, or of one named limit's) and the units started in a
 * named limit's rate window. Each answers one question for a task that waited: was there no room
 * for its weight at some point between its `task.ready` and its `task.started`, and if so, when
 * was there room again. Built in one pass over the events, then asked once per task that waited.
 */

/** Attempts running, and the units they held. */
export interface Held {
  readonly attempts: number;
  readonly units: number;
}

/** A point of a run's events: its position in the log and its time. */
export interface EventPoint {
  readonly index: number;
  readonly at: number;
}

/**
 * For each threshold asked about, the last position at or before each position whose value is
 * above it: answers "the last time it was full for this weight" in O(1) after O(n) once per
 * threshold (a run has few distinct weights).
 */
class LastAbove {
  private readonly byThreshold = new Map<number, Int32Array>();

  constructor(private readonly values: readonly number[]) {}

  /** The last position `<= position` whose value is above `threshold`, or -1. */
  at(position: number, threshold: number): number {
    if (position < 0) return -1;
    let last = this.byThreshold.get(threshold);
    if (last === undefined) {
      last = new Int32Array(this.values.length);
      let found = -1;
      for (let k = 0; k < this.values.length; k++) last[k] = found = this.values[k]! > threshold ? k : found;
      this.byThreshold.set(threshold, last);
    }
    return last[position]!;
  }
}

/**
 * The last position in `sorted` (up to `end`, excluded) whose value is `<= value` (or `< value`
 * when `strict`), or -1.
 */
export function lastAtMost(sorted: readonly number[], value: number, strict = false, end = sorted.length): number {
  let low = 0;
  let high = end;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (strict ? sorted[middle]! < value : sorted[middle]! <= value) low = middle + 1;
    else high = middle;
  }
  return low - 1;
}

/**
 * The units running attempts held over the events, as a step function: it changes only where an
 * attempt starts or ends (or a resume drops the attempts of the stopped process).
 */
export class HeldUnits {
  /** Event indices where it changed, ascending; what was held from each on. */
  private readonly changedAt: number[] = [];
  private readonly attempts: number[] = [];
  private readonly units: number[] = [];
  private lastAbove: LastAbove | undefined;
  /** The most units held at once. */
  peak = 0;

  /** At event `index`, `attempts` more attempts (fewer when negative) holding `units` more. */
  change(index: number, attempts: number, units: number): void {
    const last = this.changedAt.length - 1;
    this.set(index, { attempts: (this.attempts[last] ?? 0) + attempts, units: (this.units[last] ?? 0) + units });
  }

  /** What is held from event `index` on. */
  set(index: number, held: Held): void {
    this.lastAbove = undefined;
    const last = this.changedAt.length - 1;
    if (last >= 0 && this.changedAt[last] === index) {
      this.attempts[last] = held.attempts;
      this.units[last] = held.units;
    } else {
      this.changedAt.push(index);
      this.attempts.push(held.attempts);
      this.units.push(held.units);
    }
    this.peak = Math.max(this.peak, held.units);
  }

  /**
   * Whether `capacity` had no room for `weight` more units at some point from event `from` up to
   * (not including) event `to`; if so, the index of the event that made room (an attempt's end),
   * or `to` when none did, and what was held just before it.
   */
  lastFull(capacity: number, weight: number, from: number, to: number): { readonly releasedBy: number; readonly held: Held } | undefined {
    const before = lastAtMost(this.changedAt, to, true);
    this.lastAbove ??= new LastAbove(this.units);
    const full = this.lastAbove.at(before, capacity - weight);
    // full from changedAt[full] to the next change: it must reach into [from, to)
    if (full < 0 || full < lastAtMost(this.changedAt, from)) return undefined;
    const next = this.changedAt[full + 1];
    return {
      releasedBy: next !== undefined && next < to ? next : to,
      held: { attempts: this.attempts[full]!, units: this.units[full]! },
    };
  }
}

/**
 * The starts under one named limit's rate, and how many units each left in the window (a sliding
 * window of `intervalMs`, as the scheduler keeps it: a start at `at` leaves it at `at + intervalMs`).
 */
export class RateStarts {
  /** Event index, time and units of each start, in the order of the events. */
  private readonly index: number[] = [];
  private readonly at: number[] = [];
  private readonly units: number[] = [];
  // computed once every start is in: units started before each start, and in its window
  private sums: number[] | undefined;
  private windowUnits: number[] = [];
  private windowStart: number[] = [];
  private lastAbove: LastAbove | undefined;

  constructor(private readonly intervalMs: number) {}

  /** A start of `units` at event `index`, time `at`. */
  add(index: number, at: number, units: number): void {
    this.sums = undefined;
    this.index.push(index);
    this.at.push(at);
    this.units.push(units);
  }

  /**
   * Whether the window had no room for `weight` more units (`limit` per window) at some moment
   * from `from` until `to`: when it became ready, or after a start while it waited; if so, when
   * the window let go of enough starts to have room.
   */
  lastFull(limit: number, weight: number, from: EventPoint, to: EventPoint): number | undefined {
    const sums = this.prefixSums();
    const threshold = limit - weight;
    const beforeReady = lastAtMost(this.index, from.index);
    const whileWaiting = this.lastAbove!.at(lastAtMost(this.index, to.index, true), threshold);
    let first: number;
    let excess: number;
    if (whileWaiting > beforeReady) {
      first = this.windowStart[whileWaiting]!;
      excess = this.windowUnits[whileWaiting]! - threshold;
    } else {
      // the window as it stood when the task became ready: the starts before it, not yet let go
      first = lastAtMost(this.at, from.at - this.intervalMs, false, beforeReady + 1) + 1;
      excess = sums[beforeReady + 1]! - sums[first]! - threshold;
      if (excess <= 0) return undefined;
    }
    // the window has room once its oldest starts holding `excess` units have left it
    const enough = lastAtMost(sums, sums[first]! + excess, true);
    return Math.min(this.at[enough]! + this.intervalMs, to.at);
  }

  private prefixSums(): number[] {
    if (this.sums !== undefined) return this.sums;
    const sums = [0];
    for (const units of this.units) sums.push(sums[sums.length - 1]! + units);
    this.windowUnits = [];
    this.windowStart = [];
    let first = 0;
    for (let k = 0; k < this.at.length; k++) {
      while (this.at[first]! <= this.at[k]! - this.intervalMs) first++;
      this.windowStart.push(first);
      this.windowUnits.push(sums[k + 1]! - sums[first]!);
    }
    this.lastAbove = new LastAbove(this.windowUnits);
    this.sums = sums;
    return sums;
  }
}
