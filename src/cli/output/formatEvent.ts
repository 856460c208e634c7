import type { Dag, DagEvent, TaskFailedEvent } from '../../index';
import { backoffDelay } from '../../state/routeFailure';
import { formatMs } from '../report/html';
import { firstNames } from '../../dag/text';
import { type BecauseEnded, skipReason } from './runSetup';
import { terminalText } from './terminalText';

/** Attempts in flight named on a `run.resumed` line and `rxdag resume`'s (the event keeps them all). */
export const IN_FLIGHT_NAMED = 10;

/**
 * One human-readable line for an event (continuation lines indented, for multi-line errors),
 * prefixed with the time since the run started: the output of `rxdag run` when it is not on a
 * terminal. Every field a reader needs is there; control characters of a task's output other
 * than line feed and tab are escaped (see `terminalText.ts`); `--json` gives the exact objects.
 *
 * This function sees one event alone: it names the attempt of every task event. A
 * `task.cancelled` of a task that never started (or was waiting to retry) has an attempt
 * number that never ran; {@link EventFormatter} follows the run and says so instead.
 *
 * @example
 * formatEvent(event, 0) // "[   0.412s] task.completed build #1 in 398 ms"
 */
export function formatEvent(
  event: DagEvent,
  runStartedAt: number,
  attempts?: (taskId: string) => AttemptsSoFar | undefined,
  endedAs?: (taskId: string) => BecauseEnded,
  retryWait?: RetryWait,
): string {
  const time = `[${((event.at - runStartedAt) / 1000).toFixed(3).padStart(8)}s]`;
  // a task's error and stderr lines as text, never as terminal commands
  const line = `${time} ${terminalText(describeEvent(event, attempts, endedAs, retryWait))}`;
  return line.includes('\n') ? line.replace(/\n/g, `\n${' '.repeat(time.length + 1)}`) : line;
}

/**
 * How long a task waits before its next attempt after attempt `attempt` failed, by its retry
 * policy; `undefined` when not known (a task spawned during the run).
 */
export type RetryWait = (taskId: string, attempt: number) => number | undefined;

/** {@link RetryWait} of the tasks of `dag`, by their retry policies. */
export function retryWaitsOf(dag: Dag): RetryWait {
  return (taskId, attempt) => {
    const task = dag.taskIndex(taskId);
    return task === undefined ? undefined : backoffDelay(dag.index.retries[task]!, attempt);
  };
}

/** What a run showed so far of a task's attempts. */
export interface AttemptsSoFar {
  /** The last attempt that started. */
  readonly lastStarted: number;
  /** Whether that attempt is still running (no completed/failed event yet). */
  readonly running: boolean;
}

/** Width of the time column and the space after it: where continuation lines start. */
export const TEXT_INDENT = '[   0.000s] '.length;

/**
 * Formats the events of one run in order, remembering what a single event does not say: when
 * the run started, which attempt of each task started, and which tasks failed for good or were
 * skipped. A cancelled task shows its attempt only if that attempt ran: `task.cancelled deploy
 * (never started)`; a skipped task says why from how the task it names ended.
 */
export class EventFormatter {
  private runStartedAt: number | undefined;

  /** `retryWait` says when a failed attempt is tried again (`will retry in 12.0 s`). */
  constructor(private readonly retryWait?: RetryWait) {}

  // Task id -> its last started attempt, negated once that attempt ended (a number, not an
  // object, per task: a big run keeps one per task); absent while none started.
  private readonly attempts = new Map<string, number>();
  private readonly attemptsOf = (taskId: string): AttemptsSoFar | undefined => {
    const attempt = this.attempts.get(taskId);
    return attempt === undefined ? undefined : { lastStarted: Math.abs(attempt), running: attempt > 0 };
  };
  // tasks that failed for good or were skipped (few, next to the tasks of a run)
  private readonly failedOrSkipped = new Map<string, 'failed' | 'skipped'>();
  private readonly endedAs = (taskId: string): BecauseEnded => {
    const ended = this.failedOrSkipped.get(taskId);
    if (ended !== undefined) return ended;
    const attempt = this.attempts.get(taskId);
    // its last attempt ended, and not in a failure for good: it completed
    return attempt !== undefined && attempt < 0 ? 'completed' : undefined;
  };

  /** The line of `event`, which must come after every earlier event of the run. */
  format(event: DagEvent): string {
    this.observe(event);
    return this.describe(event);
  }

  /** Follows `event` (which must come after every earlier event of the run) without making its line. */
  observe(event: DagEvent): void {
    this.runStartedAt ??= event.at;
    if (event.type === 'task.started') this.attempts.set(event.taskId, event.attempt);
    else if (event.type === 'task.completed' || event.type === 'task.failed') {
      const attempt = this.attempts.get(event.taskId);
      if (attempt !== undefined) this.attempts.set(event.taskId, -Math.abs(attempt));
      if (event.type === 'task.failed' && !event.willRetry) this.failedOrSkipped.set(event.taskId, 'failed');
    } else if (event.type === 'task.skipped') this.failedOrSkipped.set(event.taskId, 'skipped');
  }

  /** The line of `event`, the last event {@link observe}d: `format` is `observe` then `describe`. */
  describe(event: DagEvent): string {
    return formatEvent(event, this.runStartedAt ?? event.at, this.attemptsOf, this.endedAs, this.retryWait);
  }
}

function describeEvent(
  event: DagEvent,
  attemptsOf?: (taskId: string) => AttemptsSoFar | undefined,
  endedAs?: (taskId: string) => BecauseEnded,
  retryWait?: RetryWait,
): string {
  switch (event.type) {
    case 'dag.created':
      return `dag.created ${event.dagId}: ${event.taskCount} task${event.taskCount === 1 ? '' : 's'} (run ${event.runId})`;
    case 'task.ready':
      return `task.ready ${event.taskId}`;
    case 'task.started':
      return `task.started ${event.taskId} #${event.attempt} on ${event.agent}`;
    case 'task.completed':
      return `task.completed ${event.taskId} #${event.attempt} in ${event.durationMs} ms${event.worker === undefined ? '' : ` on worker ${event.worker}`}${event.warning === undefined ? '' : ` with warning: ${event.warning.message}`}`;
    case 'task.failed':
      return `task.failed ${event.taskId} #${event.attempt}${event.worker === undefined ? '' : ` on worker ${event.worker}`} (${event.severity}${event.willRetry ? `, will retry${retryIn(event, retryWait)}` : ''}): ${event.error.name}: ${event.error.message}`;
    case 'task.retrying':
      return `task.retrying ${event.taskId} #${event.attempt}`;
    case 'tasks.spawned': {
      const ids = event.tasks.map((task) => task.id);
      return `tasks.spawned by ${event.taskId} #${event.attempt}: ${ids.length} task${ids.length === 1 ? '' : 's'} (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''})`;
    }
    case 'task.timed-out':
      return `task.timed-out ${event.taskId} #${event.attempt} after ${event.timeoutMs} ms`;
    case 'task.stuck':
      return `task.stuck ${event.taskId} #${event.attempt}: running for ${event.runningForMs} ms`;
    case 'task.skipped':
      return `task.skipped ${event.taskId}: ${skipReason(event.because, endedAs?.(event.because), (id) => id)}`;
    case 'task.cancelled': {
      const attempts = attemptsOf === undefined ? { lastStarted: event.attempt, running: true } : attemptsOf(event.taskId);
      if (attempts === undefined) return `task.cancelled ${event.taskId} (never started)`;
      if (attempts.running) return `task.cancelled ${event.taskId} #${attempts.lastStarted}`;
      return `task.cancelled ${event.taskId} (waiting to retry after #${attempts.lastStarted})`;
    }
    case 'agent.available':
      return `agent.available ${event.agent}`;
    case 'health.checked':
      return `health.checked running ${event.running}, ready ${event.ready}, pending ${event.pending}`;
    case 'dag.completed': {
      const { total, completed, failed, skipped, cancelled } = event.counts;
      return `dag.completed ${event.outcome}: ${completed}/${total} completed, ${failed} failed, ${skipped} skipped, ${cancelled} cancelled in ${(event.durationMs / 1000).toFixed(2)} s`;
    }
    case 'run.resumed':
      return `run.resumed after seq ${event.resumedAfterSeq}${event.interrupted.length === 0 ? '' : `; in flight when it stopped: ${firstNames(event.interrupted, IN_FLIGHT_NAMED)}`}`;
  }
}

/** ` in 12.0 s` when the wait before a failed attempt's retry is known (the error's `retryAfterMs`, else the task's policy). */
function retryIn(event: TaskFailedEvent, retryWait: RetryWait | undefined): string {
  const wait = event.retryAfterMs ?? retryWait?.(event.taskId, event.attempt);
  return wait === undefined ? '' : ` in ${formatMs(wait)}`;
}
