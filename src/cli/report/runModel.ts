/**
 * The report's model of a run, folded from its events: tasks, their attempts (the Gantt bars)
 * and why each waited before its first start. A resumed run's attempts that were in flight
 * when its process stopped end where its journal ended (drawn as cancelled, "interrupted"), and
 * their run again after `run.resumed` is a bar of its own. It draws nothing.
 */
import type { DagEvent, RunOutcome, TaskCounts } from '../../index';
import { skipReason } from '../output/runSetup';

/** How one attempt ended, which is also its colour in the report. */
export type AttemptOutcome = 'completed' | 'warning' | 'failed' | 'timed-out' | 'cancelled' | 'unfinished';

/** One attempt of a task: a bar of the Gantt chart. Times are ms from the start of the run. */
export interface AttemptBar {
  readonly attempt: number;
  readonly agent: string;
  readonly startMs: number;
  endMs: number;
  outcome: AttemptOutcome;
  /** Another attempt followed this failed one. */
  retried: boolean;
  /** The error or warning message. */
  detail: string | undefined;
}

/** How a task ended. */
export type TaskOutcome = 'completed' | 'failed' | 'skipped' | 'cancelled' | 'unfinished';

/**
 * Why a task's first attempt started after it became ready, read from the events:
 * - `slot`: the concurrency limit was reached — every slot was busy (`running` attempts) while the
 *   task waited, and it started only once an attempt ended;
 * - `agent`: its agent kind was at capacity — an `agent.available` for that kind came while it
 *   waited (the scheduler emits one only when a full kind frees a slot);
 * - `dispatch`: nothing was short: the time between `task.ready` and `task.started` is dispatch
 *   latency (for a shell task, mostly spawning its process).
 */
export type TaskWait =
  | { readonly kind: 'dispatch'; readonly ms: number }
  | { readonly kind: 'slot'; readonly ms: number; readonly running: number }
  | { readonly kind: 'agent'; readonly ms: number; readonly agent: string };

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
}

/** A run rebuilt from its events: what the report draws. */
export interface RunModel {
  readonly dagId: string;
  readonly runId: string;
  /** `unfinished` when the log has no `dag.completed` (the CLI was killed). */
  readonly outcome: RunOutcome | 'unfinished';
  readonly counts: TaskCounts | undefined;
  /** Length of the run: `dag.completed`'s `durationMs`, else the time of the last event. */
  readonly durationMs: number;
  readonly eventCount: number;
  /** Tasks in the order they became ready; tasks only named by `deps` come last. */
  readonly tasks: readonly TaskRow[];
}

/**
 * Folds the events of one run into tasks and attempts. Pure and O(events): the report is a
 * view of the events log, like any other reducer of events.
 */
export function buildRunModel(events: readonly DagEvent[], knownTaskIds: readonly string[] = []): RunModel {
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
  const waits = new WaitTracker();

  for (const [index, event] of events.entries()) {
    const at = event.at - t0;
    waits.see(index, event);
    switch (event.type) {
      case 'task.ready':
        row(event.taskId).readyMs ??= at;
        break;
      case 'task.started':
        row(event.taskId).attempts.push({
          attempt: event.attempt,
          agent: event.agent,
          startMs: at,
          endMs: at,
          outcome: 'unfinished',
          retried: false,
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
          Object.assign(bar, { endMs: at, outcome: event.warning === undefined ? 'completed' : 'warning', detail: event.warning?.message });
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
            retried: event.willRetry,
            detail: message,
          });
        if (!event.willRetry) Object.assign(task, { outcome: 'failed', endMs: at, detail: message });
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
        Object.assign(task, { outcome: 'cancelled', endMs: at });
        break;
      }
      case 'dag.completed':
        completed = event;
        break;
      case 'run.resumed': {
        // in flight when the process stopped: the attempt ends with the journal, and runs again
        const stoppedMs = index === 0 ? at : events[index - 1]!.at - t0;
        for (const taskId of event.interrupted) {
          for (const bar of row(taskId).attempts) {
            if (bar.outcome === 'unfinished')
              Object.assign(bar, {
                endMs: stoppedMs,
                outcome: 'cancelled',
                detail: 'interrupted: the process running it stopped; it ran again on resume',
              });
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
  // Attempts still open at the end of a truncated log run until its last event.
  for (const task of rows.values()) for (const bar of task.attempts) if (bar.outcome === 'unfinished') bar.endMs = lastAt - t0;
  for (const task of rows.values()) {
    const wait = waits.waitOf(task);
    if (wait !== undefined) task.wait = wait;
  }
  return {
    dagId: created?.type === 'dag.created' ? created.dagId : '(unknown)',
    runId: events[0]?.runId ?? '(no events)',
    outcome: completed?.outcome ?? 'unfinished',
    counts: completed?.counts,
    durationMs: completed?.durationMs ?? lastAt - t0,
    eventCount: events.length,
    tasks: [...rows.values()],
  };
}

/**
 * Follows the events to tell, for each task, what its first attempt waited for (see
 * {@link TaskWait}): the attempts running after each event, where attempts ended, and where each
 * agent kind said it had a free slot again. Two passes over arrays as long as the log.
 */
class WaitTracker {
  private readonly open = new Set<string>();
  /** Attempts running after event i. */
  private readonly running: number[] = [];
  /** Attempts that ended up to event i. */
  private readonly ended: number[] = [];
  private readonly readyAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private readonly available = new Map<string, number[]>();
  private full: number[] | undefined;
  /** The most attempts running at once in the run. */
  private peak = 0;

  see(index: number, event: DagEvent): void {
    let ended = 0;
    switch (event.type) {
      case 'task.ready':
        if (!this.readyAt.has(event.taskId)) this.readyAt.set(event.taskId, index);
        break;
      case 'task.started':
        if (!this.startedAt.has(event.taskId)) this.startedAt.set(event.taskId, index);
        this.open.add(`${event.taskId}#${event.attempt}`);
        break;
      case 'task.completed':
      case 'task.failed':
      case 'task.cancelled':
        // the attempt's slot is given back after its outcome's events
        if (this.open.delete(`${event.taskId}#${event.attempt}`)) ended = 1;
        break;
      case 'agent.available': {
        let list = this.available.get(event.agent);
        if (list === undefined) this.available.set(event.agent, (list = []));
        list.push(index);
        break;
      }
      default:
        break;
    }
    this.running[index] = this.open.size;
    this.peak = Math.max(this.peak, this.open.size);
    this.ended[index] = (this.ended[index - 1] ?? 0) + ended;
  }

  waitOf(task: TaskRow): TaskWait | undefined {
    const first = task.attempts[0];
    const ready = this.readyAt.get(task.id);
    const started = this.startedAt.get(task.id);
    if (first === undefined || task.readyMs === undefined || ready === undefined || started === undefined) return undefined;
    const ms = first.startMs - task.readyMs;
    if (ms <= 0) return undefined;
    if (this.availableBetween(first.agent, ready, started)) return { kind: 'agent', ms, agent: first.agent };
    // Held by the concurrency limit: the most attempts this run ever had were running while it
    // waited, and it started only after one of them ended.
    const full = this.fullCounts();
    if (full[started - 1]! - (full[ready - 1] ?? 0) > 0 && this.ended[started - 1]! - this.ended[ready]! > 0) {
      return { kind: 'slot', ms, running: this.peak };
    }
    return { kind: 'dispatch', ms };
  }

  /** Whether `agent` had a slot freed after event `from` and before event `to`. */
  private availableBetween(agent: string, from: number, to: number): boolean {
    const list = this.available.get(agent);
    if (list === undefined) return false;
    let low = 0;
    let high = list.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (list[middle]! <= from) low = middle + 1;
      else high = middle;
    }
    return low < list.length && list[low]! < to;
  }

  /** How many events, up to each, left the run at its peak of running attempts. */
  private fullCounts(): number[] {
    if (this.full === undefined) {
      let count = 0;
      this.full = this.running.map((running) => (count += this.peak > 0 && running >= this.peak ? 1 : 0));
    }
    return this.full;
  }
}
