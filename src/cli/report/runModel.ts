/**
 * The report's model of a run, folded from its events: tasks, their attempts (the Gantt bars)
 * and why each waited before its first start (see `taskWaits.ts`). An attempt in flight when the
 * run's process stopped is `interrupted`, ending at the run's last event before the stop; run
 * again after `run.resumed`, under the same attempt number, it is a bar of its own but the same
 * attempt (counted once, as `rxdag show` counts it). A log without `dag.completed` is of a run
 * whose process stopped (`interrupted`), unless the run is known to be still going: its attempts
 * in flight then run until the report was written. Times that go back (a clock set back, a
 * resume on a machine whose clock is behind) draw no time, never a negative span. It draws nothing.
 */
import type { DagEvent, RunOutcome, TaskCounts } from '../../index';
import { type RunSetup, skipReason, withSpawnedTasks } from '../output/runSetup';
import { type TaskWait, type WaitContext, WaitTracker } from './taskWaits';

/** How one attempt ended, which is also its colour in the report. */
export type AttemptOutcome = 'completed' | 'warning' | 'failed' | 'timed-out' | 'cancelled' | 'interrupted' | 'unfinished';

/**
 * What followed a failed (or timed-out) attempt: nothing (`none`: the task ended with it, or
 * it did not fail), another attempt (`retried`), or a cancel of the run while the task waited
 * to retry (`cancelled`: the retry never ran).
 */
export type RetryAfter = 'none' | 'retried' | 'cancelled';

/** One attempt of a task: a bar of the Gantt chart. Times are ms from the start of the run. */
export interface AttemptBar {
  readonly attempt: number;
  readonly agent: string;
  readonly startMs: number;
  endMs: number;
  outcome: AttemptOutcome;
  retry: RetryAfter;
  /** The error or warning message. */
  detail: string | undefined;
  /** The worker that ran a remote attempt (its `task.completed` or `task.failed` says). */
  worker?: string;
  /** When the retry that follows this failed attempt was due (`task.retrying`): its backoff ended then. */
  retryDueMs?: number;
  /** A remote attempt the run's resume took up again on its worker: timed from the resume, it started there before. */
  takenUp?: true;
  /** What this attempt, a retry, waited for once its backoff was over (as a first attempt's `TaskRow.wait`). */
  wait?: TaskWait;
}

/** How a task ended. */
export type TaskOutcome = 'completed' | 'failed' | 'skipped' | 'cancelled' | 'interrupted' | 'unfinished';

/** One task: a row of the Gantt chart and of the summary table. */
export interface TaskRow {
  readonly id: string;
  outcome: TaskOutcome;
  readonly attempts: AttemptBar[];
  /** When it first became ready. */
  readyMs: number | undefined;
  /** When it ended (its terminal event). */
  endMs: number | undefined;
  /** Why it failed, or which dependency made it skip. */
  detail: string | undefined;
  /** Why its first attempt started after it became ready; `undefined` when it started at once. */
  wait?: TaskWait;
  /** The place in the log of its last `task.completed`, `task.failed`, `task.skipped` or `task.cancelled`: orders tasks that ended in the same millisecond. */
  endOrder?: number;
}

/** What the report knows of a run beyond its events. */
export interface RunModelOptions extends WaitContext {
  /** Every task of the DAG: tasks that never became ready get a row too. */
  readonly knownTaskIds?: readonly string[];
  /**
   * The run was still going (a live process owned it) when the report was written, at this
   * wall-clock ms: a log without `dag.completed` is then `unfinished` and its open attempts ran
   * until then, rather than being interrupted.
   */
  readonly stillRunningAt?: number;
}

/** A run rebuilt from its events: what the report draws. */
export interface RunModel {
  readonly dagId: string;
  readonly runId: string;
  /**
   * Without `dag.completed`: `interrupted` (its process stopped: a crash, SIGTERM), or
   * `unfinished` when the run is known to be still going.
   */
  readonly outcome: RunOutcome | 'interrupted' | 'unfinished';
  readonly counts: TaskCounts | undefined;
  /**
   * Length of the run: `dag.completed`'s `durationMs`, else until its last event (a run still
   * going: until the report was written).
   */
  readonly durationMs: number;
  readonly eventCount: number;
  /** Tasks in the order they became ready; tasks only named by `deps` come last. */
  readonly tasks: readonly TaskRow[];
  /**
   * Tasks of the run that have no row: `dag.created` and `tasks.spawned` count them, but a log
   * cut before they became ready does not name them (the DAG, when given, does: then 0).
   */
  readonly unnamedTasks: number;
  /** The setup it was given, with what the tasks the run spawned ask (from their `tasks.spawned`). */
  readonly setup?: RunSetup | undefined;
  /** When the run was resumed (its `run.resumed` events, in ms from its start): its process was down before each. */
  readonly resumedAtMs?: readonly number[] | undefined;
  /** When it began, by the clock of its events (ms since the epoch): its `dag.created`, else its `dag.completed` less its length. */
  readonly startedAt?: number;
}

/** Why an attempt a resume ran again ended early. */
const RAN_AGAIN = 'interrupted: the process running it stopped; it ran again on resume';

/** Why a remote attempt a resume took up again on its worker ended early here. */
const TAKEN_UP =
  'interrupted: the process waiting for it stopped; the resume took its job up again (a remote attempt: its worker may have gone on running it meanwhile)';

/** Why an attempt of a run whose process stopped (and was not resumed yet) has no end. */
const STOPPED_UNDER_IT = 'interrupted: the process running it stopped before the attempt ended';

/**
 * Attempts of `task` that started, each counted once: an attempt interrupted by a stop of the
 * run and started again by the resume is the same attempt (its number is the same).
 */
export function attemptsStarted(task: TaskRow): number {
  return new Set(task.attempts.map((bar) => bar.attempt)).size;
}

/** When an attempt that started at `bar.startMs` ended: at `atMs`, or at its start were that earlier (a clock set back). */
function endOf(bar: { readonly startMs: number }, atMs: number): number {
  return Math.max(bar.startMs, atMs);
}

/**
 * Folds the events of one run into tasks and attempts. Pure and O(events): the report is a
 * view of the events log, like any other reducer of events.
 */
export function buildRunModel(events: readonly DagEvent[], options: RunModelOptions = {}): RunModel {
  const { knownTaskIds = [], stillRunningAt, maxConcurrency } = options;
  const running = stillRunningAt !== undefined;
  // the DAG's setup lists its own tasks: those the run spawned ask what their spawn says
  const setup = options.setup === undefined ? undefined : withSpawnedTasks(options.setup, events);
  const context = { ...(setup === undefined ? {} : { setup }), ...(maxConcurrency === undefined ? {} : { maxConcurrency }) };
  const created = events.find((event) => event.type === 'dag.created');
  const t0 = created?.at ?? events[0]?.at ?? 0;
  const rows = new Map<string, TaskRow>();
  const row = (id: string): TaskRow => {
    let found = rows.get(id);
    if (found === undefined) {
      found = { id, outcome: 'unfinished', attempts: [], readyMs: undefined, endMs: undefined, detail: undefined };
      rows.set(id, found);
    }
    return found;
  };
  const open = (task: TaskRow, attempt: number) => task.attempts.find((bar) => bar.attempt === attempt && bar.outcome === 'unfinished');
  let completed: Extract<DagEvent, { type: 'dag.completed' }> | undefined;
  const waits = new WaitTracker(context);

  const resumedAtMs: number[] = [];
  // the latest time of each task so far
  const taskClock = new Map<string, number>();
  for (const [index, event] of events.entries()) {
    // a clock set back draws no time, never a negative span: an event before the run's creation
    // is at its start, and each task's times never go back (ready, attempts, backoffs, end)
    let at = Math.max(0, event.at - t0);
    if ('taskId' in event) {
      at = Math.max(at, taskClock.get(event.taskId) ?? 0);
      taskClock.set(event.taskId, at);
    }
    waits.see(index, event);
    if (event.type === 'task.completed' || event.type === 'task.failed' || event.type === 'task.skipped' || event.type === 'task.cancelled')
      row(event.taskId).endOrder = index;
    switch (event.type) {
      case 'task.ready':
        row(event.taskId).readyMs ??= at;
        break;
      case 'task.started':
        row(event.taskId).attempts.push({
          attempt: wholeNumber(event.attempt),
          agent: event.agent,
          startMs: at,
          endMs: at,
          outcome: 'unfinished',
          retry: 'none',
          detail: undefined,
        });
        break;
      case 'task.timed-out': {
        const bar = open(row(event.taskId), event.attempt);
        if (bar !== undefined) Object.assign(bar, { endMs: at, outcome: 'timed-out', detail: `timed out after ${event.timeoutMs} ms` });
        break;
      }
      case 'task.completed': {
        const task = row(event.taskId);
        const bar = open(task, event.attempt);
        if (bar !== undefined)
          Object.assign(bar, {
            endMs: at,
            outcome: event.warning === undefined ? 'completed' : 'warning',
            detail: event.warning?.message,
            ...(typeof event.worker === 'string' ? { worker: event.worker } : {}),
          });
        Object.assign(task, { outcome: 'completed', endMs: at });
        break;
      }
      case 'task.failed': {
        const task = row(event.taskId);
        const bar = open(task, event.attempt) ?? task.attempts.find((b) => b.attempt === event.attempt && b.outcome === 'timed-out');
        const message = `${event.error.name}: ${event.error.message}`;
        if (bar !== undefined)
          Object.assign(bar, {
            endMs: bar.outcome === 'timed-out' ? bar.endMs : at,
            outcome: bar.outcome === 'timed-out' ? 'timed-out' : 'failed',
            retry: event.willRetry ? 'retried' : 'none',
            detail: message,
            ...(typeof event.worker === 'string' ? { worker: event.worker } : {}),
          });
        if (!event.willRetry) Object.assign(task, { outcome: 'failed', endMs: at, detail: message });
        break;
      }
      case 'task.retrying': {
        const { attempts } = row(event.taskId);
        const failed = attempts[attempts.length - 1];
        if (failed?.attempt === event.attempt - 1) failed.retryDueMs = at;
        break;
      }
      case 'task.skipped': {
        // how the task it names had ended says why: a failure, a skip, or (any-failed) a success
        const cause = rows.get(event.because)?.outcome;
        const ended = cause === 'failed' || cause === 'skipped' || cause === 'completed' ? cause : undefined;
        Object.assign(row(event.taskId), { outcome: 'skipped', endMs: at, detail: `skipped: ${skipReason(event.because, ended)}` });
        break;
      }
      case 'task.cancelled': {
        const task = row(event.taskId);
        const bar = open(task, event.attempt);
        if (bar !== undefined) Object.assign(bar, { endMs: at, outcome: 'cancelled' });
        const last = task.attempts[task.attempts.length - 1];
        if (bar === undefined && last?.retry === 'retried') {
          // cancelled while it waited to retry: the retry never ran, and the last error is why it was waiting
          last.retry = 'cancelled';
          task.detail = `cancelled while waiting to retry; attempt #${last.attempt} failed: ${last.detail ?? ''}`;
        }
        Object.assign(task, { outcome: 'cancelled', endMs: at });
        break;
      }
      case 'dag.completed':
        completed = event;
        break;
      case 'run.resumed': {
        resumedAtMs.push(at);
        // in flight when the process stopped: the attempt ends with the journal, and runs again
        const stoppedMs = index === 0 ? at : events[index - 1]!.at - t0;
        for (const taskId of event.interrupted) {
          for (const bar of row(taskId).attempts) {
            if (bar.outcome === 'unfinished')
              Object.assign(bar, { endMs: endOf(bar, stoppedMs), outcome: 'interrupted', detail: RAN_AGAIN });
          }
        }
        break;
      }
      default:
        break;
    }
  }
  for (const id of knownTaskIds) row(id);
  const lastAt = events.length === 0 ? t0 : events[events.length - 1]!.at;
  // Attempts still open at the end of the log run until its last event: cut there by the stop
  // of the run's process, unless the run still goes on: then they ran until the report was
  // written (never before the last event, whatever the clocks of the two processes say).
  const stopped = completed === undefined && !running;
  const openUntil = completed === undefined && running ? Math.max(lastAt, stillRunningAt) : lastAt;
  for (const task of rows.values()) {
    for (const bar of task.attempts) {
      if (bar.outcome !== 'unfinished') continue;
      bar.endMs = endOf(bar, openUntil - t0);
      if (!stopped) continue;
      Object.assign(bar, { outcome: 'interrupted', detail: STOPPED_UNDER_IT });
      task.outcome = 'interrupted';
    }
  }
  for (const task of rows.values()) {
    // the interrupted bars of an attempt whose own number then ended on a worker: taken up, not run again
    task.attempts.forEach((bar, i) => {
      if (bar.worker === undefined) return;
      for (const earlier of task.attempts.slice(0, i).reverse()) {
        if (earlier.attempt !== bar.attempt || earlier.detail !== RAN_AGAIN) break;
        earlier.detail = TAKEN_UP;
        bar.takenUp = true;
      }
    });
    for (const bar of task.attempts.slice(1)) {
      const retryWait = waits.retryWaitOf(task.id, bar.agent, bar.attempt);
      if (retryWait !== undefined) bar.wait = retryWait;
    }
    const first = task.attempts[0];
    const wait = first === undefined ? undefined : waits.waitOf(task.id, first.agent);
    if (wait !== undefined) task.wait = wait;
  }
  let declared = created?.type === 'dag.created' ? wholeNumber(created.taskCount) : 0;
  for (const event of events) if (event.type === 'tasks.spawned' && Array.isArray(event.tasks)) declared += event.tasks.length;
  return {
    dagId: dagIdOf(created, events),
    runId: events[0]?.runId ?? '(no events)',
    outcome: completed === undefined ? (running ? 'unfinished' : 'interrupted') : knownOutcome(completed.outcome),
    counts: completed === undefined ? countsSoFar(rows.values(), Math.max(declared, rows.size)) : wholeCounts(completed.counts),
    durationMs: Number.isFinite(completed?.durationMs) ? completed!.durationMs : openUntil - t0,
    eventCount: events.length,
    tasks: [...rows.values()],
    unnamedTasks: Math.max(0, declared - rows.size),
    setup,
    resumedAtMs,
    ...startedAtOf(created, completed),
  };
}

/**
 * When the run began: its `dag.created`, else (a log that starts at a resume) its `dag.completed`
 * less the run's length; nothing when neither is there.
 */
function startedAtOf(
  created: DagEvent | undefined,
  completed: Extract<DagEvent, { type: 'dag.completed' }> | undefined,
): { startedAt?: number } {
  if (created !== undefined) return { startedAt: created.at };
  return completed !== undefined && Number.isFinite(completed.durationMs) ? { startedAt: completed.at - completed.durationMs } : {};
}

/*
 * A log or a journal may have been edited (a report of an untrusted job's events): the fields
 * the page shows as numbers or as a known word are taken as such, or not at all.
 */

/** `value` when it is a whole number, else 0. */
function wholeNumber(value: unknown): number {
  return Number.isSafeInteger(value) ? (value as number) : 0;
}

/** How the tasks of a run that has not ended (or whose end the log lacks) stand so far: `total` counts those not ended too. */
function countsSoFar(tasks: Iterable<TaskRow>, total: number): TaskCounts {
  const counts = { total, completed: 0, failed: 0, skipped: 0, cancelled: 0 };
  for (const task of tasks) {
    const { outcome } = task;
    if (outcome === 'completed' || outcome === 'failed' || outcome === 'skipped' || outcome === 'cancelled') counts[outcome]++;
  }
  return counts;
}

function wholeCounts(counts: TaskCounts | undefined): TaskCounts | undefined {
  if (counts === undefined) return undefined;
  const { total, completed, failed, skipped, cancelled } = counts;
  return {
    total: wholeNumber(total),
    completed: wholeNumber(completed),
    failed: wholeNumber(failed),
    skipped: wholeNumber(skipped),
    cancelled: wholeNumber(cancelled),
  };
}

const RUN_OUTCOMES: ReadonlySet<unknown> = new Set<RunOutcome>(['succeeded', 'failed', 'cancelled']);

/** A run's outcome as `dag.completed` gives it, when it is one; `failed` for anything else. */
function knownOutcome(outcome: unknown): RunOutcome {
  return RUN_OUTCOMES.has(outcome) ? (outcome as RunOutcome) : 'failed';
}

/**
 * The DAG's id: from `dag.created`, else from a `run.resumed` (the events a resumed process
 * printed with `--json` start there), else `(unknown)`.
 */
function dagIdOf(created: DagEvent | undefined, events: readonly DagEvent[]): string {
  if (created?.type === 'dag.created') return created.dagId;
  const resumed = events.find((event) => event.type === 'run.resumed');
  return resumed?.type === 'run.resumed' && resumed.dagId !== undefined ? resumed.dagId : '(unknown)';
}
