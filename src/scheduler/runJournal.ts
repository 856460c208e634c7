import type { DagEvent } from '../events';
import { JournalWriteError, type JournalWriter } from '../journal/journal';

/**
 * A run's side of its journal: the events written since the last group, appended as one group
 * per commit and in order, one commit after the other. A `durable` commit (before a flush
 * dispatches) holds the run's dispatch until the backend acknowledges it, so no task starts
 * before the events that released it are durable; an `eventual` one (at the end of a flush) only
 * keeps the order. A synchronous backend (the file journal) acknowledges at once, so nothing
 * waits. It does not decide when to commit (the engine does) nor what a failure does to the run.
 */
export class RunJournal {
  // events written and not yet handed to the backend
  private pending: DagEvent[] = [];
  // the last group handed to an asynchronous backend, until it settles: the next waits for it
  private last: Promise<void> | undefined;
  // the durable group the run's dispatch waits for
  private awaited: Promise<void> | undefined;
  private failure: unknown;
  private closed = false;

  constructor(
    private readonly runId: string,
    /** The journal's location, for messages. */
    private readonly location: string,
    private readonly writer: JournalWriter,
    /** A durable group was acknowledged: the run may dispatch again. */
    private readonly onDurable: () => void,
    /** The backend failed (a `JournalWriteError`): called once. */
    private readonly onFailure: (error: JournalWriteError) => void,
  ) {}

  /** Whether the run must not start tasks now: a durable group is not acknowledged yet. */
  get holdsDispatch(): boolean {
    return this.awaited !== undefined;
  }

  record(event: DagEvent): void {
    this.pending.push(event);
  }

  /**
   * Appends what was written since the last commit as one group. An eventual commit while an
   * asynchronous group is still out is left for the next commit: its events only need their
   * order, and one transaction for both halves what the backend does per flush.
   */
  commit(durable: boolean): void {
    if (this.pending.length === 0 || this.failure !== undefined || this.closed) return;
    if (!durable && this.last !== undefined) return;
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
      if (result !== undefined) this.track(result, durable);
    } else {
      this.track(
        this.last.then(() => this.writer.append(group, durable)),
        durable,
      );
    }
  }

  /** Commits what is left durably and gives up the run's ownership (after `dag.completed`). */
  finish(): void | Promise<void> {
    this.commit(true);
    const settle = (): void | Promise<void> => {
      if (this.failure !== undefined) throw this.failure;
      this.closed = true;
      return this.writer.close();
    };
    return this.last === undefined ? settle() : this.last.then(settle);
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

  private track(group: Promise<void>, durable: boolean): void {
    this.last = group;
    if (durable) this.awaited = group;
    group.then(
      () => {
        if (this.last === group) this.last = undefined;
        if (this.awaited === group) {
          this.awaited = undefined;
          this.onDurable();
        }
      },
      (error: unknown) => this.fail(error),
    );
  }

  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    const failure = new JournalWriteError(this.runId, this.location, error);
    this.failure = failure;
    this.onFailure(failure);
  }
}
