import { type Dag, defineDag } from '../dag/defineDag';
import type { TaskSpec } from '../dag/schema';
import { isTerminalEvent } from '../events';
import { DagValidationError } from '../dag/errors';
import { InvalidTransitionError } from '../state/invalidTransition';
import { RunDraft } from '../state/runDraft';
import { backoffDelay } from '../state/routeFailure';
import { initialRunState, type RunState } from '../state/runState';
import { readRemainingDeps, readStatus, StatusCode } from '../state/taskTable';
import { JournalCorruptError, type JournaledRun } from './journal';
import { eventProblem } from './eventShape';

/**
 * Replay for resume: folds a journaled run's events through the reducer into the state the run
 * had when its process died, and says what was under way then: attempts in flight (to run again
 * under the same number) and retries waiting for their backoff (with when each is due). Every
 * event is checked by the reducer on the way: an illegal one is a `JournalCorruptError` naming
 * its place (a file and line, or its `seq`). It runs nothing and writes nothing.
 */

/** A retry waiting for its backoff when the process died. */
export interface PendingRetry {
  /** The attempt that follows the backoff. */
  readonly attempt: number;
  /** When it is due, on the scheduler's clock (the failed attempt's `at` plus its backoff). */
  readonly dueAt: number;
  /** The whole wait, from the failure: a resume waits no longer than it (a clock behind the failure's). */
  readonly waitMs: number;
}

/** What a journaled run was doing when its process died. */
export interface ReplayedRun {
  readonly state: RunState;
  /** The run's DAG, grown by the tasks spawned before the crash. */
  readonly dag: Dag;
  /** Tasks whose attempt was in flight. */
  readonly interrupted: readonly number[];
  /** Tasks ready and not started (they go back to the ready queue). */
  readonly ready: readonly number[];
  /**
   * Pending tasks whose dependencies had all completed, without their `task.ready` yet (the
   * process died between the two): they are made ready on resume.
   */
  readonly unblocked: readonly number[];
  /** Tasks waiting for a retry, by task index. */
  readonly retries: ReadonlyMap<number, PendingRetry>;
  /**
   * When each attempt of a task with limits started (task, `at`), in order: a resumed run's rate
   * windows count them. Empty when no task has limits.
   */
  readonly limitedStarts: readonly (readonly [task: number, at: number])[];
  /**
   * The pauses of limits a failure asked for (`pausedLimitsMs` of its `task.failed`): the task
   * whose limits are paused, until when (on the journal's clock), and for how long from the failure.
   */
  readonly limitPauses: readonly (readonly [task: number, until: number, ms: number])[];
  /**
   * What each task that has not ended spawned without its completion reaching the journal (a torn
   * write can keep a `tasks.spawned` and lose the `task.completed` after it): its attempt runs again,
   * or its next one after a failure, and spawns the same, which the run takes as the spawn it has,
   * not as tasks given twice. By task index.
   */
  readonly spawnedBefore: ReadonlyMap<number, SpawnedBefore>;
  /**
   * How the run ends if it was being ended early (tasks cancelled) when its process died:
   * `failed` when a failure ended it (a critical one, or any under `fail-fast`), else `cancelled`.
   */
  readonly endsAs: 'failed' | 'cancelled';
}

/** The tasks a task's attempts spawned, as its `tasks.spawned` events gave them. */
export interface SpawnedBefore {
  readonly tasks: readonly TaskSpec[];
}

/** The corruption {@link replay} finds in `run`, if any: what keeps every resume from taking it. */
export function replayProblem(run: Pick<JournaledRun, 'header' | 'events' | 'placeOf'>): JournalCorruptError | undefined {
  try {
    replay(run);
    return undefined;
  } catch (error) {
    if (error instanceof JournalCorruptError) return error;
    throw error;
  }
}

/**
 * Replays a journaled run; an event the reducer refuses is a `JournalCorruptError` at
 * `placeOf(seq)` when the journal places its events (a file and line), else at `seq N`.
 *
 * @example
 * const { interrupted, retries } = replay(await journal.resume(runId));
 */
export function replay({ header, events, placeOf }: Pick<JournaledRun, 'header' | 'events' | 'placeOf'>): ReplayedRun {
  const { runId } = header;
  let dag: Dag;
  try {
    dag = defineDag(header.spec);
  } catch (error) {
    const problem = error instanceof DagValidationError ? error.message : String(error);
    // an earlier version may have taken what this one refuses (an id with a lone surrogate)
    throw new JournalCorruptError(
      runId,
      placeOf === undefined ? 'its header' : `${placeOf(0)} (its header)`,
      `the DAG spec it holds is invalid (if an earlier rxdag wrote it, that version reads it): ${problem}`,
    );
  }
  const draft = new RunDraft(initialRunState(dag, runId, header.options.failurePolicy));
  // task id -> the failed attempt waiting for a retry, and when it failed
  const waiting = new Map<string, { failedAttempt: number; failedAt: number; retryAfterMs: number | undefined }>();
  const startedIds: (readonly [taskId: string, at: number])[] = [];
  const pausedIds: (readonly [taskId: string, until: number, ms: number])[] = [];
  // spawner id -> what it spawned without its completion, until it ends
  const spawns = new Map<string, SpawnedBefore>();
  const failFast = header.options.failurePolicy === 'fail-fast';
  let endsAs: 'failed' | 'cancelled' = 'cancelled';
  for (const [k, event] of events.entries()) {
    // a backend of the application's may hold anything: what is not the next event of this run is said as such
    const problem =
      eventProblem(event, runId, k + 1) ??
      // what a listing counts a run's tasks by: the DAG it holds, before any spawn
      (event.type === 'dag.created' && event.taskCount !== dag.size
        ? `dag.created has taskCount ${event.taskCount}, but the DAG the header holds has ${dag.size} tasks`
        : undefined);
    if (problem !== undefined) throw new JournalCorruptError(runId, placeOf?.(k + 1) ?? `seq ${k + 1}`, problem);
    try {
      draft.apply(event);
    } catch (error) {
      if (error instanceof InvalidTransitionError) {
        const where = placeOf?.(event.seq) ?? `seq ${event.seq}`;
        throw new JournalCorruptError(runId, where, withoutRun(error.message, runId));
      }
      throw error;
    }
    if (event.type === 'task.failed' && event.willRetry) {
      waiting.set(event.taskId, { failedAttempt: event.attempt, failedAt: event.at, retryAfterMs: event.retryAfterMs });
    } else if (event.type === 'task.failed' && (failFast || event.severity === 'critical')) endsAs = 'failed';
    else if (event.type === 'task.retrying' || event.type === 'task.cancelled') waiting.delete(event.taskId);
    else if (event.type === 'task.started') startedIds.push([event.taskId, event.at]);
    if (event.type === 'task.failed' && event.pausedLimitsMs !== undefined)
      pausedIds.push([event.taskId, event.at + event.pausedLimitsMs, event.pausedLimitsMs]);
    // what a task spawned whose completion the journal lost (a torn group) stays in the run: its
    // next attempts, after a failure and a stop too, spawn those tasks again as the same ones
    if (event.type === 'tasks.spawned') {
      const earlier = spawns.get(event.taskId);
      spawns.set(event.taskId, { tasks: [...(earlier?.tasks ?? []), ...event.tasks] });
    } else if (isTerminalEvent(event)) spawns.delete(event.taskId);
  }
  const state = draft.finish();
  const grown = state.dag;
  const interrupted: number[] = [];
  const ready: number[] = [];
  const unblocked: number[] = [];
  const reading = new RunDraft(state);
  for (let task = 0; task < grown.size; task++) {
    const status = reading.statusOf(task);
    if (status === StatusCode.Running) interrupted.push(task);
    else if (status === StatusCode.Ready) ready.push(task);
    else if (status === StatusCode.Pending && readRemainingDeps(state.tasks, task) === 0 && state.status === 'running')
      unblocked.push(task);
  }
  const retries = new Map<number, PendingRetry>();
  for (const [taskId, { failedAttempt, failedAt, retryAfterMs }] of waiting) {
    const task = grown.taskIndex(taskId)!;
    const wait = retryAfterMs ?? backoffDelay(grown.index.retries[task]!, failedAttempt);
    retries.set(task, { attempt: failedAttempt + 1, dueAt: failedAt + wait, waitMs: wait });
  }
  const limits = grown.index.limits;
  const limitedStarts: (readonly [number, number])[] = [];
  if (limits !== undefined) {
    for (const [taskId, at] of startedIds) {
      const task = grown.taskIndex(taskId)!;
      if (limits[task] !== undefined) limitedStarts.push([task, at]);
    }
  }
  const limitPauses = pausedIds.map(([taskId, until, ms]) => [grown.taskIndex(taskId)!, until, ms] as const);
  const spawnedBefore = new Map<number, SpawnedBefore>();
  for (const [taskId, spawned] of spawns) spawnedBefore.set(grown.taskIndex(taskId)!, spawned);
  return { state, dag: grown, interrupted, ready, unblocked, retries, limitedStarts, limitPauses, spawnedBefore, endsAs };
}

/** Whether `task` has ended in the replayed run (completed, failed, skipped or cancelled): it never starts again. */
export function hasEnded(replayed: Pick<ReplayedRun, 'state'>, task: number): boolean {
  return readStatus(replayed.state.tasks, task) >= StatusCode.Completed;
}

/** The reducer's message without the run it names first (`run "x": …`): the corruption error names it. */
function withoutRun(message: string, runId: string): string {
  const prefix = `run ${JSON.stringify(runId)}: `;
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}
