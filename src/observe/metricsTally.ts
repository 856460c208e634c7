/**
 * Folds the events of many interleaved runs into the numbers behind rxdag's Prometheus metrics:
 * attempts and tasks by agent and outcome, runs by outcome, the tasks ready and running now, and
 * the queue waits and durations of attempts, bucketed; all of it by label set when there are run
 * labels. All plain numbers, read when Prometheus scrapes, so an event costs a map lookup or two
 * and no metric update: a run's label set is looked up once, when the run is first seen, and kept
 * with its open tasks. It keeps only what is still open (the ready and running tasks, and the
 * label set, of unfinished runs), knows nothing of prom-client or registries, and does not
 * subscribe: `collectMetrics` does.
 */
import type { DagEvent, RunOutcome, TaskEvent } from '../events';
import { ATTEMPT_OUTCOMES, type AttemptOutcome, RUN_OUTCOMES, TASK_OUTCOMES, type TaskOutcome } from './outcomes';
import { type LabelSet, NO_LABELS } from './runLabels';
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

/** What the runs of one label set came to: per agent, and runs by outcome. */
export interface LabelSetCounts extends LabelSet {
  /** The histograms' bucket bounds, in seconds. */
  readonly bounds: readonly number[];
  readonly agents: Map<string, AgentCounts>;
  readonly runs: Record<RunOutcome, number>;
}

/** Everything counted so far, by label set: one, {@link NO_LABELS}, without run labels. */
export interface Counts {
  /** The histograms' bucket bounds, in seconds. */
  readonly bounds: readonly number[];
  /** By the label set's key. Never shrinks while counted (a counter's series stays once shown); a tally's is cleared only once what it holds is kept elsewhere (`clearCounts`). */
  readonly labelSets: Map<string, LabelSetCounts>;
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
  /** Where the run counts: the counts of its label set, looked up once when the run was first seen. */
  readonly counts: LabelSetCounts;
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
  return { bounds, labelSets: new Map() };
}

function labelSetCountsIn(counts: Counts, { key, labels }: LabelSet): LabelSetCounts {
  let found = counts.labelSets.get(key);
  if (found === undefined) {
    found = { key, labels, bounds: counts.bounds, agents: new Map(), runs: { succeeded: 0, failed: 0, cancelled: 0 } };
    counts.labelSets.set(key, found);
  }
  return found;
}

function agentCountsIn(counts: LabelSetCounts, agent: string): AgentCounts {
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
  for (const fromSet of from.labelSets.values()) {
    const intoSet = labelSetCountsIn(into, fromSet);
    for (const [agent, counts] of fromSet.agents) {
      const target = agentCountsIn(intoSet, agent);
      for (const outcome of ATTEMPT_OUTCOMES) target.attempts[outcome] += counts.attempts[outcome];
      for (const outcome of TASK_OUTCOMES) target.tasks[outcome] += counts.tasks[outcome];
      target.duration.add(counts.duration);
      target.queueWait.add(counts.queueWait);
    }
    for (const outcome of RUN_OUTCOMES) intoSet.runs[outcome] += fromSet.runs[outcome];
  }
}

export class MetricsTally {
  readonly counts: Counts;
  /** Unfinished runs by id. */
  private readonly books = new Map<string, RunBook>();
  /** The time of the last event handled: when the stream ended, as far as its events tell. */
  private lastAt = 0;

  /**
   * `bounds`: the histograms' bucket bounds, in seconds. `labelSetOf`: the label set of a run,
   * asked once when the run is first seen; without it every run counts under {@link NO_LABELS}.
   */
  constructor(
    bounds: readonly number[],
    private readonly labelSetOf?: ((runId: string) => LabelSet) | undefined,
  ) {
    this.counts = emptyCounts(bounds);
    // there from the start, so runs_total shows its zeros before a run has ended
    if (labelSetOf === undefined) labelSetCountsIn(this.counts, NO_LABELS);
  }

  /** Whether no run is open here (every run it saw has ended, or none began): nothing in the gauges. */
  get idle(): boolean {
    return this.books.size === 0;
  }

  /** Forgets what it counted (once its owner has kept it elsewhere); only while {@link idle}, when no open run refers to it. */
  clearCounts(): void {
    if (this.idle) this.counts.labelSets.clear();
  }

  /** Adds the tasks ready (`'ready'`) or the attempts running (`'running'`) now into `into`, by label set key. */
  addOpen(which: 'ready' | 'running', into: Map<string, number>): void {
    for (const book of this.books.values()) into.set(book.counts.key, (into.get(book.counts.key) ?? 0) + book[which].size);
  }

  /** Applies one event of any run. */
  handle(event: DagEvent): void {
    if (event.at > this.lastAt) this.lastAt = event.at;
    switch (event.type) {
      case 'dag.created':
        this.books.set(event.runId, this.newBook(event.runId, event.at));
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
      case 'dag.completed': {
        // the run's label set goes with its book: a long-lived scheduler's ended runs leave nothing here
        const book = this.books.get(event.runId);
        (book?.counts ?? this.labelSetCountsOf(event.runId)).runs[event.outcome]++;
        if (book !== undefined) this.books.delete(event.runId);
        return;
      }
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
        const agent = agentCountsIn(book.counts, event.agent);
        const readyAt = book.ready.get(event.taskId);
        if (readyAt !== undefined) {
          book.ready.delete(event.taskId);
          agent.queueWait.observe((event.at - book.origin - readyAt) / 1000);
        }
        const unended = book.running.get(event.taskId); // only in a stream that lost events
        if (unended !== undefined) this.endAttempt(book, event.taskId, unended, 'interrupted', Math.max(event.at, unended.startedAt));
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
        this.endTask(book, attempt, 'completed');
        return;
      }
      case 'task.failed': {
        const attempt = book.running.get(event.taskId);
        if (attempt !== undefined) this.endAttempt(book, event.taskId, attempt, attempt.timedOut ? 'timed-out' : 'failed', event.at);
        if (!event.willRetry) this.endTask(book, attempt, 'failed');
        else if (attempt !== undefined) book.retrying.set(event.taskId, attempt.agent);
        return;
      }
      case 'task.cancelled': {
        book.ready.delete(event.taskId);
        const attempt = book.running.get(event.taskId);
        if (attempt !== undefined) this.endAttempt(book, event.taskId, attempt, 'cancelled', event.at);
        const waited = book.retrying.get(event.taskId);
        if (waited !== undefined) book.retrying.delete(event.taskId);
        (attempt?.agent ?? waited ?? agentCountsIn(book.counts, NO_AGENT)).tasks.cancelled++;
        return;
      }
      case 'task.skipped':
        this.endTask(book, undefined, 'skipped');
        return;
    }
  }

  /**
   * The stream of events ended at `at` (its scheduler shut down, a run stopped to be resumed: its
   * attempts in flight get no event of their end): each attempt still running ends as
   * `interrupted`, then (never before its last event), and the runs not ended are forgotten
   * (their gauges drop).
   */
  streamEnded(at: number): void {
    const end = Math.max(at, this.lastAt);
    for (const book of this.books.values()) {
      for (const [taskId, attempt] of book.running) this.endAttempt(book, taskId, attempt, 'interrupted', Math.max(end, attempt.startedAt));
    }
    this.books.clear();
  }

  /** The run's book; made on first sight for a run whose start this stream did not show. */
  private bookOf(runId: string, at: number): RunBook {
    let book = this.books.get(runId);
    if (book === undefined) this.books.set(runId, (book = this.newBook(runId, at)));
    return book;
  }

  private newBook(runId: string, at: number): RunBook {
    return { counts: this.labelSetCountsOf(runId), origin: at, ready: new Map(), running: new Map(), retrying: new Map() };
  }

  private labelSetCountsOf(runId: string): LabelSetCounts {
    return labelSetCountsIn(this.counts, this.labelSetOf?.(runId) ?? NO_LABELS);
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
  private endTask(book: RunBook, lastAttempt: RunningAttempt | undefined, outcome: TaskOutcome): void {
    (lastAttempt?.agent ?? agentCountsIn(book.counts, NO_AGENT)).tasks[outcome]++;
  }
}
