import type { AgentKind } from '../agents/pool';
import { Limit } from './limits';
import { PlaceCounts, PlaceSet } from './placeSet';
import type { RunController } from './runController';

/**
 * The runs of a scheduler in turn order (their start order, as the engine keeps them), and which
 * of them a pass of the dispatcher must look at. A run the dispatcher looked at and found could
 * start nothing, for a reason only the end of an attempt changes, is parked on what it waits for
 * (its blockers: a full agent kind, a limit at its concurrency) and passed over until one of them
 * has room or its ready queue changes (the queue says so: `ReadyQueues.watch`); a run with no
 * ready task is parked on nothing. A pass over thousands of runs waiting behind one limit so
 * costs the runs that may start, not all of them (why: `benchmarks/README.md`).
 *
 * It does not decide what may start: the dispatcher looks at each run it is given, in turn, as it
 * would at every run, and parks only a run whose look found nothing and did nothing (no wake
 * asked for, no hold taken), so that looking again, while its blockers stay full, would too.
 */

/** What a parked run waits for: a slot of an agent kind, or a unit of a limit's concurrency. */
export type Blocker = Limit | AgentKind;

export const NO_BLOCKERS: readonly Blocker[] = Object.freeze([]);

export class RunTurns {
  /** Each run's place: places grow in start order, so their order is the runs' (made dense again as runs end). */
  private readonly placeOf = new Map<RunController, number>();
  private runAt: (RunController | undefined)[] = [];
  private nextPlace = 0;
  /** The runs going on, by place: a run's index is how many come before it. */
  private live: PlaceCounts;
  /** The runs not parked: each pass looks at them. */
  private toLook: PlaceSet;
  /** The parked runs by what they wait for (a run waiting for several is under each). */
  private readonly parkedOn = new Map<Blocker, PlaceSet>();
  private readonly blockersOf = new Map<RunController, readonly Blocker[]>();
  // the pass going on: from place `passFrom` to the last, then from 0 to `passFrom`; the place looked at last
  private passFrom = 0;
  private wrapped = false;
  private cursor = 0;

  constructor(private capacity = 64) {
    this.live = new PlaceCounts(capacity);
    this.toLook = new PlaceSet(capacity);
  }

  /** A run started: last in turn order, to be looked at. */
  add(run: RunController): void {
    if (this.nextPlace === this.capacity) this.renumber(Math.max(64, 2 * (this.placeOf.size + 1)));
    const place = this.nextPlace++;
    this.placeOf.set(run, place);
    this.runAt[place] = run;
    this.live.add(place, 1);
    this.toLook.add(place);
  }

  /** A run ended (or failed): it has no turn any more. */
  remove(run: RunController): void {
    const place = this.placeOf.get(run);
    if (place === undefined) return;
    this.unpark(run, place);
    this.toLook.delete(place);
    this.live.add(place, -1);
    this.runAt[place] = undefined;
    this.placeOf.delete(run);
  }

  /** Forgets every run (no run is left, or the pipeline broke). */
  clear(): void {
    for (const run of [...this.placeOf.keys()]) this.remove(run);
  }

  /** The run's ready queue changed, or something it may wait for did: the next pass looks at it. */
  lookAgain(run: RunController): void {
    const place = this.placeOf.get(run);
    if (place === undefined) return;
    this.unpark(run, place);
    this.toLook.add(place);
  }

  /** Every parked run is looked at again (a limit was paused: looking at a run that needs it asks for a wake now). */
  lookAgainAtAll(): void {
    for (const run of [...this.blockersOf.keys()]) this.lookAgain(run);
  }

  /** The run could start nothing until one of `blockers` has room (none: until its ready queue changes). */
  park(run: RunController, blockers: readonly Blocker[]): void {
    const place = this.placeOf.get(run);
    if (place === undefined) return;
    this.unpark(run, place);
    this.toLook.delete(place);
    this.blockersOf.set(run, blockers);
    for (const blocker of blockers) {
      let parked = this.parkedOn.get(blocker);
      if (parked === undefined) this.parkedOn.set(blocker, (parked = new PlaceSet(this.capacity)));
      parked.add(place);
    }
    run.readyQueue.watch();
  }

  /** The run's index among the runs going on (in the engine's list). */
  indexOf(run: RunController): number {
    const place = this.placeOf.get(run);
    if (place === undefined) throw new Error('RunTurns: the index of a run that has no turn');
    return this.live.before(place);
  }

  /** Whether `run` has a turn (it started and has not ended). */
  has(run: RunController): boolean {
    return this.placeOf.has(run);
  }

  /** Begins a pass at `run` (a full turn from it): the first run to look at, `undefined` when none is. */
  beginPass(run: RunController): RunController | undefined {
    this.passFrom = this.placeOf.get(run)!;
    this.wrapped = false;
    return this.find(this.passFrom);
  }

  /** The next run of the pass to look at, `undefined` once the pass went round. */
  nextInPass(): RunController | undefined {
    return this.find(this.cursor + 1);
  }

  private find(from: number): RunController | undefined {
    let place = -1;
    if (!this.wrapped) {
      place = this.firstToLook(from, this.nextPlace);
      if (place < 0) {
        this.wrapped = true;
        from = 0;
      }
    }
    if (this.wrapped) place = this.firstToLook(from, this.passFrom);
    if (place < 0) return undefined;
    this.cursor = place;
    return this.runAt[place];
  }

  /** The first place in `[from, to)` of a run not parked, or parked on something that has room now. */
  private firstToLook(from: number, to: number): number {
    let first = this.toLook.next(from, to);
    for (const [blocker, parked] of this.parkedOn) {
      if (!hasRoom(blocker)) continue;
      const place = parked.next(from, first < 0 ? to : first);
      if (place >= 0) first = place;
    }
    return first;
  }

  private unpark(run: RunController, place: number): void {
    const blockers = this.blockersOf.get(run);
    if (blockers === undefined) return;
    this.blockersOf.delete(run);
    for (const blocker of blockers) {
      const parked = this.parkedOn.get(blocker)!;
      parked.delete(place);
      if (parked.size === 0) this.parkedOn.delete(blocker); // (an agent kind may be let go with its run)
    }
  }

  /** Gives the runs places 0, 1, … in their order again, in sets of `capacity` (places are used up as runs start). */
  private renumber(capacity: number): void {
    const runs = this.runAt.filter((run): run is RunController => run !== undefined);
    const looked = new Set(runs.filter((run) => this.toLook.has(this.placeOf.get(run)!)));
    const parked = [...this.blockersOf];
    this.capacity = capacity;
    this.live = new PlaceCounts(capacity);
    this.toLook = new PlaceSet(capacity);
    this.parkedOn.clear();
    this.blockersOf.clear();
    this.runAt = [];
    this.placeOf.clear();
    this.nextPlace = 0;
    for (const run of runs) {
      this.add(run);
      if (!looked.has(run)) this.toLook.delete(this.placeOf.get(run)!);
    }
    for (const [run, blockers] of parked) this.park(run, blockers);
  }
}

/** Whether a run parked on `blocker` may now start a task that waits for it (one unit free). */
function hasRoom(blocker: Blocker): boolean {
  return blocker instanceof Limit ? !blocker.full : blocker.hasCapacity;
}
