/**
 * Folds the events of many interleaved runs into the numbers behind rxdag's Prometheus metrics:
 * attempts and tasks by agent and outcome, runs by outcome, the tasks ready and running now, and
 * the queue waits and durations of attempts, bucketed. All plain numbers, read when Prometheus
 * scrapes, so an event costs a map lookup or two and no metric update. It keeps only what is
 * still open (the ready and running tasks of unfinished runs), knows nothing of prom-client or
 * registries, and does not subscribe: `collectMetrics` does.
 */
import type { DagEvent, RunOutcome, TaskEvent } from '../events';
import { ATTEMPT_OUTCOMES, type AttemptOutcome, RUN_OUTCOMES, TASK_OUTCOMES, type TaskOutcome } from './outcomes';
import { Buckets } from './tallyHistogram';

/**
 * The agent label of a task that ended without ever starting (skipped, or cancelled before it
 * ran): no event names its agent, and an empty label value is Prometheus's "no value".
 */
export const NO_AGENT = '';

/** What one agent's attempts and tasks came to. */
export interface AgentCounts {
  readonly attempts: Record<AttemptOutcome, number>;
  readonly tasks: Record<TaskOutcome, number>;
  /** Seconds from `task.started` to the attempt's end. */
  readonly duration: Buckets;
  /** Seconds from `task.ready` (or `task.retrying`) to `task.started`. */
  readonly queueWait: Buckets;
}

/** Everything counted so far: per agent, and runs by outcome. */
export interface Counts {
  /** The histograms' bucket bounds, in seconds. */
  readonly bounds: readonly number[];
  readonly agents: Map<string, AgentCounts>;
  readonly runs: Record<RunOutcome, number>;
}

/** An attempt running now. */
interface RunningAttempt {
  readonly agent: AgentCounts;
  readonly startedAt: number;
  /** Set by `task.timed-out`: the `task.failed` that follows counts as `timed-out`. */
  timedOut: boolean;
}

/** The open tasks of one unfinished run. */
interface RunBook {
  /** The run's first time seen: ready times are kept from it, small integers that need no allocation. */
  readonly origin: number;
  /** Ready tasks by id: when they became ready, from `origin`. Large (every task waiting for a slot). */
  readonly ready: Map<string, number>;
  /** Running attempts by task id. Small (at most the concurrency). */
  readonly running: Map<string, RunningAttempt>;
  /** The agent of each task waiting for a retry: a cancel during its backoff is counted under it. Small. */
  readonly retrying: Map<string, AgentCounts>;
}

export function emptyCounts(bounds: readonly number[]): Counts {
  return { bounds, agents: new Map(), runs: { succeeded: 0, failed: 0, cancelled: 0 } };
}

function agentCountsIn(counts: Counts, agent: string): AgentCounts {
  let found = counts.agents.get(agent);
  if (found === undefined) {
    found = {
      attempts: { completed: 0, failed: 0, 'timed-out': 0, cancelled: 0, interrupted: 0 },
      tasks: { completed: 0, failed: 0, skipped: 0, cancelled: 0 },
      duration: new Buckets(counts.bounds),
      queueWait: new Buckets(counts.bounds),
    };
    counts.agents.set(agent, found);
  }
  return found;
}

/** Adds `from` into `into` (same bounds). */
export function addCounts(into: Counts, from: Counts): void {
  for (const [agent, counts] of from.agents) {
    const target = agentCountsIn(into, agent);
    for (const outcome of ATTEMPT_OUTCOMES) target.attempts[outcome] += counts.attempts[outcome];
    for (const outcome of TASK_OUTCOMES) target.tasks[outcome] += counts.tasks[outcome];
    target.duration.add(counts.duration);
    target.queueWait.add(counts.queueWait);
  }
  for (const outcome of RUN_OUTCOMES) into.runs[outcome] += from.runs[outcome];
}

export class MetricsTally {
  readonly counts: Counts;
  /** Unfinished runs by id. */
  private readonly books = new Map<string, RunBook>();

  /** `bounds`: the histograms' bucket bounds, in seconds. */
  constructor(bounds: readonly number[]) {
    this.counts = emptyCounts(bounds);
  }

  /** Tasks ready now, over all runs. */
  ready(): number {
    let ready = 0;
    for (const book of this.books.values()) ready += book.ready.size;
    return ready;
  }

  /** Attempts running now, over all runs. */
  running(): number {
    let running = 0;
    for (const book of this.books.values()) running += book.running.size;
    return running;
  }

  /** Applies one event of any run. */
  handle(event: DagEvent): void {
    switch (event.type) {
      case 'dag.created':
        this.books.set(event.runId, { origin: event.at, ready: new Map(), running: new Map(), retrying: new Map() });
        return;
      case 'run.resumed': {
        const book = this.bookOf(event.runId, event.at);
        for (const taskId of event.interrupted) {
          // the attempt runs again under its own number; it is ready again from now
          const attempt = book.running.get(taskId);
          if (attempt !== undefined) this.endAttempt(book, taskId, attempt, 'interrupted', event.at);
          book.ready.set(taskId, event.at - book.origin);
        }
        return;
      }
      case 'dag.completed':
        this.counts.runs[event.outcome]++;
        this.books.delete(event.runId);
        return;
      case 'agent.available':
      case 'health.checked':
      case 'task.stuck':
      case 'tasks.spawned':
        return;
      default:
        this.taskEvent(event);
    }
  }

  private taskEvent(event: TaskEvent): void {
    const book = this.bookOf(event.runId, event.at);
    switch (event.type) {
      case 'task.ready':
      case 'task.retrying':
        book.ready.set(event.taskId, event.at - book.origin);
        return;
      case 'task.started': {
        const agent = agentCountsIn(this.counts, event.agent);
        const readyAt = book.ready.get(event.taskId);
        if (readyAt !== undefined) {
          book.ready.delete(event.taskId);
          agent.queueWait.observe((event.at - book.origin - readyAt) / 1000);
        }
        book.running.set(event.taskId, { agent, startedAt: event.at, timedOut: false });
        if (book.retrying.size > 0) book.retrying.delete(event.taskId);
        return;
      }
      case 'task.timed-out': {
        const attempt = book.running.get(event.taskId);
        if (attempt !== undefined) attempt.timedOut = true;
        return;
      }
      case 'task.completed': {
        const attempt = book.running.get(event.taskId);
        if (attempt !== undefined) this.endAttempt(book, event.taskId, attempt, 'completed', event.at);
        this.endTask(attempt, 'completed');
        return;
      }
      case 'task.failed': {
        const attempt = book.running.get(event.taskId);
        if (attempt !== undefined) this.endAttempt(book, event.taskId, attempt, attempt.timedOut ? 'timed-out' : 'failed', event.at);
        if (!event.willRetry) this.endTask(attempt, 'failed');
        else if (attempt !== undefined) book.retrying.set(event.taskId, attempt.agent);
        return;
      }
      case 'task.cancelled': {
        book.ready.delete(event.taskId);
        const attempt = book.running.get(event.taskId);
        if (attempt !== undefined) this.endAttempt(book, event.taskId, attempt, 'cancelled', event.at);
        const waited = book.retrying.get(event.taskId);
        if (waited !== undefined) book.retrying.delete(event.taskId);
        (attempt?.agent ?? waited ?? agentCountsIn(this.counts, NO_AGENT)).tasks.cancelled++;
        return;
      }
      case 'task.skipped':
        this.endTask(undefined, 'skipped');
        return;
    }
  }

  /** The run's book; made on first sight for a run whose start this stream did not show. */
  private bookOf(runId: string, at: number): RunBook {
    let book = this.books.get(runId);
    if (book === undefined) this.books.set(runId, (book = { origin: at, ready: new Map(), running: new Map(), retrying: new Map() }));
    return book;
  }

  private endAttempt(book: RunBook, taskId: string, attempt: RunningAttempt, outcome: AttemptOutcome, at: number): void {
    book.running.delete(taskId);
    attempt.agent.attempts[outcome]++;
    attempt.agent.duration.observe((at - attempt.startedAt) / 1000);
  }

  /**
   * Counts a task's end under the agent of the attempt that just ended, or {@link NO_AGENT} when
   * none did (it never started: events then name no agent).
   */
  private endTask(lastAttempt: RunningAttempt | undefined, outcome: TaskOutcome): void {
    (lastAttempt?.agent ?? agentCountsIn(this.counts, NO_AGENT)).tasks[outcome]++;
  }
}
