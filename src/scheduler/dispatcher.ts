import type { AgentKind } from '../agents/pool';
import { Attempt } from './attempt';
import type { FlushClock } from './flushClock';
import type { RunController } from './runController';

/**
 * Dispatch: fills free slots of `maxConcurrency` with ready tasks, taking the runs in turn so
 * none starves, and starts each chosen attempt (`task.started`, an agent slot, the launch). Each
 * run's ready queue decides which of its tasks goes first, among the agent kinds that have room.
 * It does not call agents (the pipeline's `mergeMap` does) nor handle outcomes (the run
 * controller does); it runs once a flush has queued every ready task of its burst.
 */
export class Dispatcher {
  /** Attempts launched and not yet handled, over all runs: the slots of `maxConcurrency` in use. */
  private running = 0;
  /** Where the turn over runs resumes. */
  private turn = 0;

  constructor(
    private readonly maxConcurrency: number,
    /** The runs going on, in start order (shared with the engine, which adds and removes them). */
    private readonly runs: readonly RunController[],
    /** Hands an attempt to the pipeline's `mergeMap`. */
    private readonly launch: (attempt: Attempt) => void,
    private readonly clock: FlushClock,
  ) {}

  /** Starts ready tasks while slots are free. */
  fill(): void {
    while (this.running < this.maxConcurrency && this.startNext()) {
      // each turn starts one task of the next run that has one it can start
    }
  }

  /** An attempt's outcome was handled (or it was cancelled): its slot is free. */
  freeSlot(): void {
    this.running--;
  }

  /** Forgets every attempt (the pipeline broke and every run was ended). */
  reset(): void {
    this.running = 0;
  }

  /** Starts the best startable task of the next run in turn; false when no run has one. */
  private startNext(): boolean {
    const runs = this.runs;
    for (let k = 0; k < runs.length; k++) {
      const i = (this.turn + k) % runs.length;
      const run = runs[i]!;
      if (run.readyQueue.size === 0 || run.phase !== 'running' || run.journal?.holdsDispatch === true) continue;
      const code = run.readyQueue.nextKind(hasRoom);
      if (code < 0) continue;
      this.turn = i + 1;
      this.startAttempt(run, run.readyQueue.pop(code), code);
      return true;
    }
    return false;
  }

  /** Starts an attempt of `task`, whose agent has `code` in the run's DAG. */
  private startAttempt(run: RunController, task: number, code: number): void {
    const attemptNumber = run.writer.draft.attemptOf(task);
    const started = run.writer.started(task, attemptNumber, run.dag.index.agentNames[code]!);
    const kind = run.kinds[code]!;
    const attempt = new Attempt(run, task, attemptNumber, started.at, kind.acquire(), kind);
    run.running.add(attempt);
    this.running++;
    // launched even when a listener of this very `task.started` cancelled the run: the event
    // says the agent was called, and the pending cancel aborts it at once
    this.launch(attempt);
    this.clock.invalidate(); // the agent may have taken time (a synchronous one runs right here)
  }
}

function hasRoom(kind: AgentKind): boolean {
  return kind.hasCapacity;
}
