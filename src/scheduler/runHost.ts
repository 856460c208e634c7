import type { Subscription } from 'rxjs';
import type { AgentDefinition } from '../agents/agentSpec';
import type { AgentKind } from '../agents/pool';
import type { Dag } from '../dag/defineDag';
import type { DagIssue } from '../dag/errors';
import type { Limit } from './limits';
import type { ReadySignal } from './pipelineSignals';
import type { RunController } from './runController';

/**
 * What a run needs from the scheduler around it: the pipeline's ready stream, the scheduler's
 * clock, the agent pool and named limits shared by every run, the check of spawned tasks, and
 * the `maxConcurrency` slots. The engine implements it, once for all its runs. It is a contract
 * only: nothing here keeps state or decides anything.
 */
export interface RunHost {
  /** Sends a ready signal into the pipeline: ready tasks, or a retry whose backoff is over. */
  signalReady(signal: ReadySignal): void;
  /** Runs `work` after `delayMs` on the scheduler's clock. */
  schedule(work: () => void, delayMs: number): Subscription;
  /** The scheduler's time. */
  now(): number;
  /** The scheduler's `maxConcurrency` (what `run.resumed` records of the resuming process). */
  readonly maxConcurrency: number;
  /** The pool's kind for an agent definition, used by the asking run until it ends (once per definition). */
  useKind(definition: AgentDefinition): AgentKind;
  /** The scheduler's limit of this name (the run was checked to name only known ones). */
  limit(name: string): Limit;
  /**
   * Whether `run` can run spawned tasks `fromTask`… of `dag` (its agents, the limits it knows: the
   * scheduler's and, resumed, its journal's; weights): issues at `['tasks', task, …]`.
   */
  checkSpawned(run: RunController, dag: Dag, fromTask: number): DagIssue[];
  /** The run's ready queue changed after the dispatcher passed over it: the dispatcher looks at it again. */
  lookAgain(run: RunController): void;
  /** Gives back `units` slots of `maxConcurrency`. */
  freeSlot(units: number): void;
  /** The run emitted `dag.completed`. */
  settled(run: RunController): void;
}
