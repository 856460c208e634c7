import { type HrTime, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { from, lastValueFrom, NEVER, of, Subject } from 'rxjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createScheduler, type DagEvent, defineDag, events as make, fileJournal, runDag, RunInterruptedError } from '../../src';
import { traceEvents } from '../../src/observe/otel';
import { inVirtualTime } from '../support/virtualTime';
import { virtualRun } from './fixtures';

let exporter: InMemorySpanExporter;
let provider: BasicTracerProvider;
beforeEach(() => {
  exporter = new InMemorySpanExporter();
  provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
});
afterEach(() => provider.shutdown());

const tracer = () => provider.getTracer('rxdag-spec');
const ms = ([seconds, nanos]: HrTime) => seconds * 1000 + nanos / 1e6;
const spans = () => exporter.getFinishedSpans();
const named = (name: string) => spans().filter((span) => span.name === name);
const only = (name: string, attempt?: number): ReadableSpan => {
  const found = named(name).filter((span) => attempt === undefined || span.attributes['rxdag.attempt'] === attempt);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const eventTimes = (span: ReadableSpan) => span.events.map((event) => [event.name, ms(event.time), event.attributes]);

describe('traceEvents', () => {
  it('should trace a run with a retry, a timeout and a skipped task, at the times of its events', () => {
    const events = virtualRun({ listen: (events$, ts) => traceEvents(events$, tracer(), { scheduler: ts }) });
    const run = only('rxdag.run demo');
    expect(parentOf(run)).toBeUndefined();
    expect([ms(run.startTime), ms(run.endTime)]).toEqual([0, 13]);
    expect(run.attributes).toEqual({
      'rxdag.run_id': 'r1',
      'rxdag.dag_id': 'demo',
      'rxdag.task_count': 4,
      'rxdag.outcome': 'failed',
      'rxdag.tasks.total': 4,
      'rxdag.tasks.completed': 2,
      'rxdag.tasks.failed': 1,
      'rxdag.tasks.skipped': 1,
      'rxdag.tasks.cancelled': 0,
    });
    expect(run.status).toEqual({ code: SpanStatusCode.ERROR, message: '1 task failed: b (task "b" timed out after 4 ms)' });
    expect(eventTimes(run)).toEqual([
      ['task.skipped', 4, { 'rxdag.task_id': 'c', 'rxdag.because': 'b' }],
      ['task.retrying', 7, { 'rxdag.task_id': 'a', 'rxdag.attempt': 2 }],
    ]);

    const attempts = spans().filter((span) => span.name.startsWith('rxdag.task '));
    expect(attempts.map((span) => `${span.name}#${span.attributes['rxdag.attempt']} ${span.attributes['rxdag.outcome']}`).sort()).toEqual([
      'rxdag.task a#1 failed',
      'rxdag.task a#2 completed',
      'rxdag.task b#1 timed-out',
      'rxdag.task d#1 completed',
    ]);
    for (const span of attempts) {
      expect(parentOf(span)).toBe(run.spanContext().spanId);
      expect(span.spanContext().traceId).toBe(run.spanContext().traceId);
      const taskId = span.attributes['rxdag.task_id'];
      const attempt = span.attributes['rxdag.attempt'];
      expect(span.attributes).toMatchObject({ 'rxdag.run_id': 'r1', 'rxdag.dag_id': 'demo', 'rxdag.agent': 'work' });
      const ofAttempt = events.filter((e) => 'taskId' in e && e.taskId === taskId && e.attempt === attempt);
      const started = ofAttempt.find((e) => e.type === 'task.started')!;
      const ended = ofAttempt.find((e) => e.type === 'task.completed' || e.type === 'task.failed')!;
      expect([ms(span.startTime), ms(span.endTime)]).toEqual([started.at, ended.at]);
    }
  });

  it('should set status ERROR with the error message on failed and timed-out attempts, and record the exception', () => {
    virtualRun({ listen: (events$, ts) => traceEvents(events$, tracer(), { scheduler: ts }) });
    const flaky = only('rxdag.task a', 1);
    expect(flaky.status).toEqual({ code: SpanStatusCode.ERROR, message: 'flaky' });
    expect(flaky.attributes).toMatchObject({ 'rxdag.outcome': 'failed', 'rxdag.will_retry': true, 'rxdag.severity': 'error' });
    expect(eventTimes(flaky)).toEqual([['exception', 2, { 'exception.type': 'Error', 'exception.message': 'flaky' }]]);
    const timedOut = only('rxdag.task b');
    expect(timedOut.status).toEqual({ code: SpanStatusCode.ERROR, message: 'task "b" timed out after 4 ms' });
    expect(timedOut.attributes).toMatchObject({ 'rxdag.outcome': 'timed-out', 'rxdag.timeout_ms': 4, 'rxdag.will_retry': false });
    expect(only('rxdag.task a', 2).status).toEqual({ code: SpanStatusCode.UNSET });
    expect(named('rxdag.task c')).toEqual([]);
  });

  it('should end the attempts of a cancelled run as cancelled, and the run span without an error', () => {
    virtualRun({
      agents: ({ cold }) => ({ work: () => cold('----------(x|)') }),
      cancelAt: 3,
      listen: (events$, ts) => traceEvents(events$, tracer(), { scheduler: ts }),
    });
    const run = only('rxdag.run demo');
    expect([ms(run.endTime), run.attributes['rxdag.outcome'], run.attributes['rxdag.tasks.cancelled']]).toEqual([3, 'cancelled', 4]);
    expect(run.status.code).toBe(SpanStatusCode.UNSET);
    for (const name of ['rxdag.task a', 'rxdag.task b']) {
      const span = only(name);
      expect([ms(span.startTime), ms(span.endTime), span.attributes['rxdag.outcome'], span.status.code]).toEqual([
        0,
        3,
        'cancelled',
        SpanStatusCode.UNSET,
      ]);
    }
    expect(spans()).toHaveLength(3);
  });

  it('should end the spans still open as cancelled at scheduler.now() when unsubscribed', () => {
    inVirtualTime(({ cold }, ts) => {
      const dag = defineDag({ id: 'slow', tasks: [{ id: 'x', agent: 'work' }] });
      const scheduler = createScheduler({ scheduler: ts, healthCheckIntervalMs: 0, agents: { work: () => cold('-'.repeat(50) + '(x|)') } });
      const tracing = traceEvents(scheduler.events$, tracer(), { scheduler: ts });
      scheduler.submit(dag, { runId: 's1' }).subscribe();
      ts.schedule(() => tracing.unsubscribe(), 20);
    });
    expect(spans().map((span) => [span.name, ms(span.startTime), ms(span.endTime), span.attributes['rxdag.outcome']])).toEqual([
      ['rxdag.task x', 0, 20, 'cancelled'],
      ['rxdag.run slow', 0, 20, 'cancelled'],
    ]);
  });

  it('should refuse to trace one events$ twice with the same tracer, and trace it again once the first tracing stopped', async () => {
    const scheduler = createScheduler({ agents: { work: () => 1 }, healthCheckIntervalMs: 0 });
    const dag = defineDag({ id: 'once', tasks: [{ id: 'a', agent: 'work' }] });
    const first = traceEvents(scheduler.events$, tracer());
    expect(() => traceEvents(scheduler.events$, tracer())).toThrow(
      new TypeError(
        'traceEvents: this events$ is traced with this tracer already: every span would be made twice; unsubscribe the first before tracing it again',
      ),
    );
    // another tracer makes its own spans
    const otherExporter = new InMemorySpanExporter();
    const other = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(otherExporter)] });
    const elsewhere = traceEvents(scheduler.events$, other.getTracer('elsewhere'));
    await lastValueFrom(scheduler.submit(dag, { runId: 'r1' }));
    expect(named('rxdag.task a')).toHaveLength(1);
    expect(otherExporter.getFinishedSpans().map((span) => span.name)).toEqual(['rxdag.task a', 'rxdag.run once']);
    first.unsubscribe();
    const again = traceEvents(scheduler.events$, tracer());
    await lastValueFrom(scheduler.submit(dag, { runId: 'r2' }));
    expect(named('rxdag.task a').map((span) => span.attributes['rxdag.run_id'])).toEqual(['r1', 'r2']);
    again.unsubscribe();
    elsewhere.unsubscribe();
    await other.shutdown();
    await scheduler.shutdown();
  });

  it('should keep many runs interleaved on one scheduler apart, each attempt under its own run', () => {
    inVirtualTime(({ cold }, ts) => {
      const dag = defineDag({
        id: 'pair',
        tasks: [
          { id: 'first', agent: 'work' },
          { id: 'second', agent: 'work', deps: ['first'] },
        ],
      });
      const scheduler = createScheduler({
        scheduler: ts,
        healthCheckIntervalMs: 0,
        maxConcurrency: 2,
        agents: { work: () => cold('--(x|)') },
      });
      traceEvents(scheduler.events$, tracer(), { scheduler: ts });
      scheduler.submit(dag, { runId: 'one' }).subscribe();
      ts.schedule(() => scheduler.submit(dag, { runId: 'two' }).subscribe(), 1);
    });
    const runs = named('rxdag.run pair');
    expect(runs.map((span) => [span.attributes['rxdag.run_id'], ms(span.startTime), ms(span.endTime)])).toEqual([
      ['one', 0, 4],
      ['two', 1, 5],
    ]);
    for (const run of runs) {
      const children = spans().filter((span) => parentOf(span) === run.spanContext().spanId);
      expect(children.map((span) => [span.name, span.attributes['rxdag.run_id']])).toEqual([
        ['rxdag.task first', run.attributes['rxdag.run_id']],
        ['rxdag.task second', run.attributes['rxdag.run_id']],
      ]);
    }
    expect(runs[0]!.spanContext().traceId).not.toBe(runs[1]!.spanContext().traceId);
  });

  describe('resumed runs', () => {
    const base = { runId: 'r9' };
    const created = make.dagCreated({ ...base, seq: 1, at: 100, dagId: 'durable', taskCount: 1 });
    const ready = make.taskReady({ ...base, seq: 2, at: 100, taskId: 'a', attempt: 1 });
    const started = (seq: number, at: number) => make.taskStarted({ ...base, seq, at, taskId: 'a', attempt: 1, agent: 'work' });
    const resumed = (seq: number, at: number) => make.runResumed({ ...base, seq, at, resumedAfterSeq: seq - 1, interrupted: ['a'] });
    const afterResume = (seq: number, at: number): DagEvent[] => [
      started(seq, at),
      make.taskCompleted({ ...base, seq: seq + 1, at: at + 5, taskId: 'a', attempt: 1, durationMs: 5, worker: 'host:42' }),
      make.dagCompleted({
        ...base,
        seq: seq + 2,
        at: at + 5,
        outcome: 'succeeded',
        counts: { total: 1, completed: 1, failed: 0, skipped: 0, cancelled: 0 },
        durationMs: at + 5 - 100,
        failures: [],
      }),
    ];

    it('should continue the run span of a run this stream saw start, ending the interrupted attempt', () => {
      traceEvents(from([created, ready, started(3, 110), resumed(4, 200), ...afterResume(5, 210)]), tracer());
      const run = only('rxdag.run durable');
      expect([ms(run.startTime), ms(run.endTime)]).toEqual([100, 215]);
      expect(eventTimes(run)).toEqual([['run.resumed', 200, { 'rxdag.resumed_after_seq': 3, 'rxdag.interrupted': ['a'] }]]);
      const [interrupted, again] = named('rxdag.task a');
      expect([ms(interrupted!.startTime), ms(interrupted!.endTime), interrupted!.attributes['rxdag.outcome']]).toEqual([
        110,
        200,
        'interrupted',
      ]);
      expect([ms(again!.startTime), ms(again!.endTime), again!.attributes['rxdag.outcome'], again!.attributes['rxdag.worker']]).toEqual([
        210,
        215,
        'completed',
        'host:42',
      ]);
      expect(parentOf(again!)).toBe(run.spanContext().spanId);
    });

    it('should start a new run span at run.resumed for a run first seen there, named with dagIdOf', () => {
      traceEvents(from([resumed(4, 200), ...afterResume(5, 210)]), tracer(), {
        dagIdOf: (runId) => (runId === 'r9' ? 'durable' : undefined),
      });
      const run = only('rxdag.run durable');
      expect([ms(run.startTime), ms(run.endTime)]).toEqual([200, 215]);
      expect(run.attributes).toMatchObject({
        'rxdag.run_id': 'r9',
        'rxdag.dag_id': 'durable',
        'rxdag.resumed': true,
        'rxdag.resumed_after_seq': 3,
      });
      // which attempts the stop cut: only the event says it
      expect(eventTimes(run)).toEqual([['run.resumed', 200, { 'rxdag.resumed_after_seq': 3, 'rxdag.interrupted': ['a'] }]]);
      expect(parentOf(only('rxdag.task a'))).toBe(run.spanContext().spanId);
    });

    it('should name the run span rxdag.run when the DAG id is unknown, and ignore runs whose start it never saw', () => {
      traceEvents(from([resumed(4, 200), ...afterResume(5, 210), started(3, 50)]), tracer());
      traceEvents(of(make.taskStarted({ runId: 'elsewhere', seq: 7, at: 1, taskId: 'z', attempt: 1, agent: 'work' })), tracer());
      expect(spans().map((span) => span.name)).toEqual(['rxdag.task a', 'rxdag.run']);
    });
  });

  it('should end the spans of a run stopped for a resume as interrupted, and of one whose stream failed otherwise as cancelled', () => {
    const base = { runId: 'r', dagId: 'd' };
    const started = [
      make.dagCreated({ ...base, seq: 1, at: 0, taskCount: 1 }),
      make.taskReady({ ...base, seq: 2, at: 0, taskId: 'a', attempt: 1 }),
      make.taskStarted({ ...base, seq: 3, at: 1, taskId: 'a', attempt: 1, agent: 'x' }),
    ];
    const outcomes = (error: Error) => {
      exporter.reset();
      const events$ = new Subject<DagEvent>();
      traceEvents(events$, tracer());
      for (const event of started) events$.next(event);
      events$.error(error);
      return spans().map((span) => `${span.name} ${span.attributes['rxdag.outcome']}`);
    };
    expect(outcomes(new RunInterruptedError('r'))).toEqual(['rxdag.task a interrupted', 'rxdag.run d interrupted']);
    expect(outcomes(new Error('the journal broke'))).toEqual(['rxdag.task a cancelled', 'rxdag.run d cancelled']);
  });

  it("should end the spans of runs a scheduler's shutdown left to be resumed as interrupted, not cancelled", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rxdag-otel-'));
    const journal = fileJournal(dir);
    const scheduler = createScheduler({ agents: { slow: () => new Promise(() => {}) }, healthCheckIntervalMs: 0, journal });
    traceEvents(scheduler.events$, tracer());
    const errors: unknown[] = [];
    scheduler
      .submit(defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'slow' }] }), { runId: 'r' })
      .subscribe({ error: (error) => errors.push(error) });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await scheduler.shutdown({ interrupt: true });
    expect(errors).toEqual([expect.any(RunInterruptedError)]);
    expect(spans().map((span) => `${span.name} ${span.attributes['rxdag.outcome']}`)).toEqual([
      'rxdag.task a interrupted',
      'rxdag.run d interrupted',
    ]);
    expect((await journal.runs()).map((run) => run.status)).toEqual(['interrupted']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('should do nothing harmful with the API’s no-op tracer', () => {
    const tracing = traceEvents(NEVER, trace.getTracer('none'));
    expect(() => virtualRun({ listen: (events$) => traceEvents(events$, trace.getTracer('none')) })).not.toThrow();
    tracing.unsubscribe();
  });

  it('should name the worker of a remote attempt that failed there', () => {
    traceEvents(
      from([
        make.dagCreated({ runId: 'r', seq: 1, at: 0, dagId: 'd', taskCount: 1 }),
        make.taskStarted({ runId: 'r', seq: 2, at: 1, taskId: 'a', attempt: 1, agent: 'work' }),
        make.taskFailed({
          runId: 'r',
          seq: 3,
          at: 5,
          taskId: 'a',
          attempt: 1,
          error: { name: 'E', message: 'm' },
          severity: 'error',
          willRetry: false,
          worker: 'host:42',
        }),
      ]),
      tracer(),
    );
    expect(only('rxdag.task a').attributes).toMatchObject({ 'rxdag.worker': 'host:42', 'rxdag.outcome': 'failed' });
  });

  it('should refuse a run itself, which would start its DAG again, and run nothing', () => {
    let calls = 0;
    const run = runDag(defineDag({ id: 'once', tasks: [{ id: 'a', agent: 'work' }] }), { agents: { work: () => ++calls } });
    expect(() => traceEvents(run, tracer())).toThrow(
      /^`events\$` is a run, which starts its DAG again on each subscription: pass `run.events\$`/,
    );
    expect(calls).toBe(0);
    expect(() => traceEvents(run.events$, tracer()).unsubscribe()).not.toThrow();
  });

  it('should refuse bad arguments with a TypeError', () => {
    expect(() => traceEvents({} as never, tracer())).toThrow(new TypeError('`events$` must be an Observable of rxdag events'));
    expect(() => traceEvents(NEVER, {} as never)).toThrow(
      new TypeError('`tracer` must be an OpenTelemetry Tracer (with startSpan) (got an object)'),
    );
    expect(() => traceEvents(NEVER, tracer(), { scheduler: {} as never })).toThrow(
      new TypeError('`scheduler` must be an RxJS SchedulerLike (with now()) (got an object)'),
    );
    expect(() => traceEvents(NEVER, tracer(), null as never)).toThrow(
      new TypeError('`options` must be an object { dagIdOf?, attributes?, scheduler?, parent? } (got null)'),
    );
    expect(() => traceEvents(NEVER, tracer(), { atributes: () => ({}) } as never)).toThrow(
      new TypeError('traceEvents: unknown option `atributes` (did you mean `attributes`?)'),
    );
    expect(() => traceEvents(NEVER, tracer(), { parent: 5 as never })).toThrow(/^`parent` must be an OpenTelemetry Context .* \(got 5\)$/);
    expect(() => traceEvents(NEVER, tracer(), { dagIdOf: 'demo' as never })).toThrow(
      new TypeError('`dagIdOf` must be a function (runId) => dagId | undefined (got "demo")'),
    );
    // a string given in the wrong place may be a secret: a URL's password is hidden, a long string not shown
    expect(() => traceEvents(NEVER, 'https://u:S3CRET@otel' as never)).toThrow(
      new TypeError('`tracer` must be an OpenTelemetry Tracer (with startSpan) (got "https://u:***@otel")'),
    );
    expect(() => traceEvents(NEVER, tracer(), { parent: 'x'.repeat(41) as never })).toThrow(/\(got a string of 41 characters\)$/);
  });
});
