import type { DagEvent } from '../events';
import { type RecordedCallback, tell } from '../agents/attemptContext';
import { JournalWriteError, type JournalWriter } from '../journal/journal';

/**
 * A run's side of its journal: the events written since the last group, appended as one group
 * per commit and in order, one commit after the other. An `eventual` commit (at the end of each
 * flush) only keeps the order. A `durable` one is made when a task is about to start whose
 * release is not durable yet ({@link RunJournal.mayStart}): no task starts before the events that
 * released it are durable, and tasks released earlier start without waiting for the disk (or,
 * with an asynchronous backend, for the group that is out). A synchronous backend (the file
 * journal) acknowledges at once. It does not decide what a failure does to the run.
 *
 * Generations tell what is durable: each durable commit closes the open generation, and each
 * task queued to start is stamped with the generation open then. Agents that asked to hear when
 * their outcome is recorded (`afterRecorded`) are told as the generation it was written in
 * becomes durable, or told it will not be when the journal fails or is given up.
 */
export class RunJournal {
  // events written and not yet handed to the backend
  private pending: DagEvent[] = [];
  // the last group handed to an asynchronous backend, until it settles: the next waits for it
  private last: Promise<void> | undefined;
  // the durable group out now, until the backend acknowledges it
  private awaited: Promise<void> | undefined;
  // the open generation, the last one acknowledged durable, and by task the generation it was queued in
  private generation = 1;
  private durableThrough = 0;
  private queuedIn: Uint32Array = new Uint32Array(64);
  // an eventual group was handed on since the last durable one: a durable commit must cover it
  private eventualSinceDurable = false;
  private failure: unknown;
  private closed = false;
  // callbacks waiting for a generation to be durable (`whenDurable`), in the order of their generations
  private recordedWaits: { readonly generation: number; readonly callbacks: readonly RecordedCallback[] }[] = [];

  constructor(
    private readonly runId: string,
    /** The journal's location, for messages. */
    private readonly location: string,
    private readonly writer: JournalWriter,
    /** A durable group was acknowledged: the run may dispatch again. */
    private readonly onDurable: () => void,
    /** The backend failed, or the run's ownership was lost (a `JournalWriteError`): called once. */
    private readonly onFailure: (error: JournalWriteError) => void,
  ) {
    // another process may own the run now: it must stop at once, not at its next append (and
    // never from inside this constructor, whatever the backend does)
    writer.onLost?.((error) =>
      queueMicrotask(() => {
        if (!this.closed) this.fail(error);
      }),
    );
  }

  record(event: DagEvent): void {
    this.pending.push(event);
  }

  /**
   * Calls each of `callbacks` with `true` once the events written so far are durable, or with
   * `false` if the journal fails or is given up first (see `afterRecorded`).
   */
  whenDurable(callbacks: readonly RecordedCallback[]): void {
    if (this.failure !== undefined || this.closed) return tell(callbacks, false);
    // what was written so far goes in the open generation's durable group at the latest, which
    // the end of this flush makes (see `commit`): a removal it holds back should not wait for a
    // next start that may be long in coming
    this.recordedWaits.push({ generation: this.generation, callbacks });
  }

  /** `tasks` were queued to start; the events that released them are recorded (not yet durable). */
  queued(tasks: readonly number[]): void {
    let queuedIn = this.queuedIn;
    for (const task of tasks) {
      if (task >= queuedIn.length) queuedIn = this.grow(task);
      queuedIn[task] = this.generation;
    }
  }

  /**
   * Whether `task` may start now: once the generation it was queued in is durable. When that is
   * the open one and no durable group is out, commits durably first (a synchronous backend
   * acknowledges at once); otherwise the acknowledgement dispatches again (`onDurable`).
   */
  mayStart(task: number): boolean {
    const queuedIn = this.queuedIn[task]!;
    if (queuedIn <= this.durableThrough) return true;
    if (queuedIn === this.generation && this.awaited === undefined) this.commit(true);
    return queuedIn <= this.durableThrough;
  }

  /**
   * Appends what was written since the last commit as one group. An eventual commit while an
   * asynchronous group is still out is left until that group settles (or a durable commit comes
   * first): its events only need their order, and one transaction for both halves what the
   * backend does per flush.
   */
  commit(durable: boolean): void {
    if (this.failure !== undefined || this.closed) return;
    // someone waits to hear that the open generation is durable (`whenDurable`)
    if (!durable && this.recordedWaits.at(-1)?.generation === this.generation) durable = true;
    // a durable group covers the open generation, and the eventual groups before it
    const covers = durable ? this.generation++ : 0;
    if (this.pending.length === 0 && !(durable && (this.eventualSinceDurable || this.last !== undefined))) {
      if (durable) this.durableTo(covers);
      return;
    }
    if (!durable && this.last !== undefined) return;
    this.eventualSinceDurable = !durable;
    const group = this.pending;
    this.pending = [];
    if (this.last === undefined) {
      let result: void | Promise<void>;
      try {
        result = this.writer.append(group, durable);
      } catch (error) {
        this.fail(error);
        return;
      }
      // whatever else than `undefined` a backend gives back is waited for as a promise would be
      if (result !== undefined) this.track(Promise.resolve(result), covers);
      else if (durable) this.durableTo(covers);
    } else {
      this.track(
        this.last.then(() => this.writer.append(group, durable)),
        covers,
      );
    }
  }

  /** Commits what is left durably and gives up the run's ownership (after `dag.completed`). */
  finish(): void | Promise<void> {
    this.commit(true);
    const settle = (): void | Promise<void> => {
      if (this.failure !== undefined) {
        this.abandon(); // what it still holds (a lock) is given up
        throw this.failure;
      }
      this.closed = true;
      // the run has ended: a backend that cannot give its ownership up fails its end as a group would
      let closing: void | Promise<void>;
      try {
        closing = this.writer.close();
      } catch (error) {
        throw this.endFailure(error);
      }
      return closing === undefined ? undefined : Promise.resolve(closing).catch((error: unknown) => Promise.reject(this.endFailure(error)));
    };
    // a group still out that fails (a store that stopped answering) fails the run's end with the
    // same error as any other group, not the backend's own
    return this.last === undefined
      ? settle()
      : this.last.then(settle, (error: unknown) => {
          this.fail(error);
          return settle();
        });
  }

  /** {@link RunJournal.finish}, then tells `listener` how it went. */
  finishThen(listener: { complete(): void; error(error: unknown): void }): void {
    let finished: void | Promise<void>;
    try {
      finished = this.finish();
    } catch (error) {
      listener.error(error);
      return;
    }
    if (finished === undefined) listener.complete();
    else
      finished.then(
        () => listener.complete(),
        (error: unknown) => listener.error(error),
      );
  }

  /** Gives up the run without committing more (its pipeline broke): best effort, never throws. */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.giveUpWaits();
    const close = () => {
      try {
        void Promise.resolve(this.writer.close()).catch(() => undefined);
      } catch {
        // the run is failing already: its own error says why
      }
    };
    if (this.last === undefined) close();
    else void this.last.then(close, close);
  }

  /** Generations through `covers` are durable: tells those waiting for them. */
  private durableTo(covers: number): void {
    this.durableThrough = covers;
    const waits = this.recordedWaits;
    let told = 0;
    while (told < waits.length && waits[told]!.generation <= covers) told++;
    if (told === 0) return;
    for (const { callbacks } of waits.splice(0, told)) tell(callbacks, true);
  }

  /** Tells every callback still waiting that it will not be told `true`: nothing more will be durable, or may be (an interrupted run). */
  giveUpWaits(): void {
    for (const { callbacks } of this.recordedWaits.splice(0)) tell(callbacks, false);
  }

  /** Room in `queuedIn` for `task` (the DAG grows when tasks spawn). */
  private grow(task: number): Uint32Array {
    const grown = new Uint32Array(Math.max(task + 1, 2 * this.queuedIn.length));
    grown.set(this.queuedIn);
    this.queuedIn = grown;
    return grown;
  }

  /** Follows a group out to an asynchronous backend; a durable one (`covers` > 0) makes its generations durable once acknowledged. */
  private track(group: Promise<void>, covers: number): void {
    this.last = group;
    if (covers > 0) this.awaited = group;
    group.then(
      () => {
        if (this.last === group) this.last = undefined;
        if (covers > this.durableThrough) this.durableTo(covers);
        if (this.awaited === group) {
          this.awaited = undefined;
          this.onDurable();
        }
        // what flushes left while this group was out goes now, not at a next flush that may never come
        if (this.last === undefined && this.pending.length > 0) this.commit(false);
      },
      (error: unknown) => this.fail(error),
    );
  }

  /** What the run's end fails with when its backend's `close` fails. */
  private endFailure(error: unknown): JournalWriteError {
    return error instanceof JournalWriteError ? error : new JournalWriteError(this.runId, this.location, error, false, true);
  }

  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    // no group durable yet: no task of the run has started (see `mayStart`)
    const failure = new JournalWriteError(this.runId, this.location, error, this.durableThrough === 0);
    this.failure = failure;
    this.giveUpWaits();
    this.onFailure(failure);
  }
}
