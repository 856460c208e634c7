import type { Dag } from '../dag/defineDag';
import type { TaskSpec } from '../dag/schema';
import type {
  FailurePolicy,
  DagCompletedEvent,
  DagEvent,
  ErrorInfo,
  RunOutcome,
  TaskCompletedEvent,
  TaskCounts,
  TaskFailedEvent,
  TaskStartedEvent,
} from '../events';
import { RunDraft } from '../state/runDraft';
import type { RunState, StatusCounts } from '../state/runState';
import { readOutput } from '../state/taskTable';
import type { EventBus } from '../signals';
import type { FlushClock } from './flushClock';
import type { RunJournal } from './runJournal';

/**
 * The one place the scheduler builds events. For one run, it stamps each event with `runId`,
 * the next `seq` and `at` from the flush clock, applies it to the run's open draft (the pure
 * reducer: an illegal event throws before anyone sees it), then hands it to the run's listener
 * and the scheduler's bus (unless the run stopped to be resumed: then to neither). It owns the run's state between flushes: the last snapshot and the
 * open draft, and hands each event to the run's journal when it has one. It decides nothing: the
 * run controller says what happened.
 *
 * Each method writes one event type; its fields match the public `events.*` factories exactly
 * (a spec holds them to that). Events are written out here rather than through the factories
 * because the three hot ones go out once per task and a factory's spread is one more object.
 */

/** Where a run's events go besides the bus: its subscriber and its own views. */
export interface RunListener {
  next(event: DagEvent): void;
  complete(): void;
  error(error: unknown): void;
}

export class EventWriter {
  // the last finished snapshot, and the draft the events since then are applied to
  private state: RunState;
  private openDraft: RunDraft | undefined;
  // task ids by index; replaced when tasks are spawned
  private ids: readonly string[];
  // false once the run stopped to be resumed: see hideFromNowOn
  private shown = true;

  constructor(
    private readonly runId: string,
    initial: RunState,
    private readonly clock: FlushClock,
    private readonly listener: RunListener,
    private readonly bus: EventBus,
    /** Where the run's events are journaled, if it is durable. */
    private readonly journal?: RunJournal,
  ) {
    this.state = initial;
    this.ids = initial.dag.index.ids;
  }

  /** The run's state as of the last event, for reading (opened on first use after a snapshot). */
  get draft(): RunDraft {
    return (this.openDraft ??= new RunDraft(this.state));
  }

  /**
   * The run's state as an immutable snapshot, finishing the open draft. Drafts stay open across
   * flushes until somebody asks (a `state$` listener, the run's end): a flush nobody observes
   * then costs no immer `produce`.
   */
  snapshot(): RunState {
    if (this.openDraft !== undefined) {
      this.state = this.openDraft.finish();
      this.openDraft = undefined;
    }
    return this.state;
  }

  /** Output of a completed task (undefined otherwise), from the open draft if there is one. */
  outputOf(task: number): unknown {
    return this.openDraft !== undefined ? this.openDraft.outputOf(task) : readOutput(this.state.outputs, task);
  }

  created(dagId: string, taskCount: number, failurePolicy: FailurePolicy): DagEvent {
    return this.write({
      type: 'dag.created',
      runId: this.runId,
      seq: this.nextSeq(),
      at: this.clock.now(),
      dagId,
      taskCount,
      failurePolicy,
    });
  }

  ready(task: number): DagEvent {
    return this.write(
      { type: 'task.ready', runId: this.runId, seq: this.nextSeq(), at: this.clock.now(), taskId: this.ids[task]!, attempt: 1 },
      task,
    );
  }

  retrying(task: number, attempt: number): DagEvent {
    return this.write({ type: 'task.retrying', ...this.taskHead(task, attempt) }, task);
  }

  started(task: number, attempt: number, agent: string): TaskStartedEvent {
    const event: TaskStartedEvent = {
      type: 'task.started',
      runId: this.runId,
      seq: this.nextSeq(),
      at: this.clock.now(),
      taskId: this.ids[task]!,
      attempt,
      agent,
    };
    return this.write(event, task);
  }

  completed(task: number, attempt: number, startedAt: number, output: unknown, warning: ErrorInfo | undefined, worker?: string): DagEvent {
    const at = this.clock.now();
    const event: Mutable<TaskCompletedEvent> = {
      type: 'task.completed',
      runId: this.runId,
      seq: this.nextSeq(),
      at,
      taskId: this.ids[task]!,
      attempt,
      durationMs: Math.max(0, at - startedAt), // never negative, when the clock was set back meanwhile
    };
    if (output !== undefined) event.output = output;
    if (warning !== undefined) event.warning = warning;
    if (worker !== undefined) event.worker = worker;
    return this.write(event, task);
  }

  failed(
    task: number,
    attempt: number,
    error: ErrorInfo,
    severity: TaskFailedEvent['severity'],
    willRetry: boolean,
    { worker, retryAfterMs, pausedLimitsMs }: Pick<TaskFailedEvent, 'worker' | 'retryAfterMs' | 'pausedLimitsMs'> = {},
  ): DagEvent {
    const event: Mutable<TaskFailedEvent> = { type: 'task.failed', ...this.taskHead(task, attempt), error, severity, willRetry };
    if (worker !== undefined) event.worker = worker;
    if (retryAfterMs !== undefined) event.retryAfterMs = retryAfterMs;
    if (pausedLimitsMs !== undefined) event.pausedLimitsMs = pausedLimitsMs;
    return this.write(event, task);
  }

  timedOut(task: number, attempt: number, timeoutMs: number): DagEvent {
    return this.write({ type: 'task.timed-out', ...this.taskHead(task, attempt), timeoutMs }, task);
  }

  /** `tasks.spawned`; `grown` is the DAG it makes, built by the caller (the reducer takes it as is). */
  spawned(task: number, attempt: number, tasks: readonly TaskSpec[], grown: Dag): DagEvent {
    const event = this.write({ type: 'tasks.spawned', ...this.taskHead(task, attempt), tasks }, task, grown);
    this.ids = grown.index.ids;
    return event;
  }

  skipped(task: number, attempt: number, because: string): DagEvent {
    return this.write({ type: 'task.skipped', ...this.taskHead(task, attempt), because }, task);
  }

  cancelled(task: number, attempt: number): DagEvent {
    return this.write({ type: 'task.cancelled', ...this.taskHead(task, attempt) }, task);
  }

  stuck(task: number, attempt: number, startedAt: number): DagEvent {
    const head = this.taskHead(task, attempt);
    return this.write({ type: 'task.stuck', ...head, runningForMs: Math.max(0, head.at - startedAt) }, task);
  }

  agentAvailable(agent: string): DagEvent {
    return this.write({ type: 'agent.available', runId: this.runId, seq: this.nextSeq(), at: this.clock.now(), agent });
  }

  healthChecked(counts: StatusCounts): DagEvent {
    return this.write({
      type: 'health.checked',
      runId: this.runId,
      seq: this.nextSeq(),
      at: this.clock.now(),
      running: counts.running,
      ready: counts.ready,
      pending: counts.pending + counts.backoff,
    });
  }

  /**
   * `run.resumed`: this process continues the run of `dagId` (`taskCount` tasks, spawned ones
   * included) after `resumedAfterSeq`, with `maxConcurrency` slots, noting the `metadata` it was given.
   */
  resumed(
    dagId: string,
    taskCount: number,
    interrupted: readonly number[],
    maxConcurrency: number,
    metadata: Readonly<Record<string, unknown>> | undefined,
  ): DagEvent {
    const seq = this.nextSeq();
    return this.write({
      type: 'run.resumed',
      runId: this.runId,
      seq,
      at: this.clock.now(),
      resumedAfterSeq: seq - 1,
      interrupted: interrupted.map((task) => this.ids[task]!),
      dagId,
      taskCount,
      maxConcurrency,
      ...(metadata === undefined ? {} : { metadata }),
    });
  }

  /** `dag.completed`, timed from the run's `dag.created`. */
  dagCompleted(outcome: RunOutcome, counts: TaskCounts): DagCompletedEvent {
    const at = this.clock.now();
    const event: DagCompletedEvent = {
      type: 'dag.completed',
      runId: this.runId,
      seq: this.nextSeq(),
      at,
      outcome,
      counts,
      durationMs: Math.max(0, at - (this.draft.runStartedAt ?? at)),
      failures: this.draft.failures,
    };
    return this.write(event);
  }

  private nextSeq(): number {
    return this.draft.lastSeq + 1;
  }

  /** The common fields of the rarer task events (the hot ones are written out in full). */
  private taskHead(task: number, attempt: number) {
    return { runId: this.runId, seq: this.nextSeq(), at: this.clock.now(), taskId: this.ids[task]!, attempt };
  }

  /**
   * From now on events still fold into the run's state (its attempts and slots wind down as
   * usual) but reach neither its listener nor the bus: a run stopped to be resumed.
   */
  hideFromNowOn(): void {
    this.shown = false;
  }

  private write<E extends DagEvent>(event: E, task?: number, grown?: Dag): E {
    this.draft.applyKnown(event, task, grown);
    if (this.journal !== undefined) this.journal.record(event);
    if (this.shown) {
      this.listener.next(event);
      if (this.bus.observed) this.bus.publish(event);
    }
    return event;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
