import type { SchedulerLike, Subscription } from 'rxjs';
import { type LimitUnits, takesManyUnits, unitsIn } from '../dag/taskLimits';
import type { DagIndex } from '../dag/types';
import { Attempt } from './attempt';
import type { FlushClock } from './flushClock';
import { type DispatchClass, sharesRoom } from './dispatchClasses';
import { Hold } from './hold';
import type { Limit } from './limits';
import type { RunController } from './runController';
import { type Blocker, NO_BLOCKERS, RunTurns } from './runTurns';

/** Up to this many runs, a pass looks at each: parking them pays off only with many (see `RunTurns`). */
const FEW_RUNS = 16;

/**
 * Dispatch: fills free slots of `maxConcurrency` with ready tasks, taking the runs in turn so
 * none starves (passing over those parked behind a full limit or agent kind: `RunTurns`), and
 * starts each chosen attempt (`task.started`, its agent slots, its units of each limit, the
 * launch). Each run's ready queues decide which of its tasks goes first, among the dispatch
 * classes whose first task fits: its weight in free slots, in its agent kind's capacity and in
 * each of its limits. When only a rate window stands in the way, it asks to be woken when the
 * window has room. A task short of something it takes more than one unit of, and that would go
 * before every task of its run that can start, gets a hold (one at a time): until it starts, no
 * other task of any run (but those of its own run of a higher priority, and those queued first,
 * the attempts a resumed run had in flight) takes what is kept for it, so lighter tasks
 * arriving without end cannot starve it (see `Hold`). A task short only of what it takes one
 * unit of waits in the order as lighter ones do. A durable run's task starts only once its
 * journal says what released it is durable (`RunJournal.mayStart`, which may commit first). It
 * does not call agents (the pipeline's `mergeMap` does) nor handle outcomes (the run controller
 * does); it runs once a flush has queued every ready task.
 */
export class Dispatcher {
  /** Units of `maxConcurrency` held by attempts launched and not yet handled, over all runs. */
  private running = 0;
  /** Where the turn over runs resumes. */
  private turn = 0;
  // the run being looked at, its tasks' weights (undefined: all 1) and their own units of limits (undefined: their weights), for `fits`
  private weights: Int32Array | undefined;
  private limitUnits: DagIndex['limitUnits'];
  /** The earliest time a rate window blocking a ready task has room, in this fill. */
  private wakeAt = Number.POSITIVE_INFINITY;
  /** The timer that wakes the pipeline when a rate window has room. */
  private wake: { readonly at: number; readonly timer: Subscription } | undefined;
  /** The weighted task waiting for room that others must leave room for (see `Hold`). */
  private hold: Hold | undefined;
  /**
   * The attempt of a task heavier than a unit a run started last (and its class), while it runs
   * and until another run starts a task: meanwhile its run may not take the hold for a task that
   * shares room with it (its agent kind, a limit) while other runs have ready tasks, so its next
   * heavy task cannot keep the lighter tasks of other runs waiting behind it one after another
   * (runs take turns for what a hold keeps too). Once it ends its run may, and for a task of other
   * room at once (a heavy task is not starved by lighter ones of its own run meanwhile); one that
   * took from a rate window lasts until that window has passed too.
   */
  private passOver: { readonly attempt: Attempt; readonly cls: DispatchClass; readonly until: number } | undefined;
  /** The first weighted task of the run being looked at that does not fit: the hold's taker, if no task before it can start. */
  private contender: { readonly hold: Hold; readonly task: number } | undefined;
  // the run being looked at, for `fits`
  private current: RunController | undefined;
  /**
   * Which runs a pass looks at: those it would find the same are passed over (see `RunTurns`).
   * The engine tells it of each run started and ended, of a queue changed after a pass parked its
   * run, and of a limit paused (a run passed over may need it: looking at it asks for a wake).
   */
  readonly turns = new RunTurns();
  // what kept each class of the run being looked at from starting, and whether that look did nothing else (see `startFrom`)
  private readonly blockers: Blocker[] = [];
  private parkable = false;
  // whether runs are parked: not while they are few (`FEW_RUNS`)
  private parking = false;

  constructor(
    private readonly maxConcurrency: number,
    /** The runs going on, in start order (shared with the engine, which adds and removes them). */
    private readonly runs: readonly RunController[],
    /** Hands an attempt to the pipeline's `mergeMap`. */
    private readonly launch: (attempt: Attempt) => void,
    private readonly clock: FlushClock,
    private readonly scheduler: SchedulerLike,
    /** Called when a rate window that held back a ready task has room: a flush dispatches. */
    private readonly onRoom: () => void,
  ) {}

  /** Starts ready tasks while slots are free. */
  fill(): void {
    this.wakeAt = Number.POSITIVE_INFINITY;
    // kept while its run goes on and the first task of its class is heavier than a unit
    if (this.hold !== undefined && !this.hold.follow(this.hold.run.phase === 'running' && this.runs.includes(this.hold.run))) {
      this.hold = undefined;
    }
    if (this.passOver !== undefined && !this.passing(this.passOver)) this.passOver = undefined; // (its run may have ended: not kept)
    while (this.running < this.maxConcurrency && this.startNext()) {
      // each turn starts one task of the next run that has one it can start
    }
    // the run looked at last is not kept: an idle scheduler must not hold an ended run's state
    this.current = undefined;
    this.weights = undefined;
    this.limitUnits = undefined;
    if (this.wakeAt !== Number.POSITIVE_INFINITY) this.wakeAtRoom(this.wakeAt);
  }

  /** An attempt's outcome was handled (or it was cancelled): its slots are free. */
  freeSlot(units: number): void {
    this.running -= units;
  }

  /** `run`, at `index` of the runs until now (-1: not among them), ended or failed, and the engine took it out: the turn stays with the run it was at. */
  runRemoved(run: RunController, index: number): void {
    if (index >= 0 && index < this.turn) this.turn--;
    this.turns.remove(run);
  }

  /** Forgets every attempt and timer (the pipeline broke, or no run is left). */
  reset(): void {
    this.turns.clear();
    this.running = 0;
    this.wake?.timer.unsubscribe();
    this.wake = undefined;
    this.hold = undefined;
    this.passOver = undefined;
  }

  /**
   * Starts the best startable task of the next run in turn; false when no run has one. The runs
   * are looked at from the turn on, but for those parked (see `RunTurns`); while a task holds,
   * every run is, as what the hold keeps may be what a parked run waits for.
   */
  private startNext(): boolean {
    const runs = this.runs;
    if (runs.length === 0) return false;
    const from = this.turn % runs.length;
    // a few runs are each looked at, as the parking's bookkeeping would cost more than it saves
    if (runs.length <= FEW_RUNS) {
      this.parking = false;
      return this.startInOrder(from, runs.length);
    }
    if (!this.parking) this.turns.lookAgainAtAll(); // (parked before the runs were few: what it knew may be old)
    this.parking = true;
    if (this.hold !== undefined) return this.startInOrder(from, runs.length);
    for (let run = this.turns.beginPass(runs[from]!); run !== undefined; run = this.turns.nextInPass()) {
      // (taken before its look: a journal that fails during it removes the run, the runs after it moving down one)
      const index = this.turns.indexOf(run);
      if (this.startFrom(run, index)) return true;
      if (this.hold === undefined) continue;
      if (runs.length === 0) return false;
      // a task of this run took the hold: the runs after it are each looked at
      const passed = ((index - from + runs.length) % runs.length) + (this.turns.has(run) ? 1 : 0);
      return this.startInOrder((from + passed) % runs.length, runs.length - passed);
    }
    return false;
  }

  /** Looks at `count` runs in turn from index `from`, each of them, until one starts a task. */
  private startInOrder(from: number, count: number): boolean {
    for (let k = 0; k < count; k++) {
      const index = (from + k) % this.runs.length;
      if (this.startFrom(this.runs[index]!, index)) return true;
    }
    return false;
  }

  /**
   * Starts the best startable task of `run`, then takes the turn from it; false when it has none.
   * A run that could not start one is parked when its look did nothing else and every class of its
   * ready tasks waits for a full agent kind or limit concurrency (`blockers`): see `RunTurns`.
   */
  private startFrom(run: RunController, index: number): boolean {
    const parking = this.parking;
    if (run.readyQueue.size === 0 || run.phase !== 'running') {
      if (parking && run.phase === 'running') this.turns.park(run, NO_BLOCKERS); // its queue says when a task is queued
      return false;
    }
    const weights = run.dag.index.weight;
    this.weights = weights;
    this.limitUnits = run.dag.index.limitUnits;
    this.current = run;
    this.blockers.length = 0;
    this.parkable = parking && this.hold === undefined && !run.readyQueue.hasFirsts;
    // each class's first task is looked up only when tasks weigh differently; a hold is
    // checked for every run, since a task of weight 1 may take what the held task waits for
    const withFirst = weights !== undefined || this.limitUnits !== undefined;
    let code =
      run.weighsTasks || this.hold !== undefined
        ? run.readyQueue.nextClass(this.fits, withFirst)
        : run.readyQueue.nextClass(this.classHasRoom);
    const contender = this.contender;
    this.contender = undefined;
    if (contender !== undefined && (code < 0 || run.readyQueue.before(contender.task, run.readyQueue.first(code)))) {
      // a weighted task that would go first takes the hold, and what can start is chosen again around it
      this.hold = contender.hold;
      this.parkable = false;
      if (code >= 0) code = run.readyQueue.nextClass(this.fits, withFirst);
    }
    if (code < 0) {
      if (this.parkable && this.blockers.length > 0) this.turns.park(run, [...new Set(this.blockers)]);
      else if (parking) this.turns.lookAgain(run);
      return false;
    }
    if (parking) this.turns.lookAgain(run);
    if (!this.startAttempt(run, code)) return false;
    this.turn = index + 1;
    return true;
  }

  /** Whether a class's agent kind has a free slot (the check of runs whose tasks all weigh 1 and need no limit). */
  private readonly classHasRoom = (cls: DispatchClass): boolean => {
    if (cls.kind.hasCapacity) return true;
    this.blockers.push(cls.kind);
    return false;
  };

  /** Notes what kept a class of the run being looked at from starting (`undefined`: nothing a run may be parked on). */
  private blockedBy(blocker: Blocker | undefined): void {
    if (blocker === undefined) this.parkable = false;
    else this.blockers.push(blocker);
  }

  /** Whether `task`, first of its class, fits now: free slots, its agent kind, its limits. */
  private readonly fits = (cls: DispatchClass, task: number): boolean => {
    const units = task < 0 ? 1 : (this.weights?.[task] ?? 1);
    const own = task < 0 ? undefined : this.limitUnits?.[task];
    const hold = this.hold;
    if (
      hold !== undefined &&
      cls !== hold.cls &&
      !(hold.run === this.current && hold.goesBefore(task)) &&
      hold.delays(cls, units, own, this.clock.now(), this.maxConcurrency - this.running, this.wakeWhenRoom)
    )
      return false;
    // a task of one unit waits without a side effect, for what only an attempt's end frees (see `startFrom`)
    const light = units === 1 && !takesManyUnits(own);
    if (this.running + units > this.maxConcurrency || !cls.kind.hasRoomFor(units)) {
      this.blockedBy(light && this.running + units <= this.maxConcurrency ? cls.kind : undefined);
      return this.waits(cls, task, units, own, units > 1 || this.shortOfManyUnits(cls, own));
    }
    if (cls.limits.length === 0) return true;
    const now = this.clock.now();
    let fits = true;
    let shortOfMany = false;
    for (const limit of cls.limits) {
      const need = unitsIn(own, limit.name, units);
      if (limit.hasRoom(need, now)) {
        // a limit with room now may have none at the next look for a reason that asks for a wake
        if (limit.rate !== undefined || limit.everPaused) this.parkable = false;
        continue;
      }
      fits = false;
      if (need > 1) shortOfMany = true;
      // (not on a limit whose look fits its window to the clock, or its pauses: a look does something then)
      this.blockedBy(light && need === 1 && limit.full && limit.rate === undefined && !limit.everPaused ? limit : undefined);
      this.wakeWhenRoom(limit, need, now);
    }
    return fits || this.waits(cls, task, units, own, shortOfMany);
  };

  /** Whether a task taking `own` units of `cls`'s limits is short of one it takes more than one unit of. */
  private shortOfManyUnits(cls: DispatchClass, own: LimitUnits | undefined): boolean {
    if (own === undefined) return false;
    const now = this.clock.now();
    for (const limit of cls.limits) if (own[limit.name]! > 1 && !limit.hasRoom(own[limit.name]!, now)) return true;
    return false;
  }

  /**
   * Has this fill wake the pipeline when `limit`'s rate window has room for `units`, if only the
   * window stands in the way (`windowOnly`: whatever its concurrency, which a hold lends).
   */
  private readonly wakeWhenRoom = (limit: Limit, units: number, now: number, windowOnly = false): void => {
    const at = windowOnly ? limit.windowRoomAt(units, now) : limit.roomAt(units, now);
    if (at !== undefined && at > now && at < this.wakeAt) this.wakeAt = at;
  };

  /**
   * `task`, first of `cls`, does not fit and waits; one short of something it takes more than a
   * unit of (`shortOfMany`) may take the hold when it is free: the first such task of the run in
   * the dispatch order contends for it (see `startNext`). One short only of single units is no
   * heavier there than the tasks it waits beside: holding for it would only put it before them.
   */
  private waits(cls: DispatchClass, task: number, units: number, own: LimitUnits | undefined, shortOfMany: boolean): false {
    if (this.hold !== undefined || !shortOfMany) return false;
    const passOver = this.passOver;
    const passedOver = passOver !== undefined && passOver.attempt.run === this.current && this.passing(passOver);
    if (passedOver && sharesRoom(passOver.cls, cls) && this.othersWait()) return false;
    const contender = this.contender;
    if (contender === undefined || this.current!.readyQueue.before(task, contender.task)) {
      this.contender = { hold: new Hold(this.current!, cls, task, units, own), task };
    }
    return false;
  }

  /** Whether a pass over the hold lasts: its attempt runs, or the rate windows it took from have yet to pass, while its run goes on. */
  private passing({ attempt, until }: NonNullable<Dispatcher['passOver']>): boolean {
    return attempt.run.phase === 'running' && (attempt.live || this.clock.now() < until);
  }

  /** Whether a run other than the one looked at has ready tasks. */
  private othersWait(): boolean {
    return this.runs.some((run) => run !== this.current && run.readyQueue.size > 0 && run.phase === 'running');
  }

  /**
   * Starts an attempt of the first task of dispatch class `code` in `run`; false when write-ahead
   * holds it back (the journal has yet to make durable what released it).
   */
  private startAttempt(run: RunController, code: number): boolean {
    if (run.journal !== undefined && !run.journal.mayStart(run.readyQueue.first(code))) return false;
    const task = run.readyQueue.pop(code);
    const cls = run.classes[code]!;
    const units = this.weights?.[task] ?? 1;
    const own = this.limitUnits?.[task];
    if (this.hold?.cls === cls) this.hold = undefined; // the held task, or one before it in its class
    const attemptNumber = run.writer.draft.attemptOf(task);
    const agent = run.dag.index.agentNames[run.dag.index.agentCodes[task]!]!;
    // read now: the events written since the flush's reading had listeners that may have taken long
    this.clock.invalidate();
    const started = run.writer.started(task, attemptNumber, agent);
    for (const limit of cls.limits) limit.take(unitsIn(own, limit.name, units), started.at);
    const attempt = new Attempt(run, task, attemptNumber, started.at, cls.kind.acquire(units), cls.kind, units, cls.limits, own);
    run.running.add(attempt);
    this.running += units;
    if (units > 1 || takesManyUnits(own)) this.passOver = { attempt, cls, until: started.at + longestWindow(cls) };
    else if (this.passOver?.attempt.run !== run) this.passOver = undefined;
    // launched even when a listener of this very `task.started` cancelled the run: the event
    // says the agent was called; its signal has fired by then, and the pending cancel ends it
    this.launch(attempt);
    this.clock.invalidate(); // the agent may have taken time (a synchronous one runs right here)
    return true;
  }

  /** Wakes the pipeline at `at` (the earliest a rate window has room), unless a wake comes sooner. */
  private wakeAtRoom(at: number): void {
    if (this.wake !== undefined && this.wake.at <= at) return;
    this.wake?.timer.unsubscribe();
    const timer = this.scheduler.schedule(() => {
      this.wake = undefined;
      this.onRoom();
    }, at - this.scheduler.now());
    this.wake = { at, timer };
  }
}

/** The longest rate window of `cls`'s limits, in ms (0 without one): how long a start takes room in them. */
function longestWindow(cls: DispatchClass): number {
  let longest = 0;
  for (const limit of cls.limits) if (limit.rate !== undefined) longest = Math.max(longest, limit.rate.intervalMs);
  return longest;
}
