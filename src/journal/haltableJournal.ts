/**
 * A journal whose runs can be halted, as a crash would stop them but cleanly: from `halt()` on,
 * each run's writer stores nothing more (an append never settles, nor does one under way when
 * the halt came, so nothing it would release starts) and gives up the run's ownership once the
 * group being stored, if any, is stored (the backend bounds that wait) and what its owner is
 * still stopping has stopped (a resume would otherwise start a task's second copy beside it).
 * The run's record ends where it was, with no owner left: `interrupted`, resumable. Used by
 * `scheduler.shutdown({ interrupt: true })` and by `rxdag run` and `rxdag resume` on SIGTERM (a
 * service manager stopping the process, a deploy, a reboot).
 * Reading passes through, and so does the loss of a run's ownership (until the halt: nothing is
 * recorded from then on anyway). It keeps the first failure of its writers, which the owner
 * cannot learn from a run it cancelled. It stops no task itself: its owner does, as soon as the
 * journal is halted. A run its owner spared before the halt (cancelled while its record was
 * being made or taken up) is not halted: its record ends as decided, not `interrupted`.
 */
import type { Journal, JournalWriter } from './journal';
import { withWrappedWriters } from './wrappedWriters';

/** A journal and the switch that halts the runs written through it. */
export interface HaltableJournal {
  readonly journal: Journal;
  /**
   * Stores nothing more from this call on (synchronously) and gives up ownership once `release`
   * settles (at once without it: the tasks' processes, say, are stopped); resolves once the owned
   * runs are given up.
   */
  halt(release?: Promise<unknown>): Promise<void>;
  /**
   * The first error an append of its runs failed with, or the loss of a run's ownership: a
   * cancelled run's subscriber is gone, so this is how the command learns that its end was not
   * recorded.
   */
  failure(): unknown;
  /** How many runs written through it are not given up yet (ended runs are not kept). */
  openWriters(): number;
  /** Resolves when `halt()` is called: what the runs do from then on is not recorded. */
  whenHalted(): Promise<void>;
  /** The journal for one run's `create` or `resume`, with the switch that spares that run from a later halt. */
  forOneRun(): OneRunJournal;
}

/** {@link HaltableJournal.forOneRun}: a journal to make or take up one run through. */
export interface OneRunJournal {
  readonly journal: Journal;
  /**
   * Spares the run from a later halt: its end is decided already (its subscriber left while its
   * record was being made or taken up), and a record left `interrupted` would be resumed, running
   * work its user cancelled. No effect once halted.
   */
  spare(): void;
  /** Whether {@link spare} took effect. */
  spared(): boolean;
}

/**
 * An append that never settles: what it would release never starts. A new one each time: one
 * shared promise would keep every reaction ever added to it, and with them the halted runs and
 * their schedulers, for the life of the process.
 */
function never(): Promise<void> {
  return new Promise<void>(() => undefined);
}

export function haltableJournal(inner: Journal): HaltableJournal {
  let halted = false;
  // what the owner is still stopping when it halts (ownership is kept until then), for the
  // writers made after the halt too; a later halt without one keeps it
  let released: Promise<unknown> = Promise.resolve();
  let haltCalled: () => void = () => undefined;
  const haltedAt = new Promise<void>((resolve) => (haltCalled = resolve));
  let failure: unknown;
  const failed = (error: unknown) => {
    failure ??= error;
  };
  // the writers not closed yet: a long-lived scheduler's ended runs are not kept
  const writers = new Set<HaltableWriter>();
  /** Wraps writers that a halt stops, unless `spared()` says their run is spared. */
  const wrapper =
    (spared: () => boolean) =>
    (writer: JournalWriter): JournalWriter => {
      const haltable: HaltableWriter = new HaltableWriter(
        writer,
        () => halted && !spared(),
        failed,
        () => writers.delete(haltable),
      );
      writers.add(haltable);
      if (halted) void haltable.halt(released); // halted while the record was being made
      return haltable;
    };
  const journal = withWrappedWriters(
    inner,
    wrapper(() => false),
  );

  return {
    journal,
    halt: async (release) => {
      halted = true;
      released = release ?? released;
      haltCalled();
      await Promise.all([...writers].map((writer) => writer.halt(released)));
    },
    failure: () => failure,
    openWriters: () => writers.size,
    whenHalted: () => haltedAt,
    forOneRun: () => {
      let spared = false;
      return {
        journal: withWrappedWriters(
          inner,
          wrapper(() => spared),
        ),
        spare: () => {
          if (!halted) spared = true;
        },
        spared: () => spared,
      };
    },
  };
}

/** A writer that stops storing once halted. */
class HaltableWriter implements JournalWriter {
  private closed = false;
  private closing: void | Promise<void> = undefined;

  constructor(
    private readonly inner: JournalWriter,
    private readonly halted: () => boolean,
    /** An append failed, or the run's ownership was lost. */
    private readonly failed: (error: unknown) => void,
    /** The writer is closed (by the run's end or by the halt). */
    private readonly onClosed: () => void,
  ) {}

  append(events: Parameters<JournalWriter['append']>[0], durable?: boolean): void | Promise<void> {
    if (this.halted()) return never();
    let stored: void | Promise<void>;
    try {
      stored = this.inner.append(events, durable);
    } catch (error) {
      this.failed(error);
      throw error;
    }
    if (stored instanceof Promise) {
      stored.catch(this.failed);
      // stored after the halt came: what it releases would start after its run was stopped
      return stored.then(() => (this.halted() ? never() : undefined));
    }
    return stored;
  }

  close(): void | Promise<void> {
    return this.closeInner();
  }

  onLost(listener: (error: Error) => void): void {
    this.inner.onLost?.((error) => {
      if (this.halted()) return; // the run is being given up: nothing of it is recorded any more
      this.failed(error);
      listener(error);
    });
  }

  /**
   * Gives the run up once `release` settles (unless spared): the inner writer orders that after
   * the group being stored, if any.
   */
  halt(release: Promise<unknown>): Promise<void> {
    if (!this.halted()) return Promise.resolve(); // spared: it records its end
    return release
      .catch(() => undefined)
      .then(() => this.closeInner())
      .catch(() => undefined);
  }

  /** Closes the writer once, whoever asks first (the run's end, or the halt); synchronous when the writer is. */
  private closeInner(): void | Promise<void> {
    if (!this.closed) {
      this.closed = true;
      let closing: void | Promise<void> = undefined;
      try {
        closing = this.inner.close();
      } finally {
        // forgotten once closed: a halt still waits for a close that is under way
        if (closing instanceof Promise) closing.then(this.onClosed, this.onClosed);
        else this.onClosed();
      }
      this.closing = closing;
    }
    return this.closing;
  }
}
