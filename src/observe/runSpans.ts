/**
 * Folds the events of many interleaved runs into OpenTelemetry spans: one span per run, one child
 * span per attempt, each opened and closed at the `at` of the events that begin and end it.
 * The engine of `traceEvents` (`rxdag/otel`): it holds the spans still open and nothing else, so a
 * finished run leaves nothing behind. It does not subscribe, check arguments or read a clock:
 * `traceEvents` does, and passes the time to close what is still open with {@link RunSpans.endAll}.
 * The application's `attributes` hook is called with each event that starts a span, ends it or sets
 * its status (and `run.resumed`), and what it gives is set on that span after rxdag's attributes.
 */
import { type Attributes, type Context, type HrTime, type Span, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type {
  DagCompletedEvent,
  DagCreatedEvent,
  DagEvent,
  RunResumedEvent,
  TaskCompletedEvent,
  TaskEvent,
  TaskFailedEvent,
  TaskStartedEvent,
} from '../events';
import type { AttemptOutcome } from './outcomes';
import { type AttributesHook, attributesFor, dagIdFor } from './traceHooks';

/** An attempt span still open. */
interface OpenAttempt {
  readonly span: Span;
  readonly startedAt: number;
  /** Set by `task.timed-out`: the `task.failed` that follows ends the attempt as `timed-out`. */
  timedOut: boolean;
}

/** A run span still open, with its attempts. */
interface OpenRun {
  readonly span: Span;
  /** The run span as a parent: made once per run, not once per attempt. */
  readonly context: Context;
  readonly dagId: string | undefined;
  readonly startedAt: number;
  readonly attempts: Map<string, OpenAttempt>;
}

/** Most failed tasks a failed run's status message names. */
const FAILURES_NAMED = 3;

/**
 * Milliseconds as an OpenTelemetry `HrTime`. Given as a plain number, a time earlier than the
 * process's `performance.now()` (every virtual time) would be taken for a performance timestamp
 * and shifted by the SDK; a `[seconds, nanoseconds]` pair is taken as it is.
 */
export function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return nanos >= 1e9 ? [seconds + 1, nanos - 1e9] : [seconds, nanos];
}

/**
 * {@link hrTime} of the last milliseconds asked for, kept: the events of one flush share their
 * `at` (a 100k-task run has a few hundred distinct times), so most attempts start and end on a
 * time already converted. The pair is frozen, so no span can change the time another one holds.
 */
class RecentHrTime {
  private lastMs = Number.NaN;
  private last: HrTime = [0, 0];

  of(ms: number): HrTime {
    if (ms !== this.lastMs) {
      this.last = Object.freeze(hrTime(ms)) as HrTime;
      this.lastMs = ms;
    }
    return this.last;
  }
}

export class RunSpans {
  /** Open runs by run id: the interleaved runs of one event stream. */
  private readonly runs = new Map<string, OpenRun>();
  /** Where every event time becomes an `HrTime`. */
  private readonly time = new RecentHrTime();

  constructor(
    private readonly tracer: Tracer,
    /** The context run spans are children of. */
    private readonly parent: Context,
    /** The DAG id of a run first seen at a `run.resumed` that does not carry it (a journal of an earlier version). */
    private readonly dagIdOf: (runId: string) => string | undefined,
    /** The application's attributes for a span, from the events that start, change or end it. */
    private readonly attributesOf: AttributesHook | undefined,
  ) {}

  /** Applies one event of any run; events of a run whose start was not seen are ignored. */
  handle(event: DagEvent): void {
    switch (event.type) {
      case 'dag.created':
        this.openRun(event, event.dagId, { 'rxdag.task_count': event.taskCount });
        return;
      case 'run.resumed':
        this.resumed(event);
        return;
      case 'dag.completed':
        this.completed(event);
        return;
      case 'agent.available':
      case 'health.checked':
      case 'task.ready':
        return;
      default:
        this.taskEvent(event);
    }
  }

  /**
   * Ends every open span at `now` (attempts first) as `cancelled`, as when tracing stops, or as
   * `interrupted` when the run's stream ended with `RunInterruptedError` (left to be resumed).
   */
  endAll(now: number, as: 'cancelled' | 'interrupted' = 'cancelled'): void {
    for (const [runId, run] of this.runs) {
      for (const attempt of run.attempts.values()) this.endAttempt(attempt, as, Math.max(now, attempt.startedAt));
      run.span.setAttribute('rxdag.outcome', as);
      run.span.end(this.time.of(Math.max(now, run.startedAt)));
      this.runs.delete(runId);
    }
  }

  private taskEvent(event: TaskEvent): void {
    const run = this.runs.get(event.runId);
    if (run === undefined) return;
    switch (event.type) {
      case 'task.started':
        this.started(run, event);
        return;
      case 'task.completed':
        this.taskCompleted(run, event);
        return;
      case 'task.failed':
        this.failed(run, event);
        return;
      case 'task.timed-out': {
        const attempt = run.attempts.get(event.taskId);
        if (attempt === undefined) return;
        attempt.timedOut = true;
        attempt.span.setAttribute('rxdag.timeout_ms', event.timeoutMs);
        attempt.span.setStatus({ code: SpanStatusCode.ERROR, message: `task "${event.taskId}" timed out after ${event.timeoutMs} ms` });
        this.setHookAttributes(attempt.span, event);
        return;
      }
      case 'task.cancelled': {
        const attempt = run.attempts.get(event.taskId);
        if (attempt === undefined) return; // never started: the run span's counts have it
        run.attempts.delete(event.taskId);
        this.setHookAttributes(attempt.span, event);
        this.endAttempt(attempt, 'cancelled', event.at);
        return;
      }
      case 'task.skipped':
        // an event, not a span: a skipped task never ran, so a span would show work that never was
        run.span.addEvent('task.skipped', { 'rxdag.task_id': event.taskId, 'rxdag.because': event.because }, this.time.of(event.at));
        return;
      case 'task.retrying':
        run.span.addEvent('task.retrying', { 'rxdag.task_id': event.taskId, 'rxdag.attempt': event.attempt }, this.time.of(event.at));
        return;
      case 'task.stuck':
        run.attempts.get(event.taskId)?.span.addEvent('task.stuck', { 'rxdag.running_for_ms': event.runningForMs }, this.time.of(event.at));
        return;
      case 'tasks.spawned':
        run.attempts
          .get(event.taskId)
          ?.span.addEvent('tasks.spawned', { 'rxdag.spawned_task_ids': event.tasks.map((task) => task.id) }, this.time.of(event.at));
        return;
    }
  }

  private openRun(event: DagCreatedEvent | RunResumedEvent, dagId: string | undefined, attributes: Attributes): void {
    const { runId, at } = event;
    const previous = this.runs.get(runId);
    if (previous !== undefined) {
      // the same run id started again: the old run is over for this stream
      for (const attempt of previous.attempts.values()) this.endAttempt(attempt, 'cancelled', Math.max(at, attempt.startedAt));
      previous.span.setAttribute('rxdag.outcome', 'cancelled');
      previous.span.end(this.time.of(Math.max(at, previous.startedAt)));
    }
    const span = this.tracer.startSpan(
      dagId === undefined ? 'rxdag.run' : `rxdag.run ${dagId}`,
      {
        startTime: this.time.of(at),
        attributes: {
          'rxdag.run_id': runId,
          ...(dagId === undefined ? {} : { 'rxdag.dag_id': dagId }),
          ...attributes,
          ...attributesFor(this.attributesOf, event),
        },
      },
      this.parent,
    );
    this.runs.set(runId, { span, context: trace.setSpan(this.parent, span), dagId, startedAt: at, attempts: new Map() });
  }

  private resumed(event: RunResumedEvent): void {
    const run = this.runs.get(event.runId);
    if (run === undefined) {
      // a new process: the run's earlier spans, if any, were another process's
      this.openRun(event, event.dagId ?? dagIdFor(this.dagIdOf, event.runId), {
        'rxdag.resumed': true,
        'rxdag.resumed_after_seq': event.resumedAfterSeq,
        ...(event.taskCount === undefined ? {} : { 'rxdag.task_count': event.taskCount }),
      });
      // the event too: which attempts the stop cut is known only from it
      this.runs.get(event.runId)!.span.addEvent('run.resumed', resumedAttributes(event), this.time.of(event.at));
      return;
    }
    run.span.addEvent('run.resumed', resumedAttributes(event), this.time.of(event.at));
    this.setHookAttributes(run.span, event);
    for (const taskId of event.interrupted) {
      const attempt = run.attempts.get(taskId);
      if (attempt === undefined) continue;
      run.attempts.delete(taskId);
      this.endAttempt(attempt, 'interrupted', event.at);
    }
  }

  private started(run: OpenRun, event: TaskStartedEvent): void {
    const attributes: Attributes = {
      'rxdag.run_id': event.runId,
      'rxdag.task_id': event.taskId,
      'rxdag.attempt': event.attempt,
      'rxdag.agent': event.agent,
    };
    if (run.dagId !== undefined) attributes['rxdag.dag_id'] = run.dagId;
    // given at start, with rxdag's: a sampler sees them
    Object.assign(attributes, attributesFor(this.attributesOf, event));
    const unended = run.attempts.get(event.taskId); // only in a stream that lost events
    if (unended !== undefined) this.endAttempt(unended, 'interrupted', Math.max(event.at, unended.startedAt));
    const span = this.tracer.startSpan(`rxdag.task ${event.taskId}`, { startTime: this.time.of(event.at), attributes }, run.context);
    run.attempts.set(event.taskId, { span, startedAt: event.at, timedOut: false });
  }

  private taskCompleted(run: OpenRun, event: TaskCompletedEvent): void {
    const attempt = run.attempts.get(event.taskId);
    if (attempt === undefined) return;
    run.attempts.delete(event.taskId);
    if (event.worker !== undefined) attempt.span.setAttribute('rxdag.worker', event.worker);
    if (event.warning !== undefined) {
      attempt.span.addEvent(
        'task.warning',
        { 'exception.type': event.warning.name, 'exception.message': event.warning.message },
        this.time.of(event.at),
      );
    }
    this.setHookAttributes(attempt.span, event);
    this.endAttempt(attempt, 'completed', event.at);
  }

  private failed(run: OpenRun, event: TaskFailedEvent): void {
    const attempt = run.attempts.get(event.taskId);
    if (attempt === undefined) return;
    run.attempts.delete(event.taskId);
    const { span } = attempt;
    span.setAttributes({ 'rxdag.severity': event.severity, 'rxdag.will_retry': event.willRetry });
    if (event.worker !== undefined) span.setAttribute('rxdag.worker', event.worker);
    span.recordException({ name: event.error.name, message: event.error.message }, this.time.of(event.at));
    span.setStatus({ code: SpanStatusCode.ERROR, message: event.error.message });
    this.setHookAttributes(span, event);
    this.endAttempt(attempt, attempt.timedOut ? 'timed-out' : 'failed', event.at);
  }

  private completed(event: DagCompletedEvent): void {
    const run = this.runs.get(event.runId);
    if (run === undefined) return;
    this.runs.delete(event.runId);
    for (const attempt of run.attempts.values()) this.endAttempt(attempt, 'cancelled', event.at);
    const { counts } = event;
    run.span.setAttributes({
      'rxdag.outcome': event.outcome,
      'rxdag.tasks.total': counts.total,
      'rxdag.tasks.completed': counts.completed,
      'rxdag.tasks.failed': counts.failed,
      'rxdag.tasks.skipped': counts.skipped,
      'rxdag.tasks.cancelled': counts.cancelled,
    });
    if (event.outcome === 'failed') run.span.setStatus({ code: SpanStatusCode.ERROR, message: failureMessage(event) });
    this.setHookAttributes(run.span, event);
    run.span.end(this.time.of(event.at));
  }

  /** Sets the hook's attributes for `event` on `span`, after rxdag's. */
  private setHookAttributes(span: Span, event: DagEvent): void {
    const attributes = attributesFor(this.attributesOf, event);
    if (attributes !== undefined) span.setAttributes(attributes);
  }

  private endAttempt(attempt: OpenAttempt, outcome: AttemptOutcome, at: number): void {
    attempt.span.setAttribute('rxdag.outcome', outcome);
    attempt.span.end(this.time.of(at));
  }
}

/** `2 tasks failed: a (disk full); b (timed out)`, naming at most {@link FAILURES_NAMED}. */
function failureMessage({ failures }: DagCompletedEvent): string {
  if (failures.length === 0) return 'the run failed';
  const named = failures
    .slice(0, FAILURES_NAMED)
    .map((failure) => `${failure.taskId} (${failure.error.message})`)
    .join('; ');
  const more = failures.length > FAILURES_NAMED ? `; and ${failures.length - FAILURES_NAMED} more` : '';
  return `${failures.length} ${failures.length === 1 ? 'task' : 'tasks'} failed: ${named}${more}`;
}

/** The attributes of a run span's `run.resumed` event. */
function resumedAttributes(event: RunResumedEvent): Attributes {
  return { 'rxdag.resumed_after_seq': event.resumedAfterSeq, 'rxdag.interrupted': [...event.interrupted] };
}
