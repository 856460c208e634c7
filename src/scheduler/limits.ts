/**
 * Named limits shared by every run of a scheduler: at most `concurrency` units at once and at
 * most `rate.limit` units started in any window of `rate.intervalMs` (a sliding window on the
 * scheduler's clock: the units started in `(now − intervalMs, now]`). A task takes its `weight`
 * in units of each limit it names. It does not choose which task starts (the dispatcher asks
 * `hasRoom`) and schedules nothing itself (the dispatcher asks `roomAt` when to look again).
 * A limit may be paused until a time (an agent's error said the service behind it refuses work
 * till then): it has no room before it. A clock set back (an NTP step, a VM's clock corrected)
 * moves what it recorded after the new `now` back to it: a window or a pause lasts at most its
 * whole length again from there, not for as long as the step.
 */

/** How a named limit is declared (`limits` option, `limits:` in a DAG file): `concurrency`, `rate` or both. */
export type LimitSpec =
  | { readonly concurrency: number; readonly rate?: LimitRate | undefined }
  | { readonly concurrency?: number | undefined; readonly rate: LimitRate };

/** Most units started in any window of `intervalMs`. */
export interface LimitRate {
  readonly limit: number;
  readonly intervalMs: number;
}

/** Whether two specs limit the same way (a journal's copy of a spec is equal, not the same object). */
export function sameLimit(a: LimitSpec, b: LimitSpec): boolean {
  return a.concurrency === b.concurrency && a.rate?.limit === b.rate?.limit && a.rate?.intervalMs === b.rate?.intervalMs;
}

/**
 * A limit in words.
 *
 * @example
 * describeLimit({ concurrency: 2, rate: { limit: 60, intervalMs: 60_000 } }) // "2 at once, 60 per minute"
 */
export function describeLimit(limit: LimitSpec): string {
  const parts: string[] = [];
  if (limit.concurrency !== undefined) parts.push(`${limit.concurrency} at once`);
  if (limit.rate !== undefined) parts.push(`${limit.rate.limit} per ${describeWindow(limit.rate.intervalMs)}`);
  return parts.join(', ');
}

/** A rate window as written by people: `minute`, `5 min`, `10 s`, `250 ms`. */
function describeWindow(ms: number): string {
  if (ms === 60_000) return 'minute';
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms === 1000) return 'second';
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

export class Limit {
  /** Units held by running attempts. */
  private inUse = 0;
  // starts in the rate window, oldest first from `head`: their times and units, side by side
  private readonly startedAt: number[] = [];
  private readonly startedUnits: number[] = [];
  private head = 0;
  private windowUnits = 0;
  // no start before this time on the scheduler's clock; when that pause was asked for
  private pausedUntil = Number.NEGATIVE_INFINITY;
  private pausedFrom = Number.NEGATIVE_INFINITY;
  readonly concurrency: number;

  constructor(
    readonly name: string,
    readonly spec: LimitSpec,
    /** Told when the limit is paused (the dispatcher looks again at the runs it had passed over). */
    private readonly onPause?: () => void,
  ) {
    this.concurrency = spec.concurrency ?? Number.POSITIVE_INFINITY;
    this.rate = spec.rate;
  }

  readonly rate: LimitSpec['rate'];

  /** Whether `units` more may start at `now`. */
  hasRoom(units: number, now: number): boolean {
    this.fitClock(now);
    if (this.inUse + units > this.concurrency || now < this.pausedUntil) return false;
    return this.windowRoom(units, now);
  }

  /** Whether the rate window alone has room for `units` at `now`, its concurrency and a pause aside (true without a rate). */
  windowHasRoom(units: number, now: number): boolean {
    this.fitClock(now);
    return this.windowRoom(units, now);
  }

  private windowRoom(units: number, now: number): boolean {
    // a window with room before its old starts are forgotten has room after: nothing to forget now
    if (this.rate === undefined || this.windowUnits + units <= this.rate.limit) return true;
    this.forgetBefore(now);
    return this.windowUnits + units <= this.rate.limit;
  }

  /** Whether one more unit would pass `concurrency`: only an attempt's end frees what is short. */
  get full(): boolean {
    return this.inUse + 1 > this.concurrency;
  }

  /** Whether the limit was ever paused: a clock set back may make a past pause last again (see `fitPause`). */
  get everPaused(): boolean {
    return this.pausedFrom !== Number.NEGATIVE_INFINITY;
  }

  /**
   * When the rate window (and the pause, if any) will have room for `units`, if only they stand
   * in the way (`now` when it has room; `undefined` when concurrency is what is short: an
   * attempt's end will free it).
   */
  roomAt(units: number, now: number): number | undefined {
    if (this.inUse + units > this.concurrency) return undefined;
    this.fitClock(now);
    const windowRoom = this.windowRoomFrom(units, now);
    return windowRoom === undefined ? undefined : Math.max(windowRoom, this.pausedUntil);
  }

  /** When the rate window alone will have room for `units`, its concurrency and a pause aside (`now` when it has; `undefined`: never). */
  windowRoomAt(units: number, now: number): number | undefined {
    this.fitClock(now);
    return this.windowRoomFrom(units, now);
  }

  /** No start before `until`, asked for at `from` (a later pause than one already set wins; an earlier one changes nothing). */
  pause(until: number, from: number): void {
    // the pause there is, set before the clock went back, measured from the new clock first
    // (only the pause: a resumed run's replayed pauses come after its recorded starts)
    this.fitPause(from);
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    this.pausedFrom = from;
    this.onPause?.();
  }

  /** What was recorded after `now` (the clock was set back since) taken as recorded at `now`. */
  private fitClock(now: number): void {
    this.fitPause(now);
    let k = this.startedAt.length;
    if (k === this.head || this.startedAt[k - 1]! <= now) return;
    let units = 0;
    while (k > this.head && this.startedAt[k - 1]! >= now) units += this.startedUnits[--k]!;
    this.startedAt.length = k;
    this.startedUnits.length = k;
    this.startedAt.push(now);
    this.startedUnits.push(units);
  }

  /** The pause asked for after `now` (the clock was set back since) taken as asked for at `now`, as long as it was. */
  private fitPause(now: number): void {
    if (now < this.pausedFrom) [this.pausedUntil, this.pausedFrom] = [now + (this.pausedUntil - this.pausedFrom), now];
  }

  /** When the rate window alone has room for `units`, the clock already fitted. */
  private windowRoomFrom(units: number, now: number): number | undefined {
    if (this.rate === undefined) return now;
    this.forgetBefore(now);
    let excess = this.windowUnits + units - this.rate.limit;
    if (excess <= 0) return now;
    for (let k = this.head; k < this.startedAt.length; k++) {
      excess -= this.startedUnits[k]!;
      if (excess <= 0) return this.startedAt[k]! + this.rate.intervalMs;
    }
    return undefined; // more units than the rate allows at all: refused when the run was checked
  }

  /** `units` start at `now`. */
  take(units: number, now: number): void {
    this.inUse += units;
    this.record(units, now);
  }

  /** `units` that started at `at` in an earlier process (a resumed run's recent starts). */
  record(units: number, at: number): void {
    if (this.rate === undefined) return;
    this.windowUnits += units;
    // starts of one flush share its clock reading: one entry for all of them keeps the window
    // as long as the distinct times in it, not the starts (a wide window holds 100k starts)
    const last = this.startedAt.length - 1;
    if (last >= this.head && this.startedAt[last] === at) {
      this.startedUnits[last]! += units;
      return;
    }
    if (last >= this.head && at < this.startedAt[last]!) return this.recordEarlier(units, at);
    this.startedAt.push(at);
    this.startedUnits.push(units);
    // a window that never fills is never asked to forget: it forgets as it grows
    this.forgetBefore(at);
  }

  /**
   * A start older than the newest one recorded (a run resumed after a live one started, a clock
   * set back), put in its place: the window forgets its starts in time order, from the oldest.
   */
  private recordEarlier(units: number, at: number): void {
    let k = this.startedAt.length;
    while (k > this.head && this.startedAt[k - 1]! > at) k--;
    if (k > this.head && this.startedAt[k - 1] === at) this.startedUnits[k - 1]! += units;
    else {
      this.startedAt.splice(k, 0, at);
      this.startedUnits.splice(k, 0, units);
    }
  }

  /** `units` ended. */
  give(units: number): void {
    this.inUse -= units;
  }

  private forgetBefore(now: number): void {
    const horizon = now - this.rate!.intervalMs;
    let head = this.head;
    while (head < this.startedAt.length && this.startedAt[head]! <= horizon) this.windowUnits -= this.startedUnits[head++]!;
    this.head = head;
    // forgotten starts are dropped in one go once they are most of the arrays: O(1) amortized
    if (head > 1024 && head * 2 > this.startedAt.length) {
      this.startedAt.splice(0, head);
      this.startedUnits.splice(0, head);
      this.head = 0;
    }
  }
}
