/**
 * `rxdag/otel`: OpenTelemetry traces of runs, built from their events. One span per run
 * (`rxdag.run <dagId>`) and one child span per attempt (`rxdag.task <taskId>`), started and ended
 * at the `at` of the events (so traces of runs in virtual time carry virtual times), for any
 * number of runs interleaved on one stream: a `runDag` run, a scheduler's `events$`, a resumed
 * run. It needs `@opentelemetry/api` (an optional peer dependency of rxdag); the core package
 * never loads this entry. It does not set up an SDK, an exporter or a context manager (the
 * application does), and it never changes what a run does: it only listens.
 */
// first: a missing `@opentelemetry/api` is said in one line
import './otelPeer';
import { type Attributes, type Context, context as otelContext, type Tracer } from '@opentelemetry/api';
import { asyncScheduler, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { describeKind, unknownOptionMessages } from '../dag/text';
import type { DagEvent } from '../events';
import { checkEventSource, listenOnce } from './eventSource';
import { RunSpans } from './runSpans';

export type { AttemptOutcome } from './outcomes';

/** Options of {@link traceEvents}. */
export interface TraceOptions {
  /**
   * The DAG id of a run first seen at a `run.resumed` that does not name it (one journaled by an
   * earlier version of rxdag, resumed by a new process that never saw its `dag.created`): its run
   * span is then named `rxdag.run <dagId>` rather than `rxdag.run`. A `run.resumed` of this version
   * names its DAG and task count itself. A throw or a value that is not a string is reported on
   * OpenTelemetry's `diag` logger and taken as `undefined`. @default () => undefined
   */
  readonly dagIdOf?: ((runId: string) => string | undefined) | undefined;
  /**
   * Your attributes for the span an event starts, changes or ends (a model, token counts from an
   * output, a tenant): called synchronously with these events only, its attributes set on that span
   * after rxdag's own for the event:
   *
   * - attempt span: `task.started` (given to `startSpan`, so a sampler sees them), `task.timed-out`,
   *   and the event that ends it: `task.completed` (its `output` is the agent's result),
   *   `task.failed`, `task.cancelled`;
   * - run span: `dag.created`, `run.resumed`, `dag.completed`.
   *
   * Not called for other events, for an event of a span rxdag does not hold (a run whose start the
   * stream did not show), nor for spans ended without an event of their own: attempts ended by the
   * run's `run.resumed` (`interrupted`) or `dag.completed` (`cancelled`), and whatever is open when
   * tracing stops. Names starting with `rxdag.` are rxdag's: the hook's are left out (with a
   * `diag.warn`), so rxdag's attributes keep their meaning. A throw, or a value that is not an object
   * of attributes (`undefined` and `null` give none), is reported with `diag.error` and sets nothing:
   * the span ends as it would have and tracing goes on. Values OpenTelemetry cannot hold (an object)
   * are dropped by the SDK, as on any span. @default undefined (rxdag's attributes only)
   *
   * @example
   * traceEvents(run.events$, tracer, {
   *   attributes: (event) =>
   *     event.type === 'task.completed' ? { 'gen_ai.usage.output_tokens': (event.output as Reply).usage.outputTokens } : undefined,
   * });
   */
  readonly attributes?: ((event: DagEvent) => Attributes | undefined) | undefined;
  /**
   * The clock that ends the spans still open when tracing stops; give the runs' own scheduler
   * (a `TestScheduler` in virtual time). @default asyncScheduler
   */
  readonly scheduler?: SchedulerLike | undefined;
  /** The context run spans are children of. @default the context active when `traceEvents` is called */
  readonly parent?: Context | undefined;
}

/**
 * Traces every run on `events$` with `tracer` until the returned Subscription is unsubscribed
 * (or `events$` ends); spans still open then end at `scheduler.now()`, as `cancelled` when
 * unsubscribed, as `interrupted` when `events$` completes (or errors with `RunInterruptedError`).
 *
 * - Run span `rxdag.run <dagId>`: from `dag.created` to `dag.completed`; attributes
 *   `rxdag.run_id`, `rxdag.dag_id`, `rxdag.task_count`, then `rxdag.outcome` and the task counts
 *   (`rxdag.tasks.completed`, …); status `ERROR` naming the failed tasks when the run failed.
 *   Events: `task.skipped` (a skipped task never ran, so it gets no span), `task.retrying`,
 *   `run.resumed`. A run first seen at its `run.resumed` gets a run span from there, with
 *   `rxdag.resumed: true` (and the DAG id and task count the event carries); events of a run whose start the stream did not show are ignored.
 * - Attempt span `rxdag.task <taskId>`, a child of its run span: from `task.started` to the
 *   attempt's `task.completed`, `task.failed` or `task.cancelled`; attributes `rxdag.run_id`,
 *   `rxdag.dag_id`, `rxdag.task_id`, `rxdag.attempt`, `rxdag.agent`, `rxdag.outcome`
 *   ({@link AttemptOutcome}), `rxdag.worker` for a remote attempt, and `rxdag.severity` and
 *   `rxdag.will_retry` for a failed one; status `ERROR` with the error
 *   message when it failed or timed out (then also an `exception` event). Events: `task.stuck`,
 *   `tasks.spawned`, `task.warning`.
 * - Your own attributes on either span, from its events: the `attributes` option.
 *
 * Throws a TypeError for bad arguments, or when this `events$` is traced with this `tracer`
 * already (every span would be made twice).
 *
 * @example
 * const run = runDag(dag, { agents });
 * const tracing = traceEvents(run.events$, trace.getTracer('my-app'));
 * await lastValueFrom(run);
 * tracing.unsubscribe();
 */
export function traceEvents(events$: Observable<DagEvent>, tracer: Tracer, options: TraceOptions = {}): Subscription {
  checkEventSource(events$);
  if (typeof tracer?.startSpan !== 'function') {
    throw new TypeError(`\`tracer\` must be an OpenTelemetry Tracer (with startSpan) (got ${describeKind(tracer)})`);
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`\`options\` must be an object { dagIdOf?, attributes?, scheduler?, parent? } (got ${describeKind(options)})`);
  }
  const unknown = unknownOptionMessages(options, ['dagIdOf', 'attributes', 'scheduler', 'parent']);
  if (unknown.length > 0) throw new TypeError(`traceEvents: ${unknown.join('; ')}`);
  const { dagIdOf = () => undefined, attributes, scheduler = asyncScheduler, parent = otelContext.active() } = options;
  if (typeof (parent as Partial<Context> | null)?.getValue !== 'function') {
    throw new TypeError(
      `\`parent\` must be an OpenTelemetry Context (e.g. context.active(), or trace.setSpan(context.active(), span)) (got ${describeKind(parent)})`,
    );
  }
  if (typeof dagIdOf !== 'function') {
    throw new TypeError(`\`dagIdOf\` must be a function (runId) => dagId | undefined (got ${describeKind(dagIdOf)})`);
  }
  if (attributes !== undefined && typeof attributes !== 'function') {
    throw new TypeError(`\`attributes\` must be a function (event) => attributes | undefined (got ${describeKind(attributes)})`);
  }
  if (typeof scheduler?.now !== 'function') {
    throw new TypeError(`\`scheduler\` must be an RxJS SchedulerLike (with now()) (got ${describeKind(scheduler)})`);
  }
  const release = listenOnce(
    tracer,
    events$,
    'traceEvents: this events$ is traced with this tracer already: every span would be made twice; unsubscribe the first before tracing it again',
  );
  const spans = new RunSpans(tracer, parent, dagIdOf, attributes);
  let endedAs: 'cancelled' | 'interrupted' = 'cancelled';
  const subscription = events$.subscribe({
    next: (event) => spans.handle(event),
    // the run's own subscribers see its error; the spans still open end below, a run stopped
    // for a resume (`shutdown({ interrupt: true })`) as `interrupted`
    error: (error: unknown) => {
      if ((error as { name?: unknown } | null)?.name === 'RunInterruptedError') endedAs = 'interrupted';
    },
    // a stream that ends (a scheduler's, at its shutdown) ends every run it cancels with a
    // `dag.completed`: a run still open was stopped for a resume (`shutdown({ interrupt: true })`)
    complete: () => (endedAs = 'interrupted'),
  });
  subscription.add(() => {
    spans.endAll(scheduler.now(), endedAs);
    release();
  });
  return subscription;
}
