/**
 * The queues of a worker that take no job for a while: one whose agent handed a job back (this
 * worker cannot run it now, as a shell agent with no room to start a process), so that the jobs
 * go to other workers meanwhile instead of coming back here to be handed back again. Each pause
 * lasts {@link INTAKE_PAUSE_MS}; a worker that is closing is not resumed. It knows nothing of
 * jobs: `startWorker` hands the job back and says which queue to pause.
 */

/** How long a queue whose agent handed a job back takes no job. */
export const INTAKE_PAUSE_MS = 3000;

/** A job handed back by its agent is delayed this long: another worker takes it then (this one, its queue paused, does not). */
export const HAND_BACK_DELAY_MS = 500;

/** What is paused: a BullMQ worker of one queue. */
export interface Pausable {
  pause(doNotWaitActive?: boolean): Promise<void>;
  resume(): void | Promise<void>;
}

export class IntakePauses {
  private readonly timers = new Map<Pausable, NodeJS.Timeout>();

  constructor(
    /** The worker's name, for its lines. */
    private readonly workerName: string,
    private readonly log: (line: string) => void,
    private readonly closing: () => boolean,
  ) {}

  /**
   * Takes no job of `worker`'s queue for {@link INTAKE_PAUSE_MS} (from now, when it was paused
   * already); `saying` is logged, with how long, when the pause begins (once a pause, not once a job).
   */
  pause(worker: Pausable, saying: string): void {
    const running = this.timers.get(worker);
    if (running !== undefined) clearTimeout(running);
    else {
      this.log(`rxdag worker ${this.workerName}: ${saying} for ${INTAKE_PAUSE_MS / 1000} s`);
      void worker.pause(true).catch(() => undefined); // the running jobs go on
    }
    const timer = setTimeout(() => {
      this.timers.delete(worker);
      if (!this.closing()) void Promise.resolve(worker.resume()).catch(() => undefined);
    }, INTAKE_PAUSE_MS);
    timer.unref();
    this.timers.set(worker, timer);
  }

  /** Resumes nothing more: the worker closes (its queues stay paused). */
  clear(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
