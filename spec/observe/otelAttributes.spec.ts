import { type Attributes, diag, type DiagLogger, DiagLogLevel, type HrTime } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  type Sampler,
  SamplingDecision,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { from } from 'rxjs';
import type { RunHelpers } from 'rxjs/testing';
import { type Agent, type DagEvent, events as make } from '../../src';
import { traceEvents } from '../../src/observe/otel';
import { virtualRun } from './fixtures';

let exporter: InMemorySpanExporter;
let provider: BasicTracerProvider;
/** What rxdag reported on OpenTelemetry's diag logger, as `level: message`. */
let reported: string[];
beforeEach(() => {
  exporter = new InMemorySpanExporter();
  provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  reported = [];
  const logTo =
    (level: string) =>
    (message: string, ...args: unknown[]) =>
      reported.push(
        `${level}: ${message}${args.length > 0 ? ` [${args.map((arg) => (arg as Error)?.message ?? String(arg)).join(', ')}]` : ''}`,
      );
  const logger: DiagLogger = { error: logTo('error'), warn: logTo('warn'), info: () => {}, debug: () => {}, verbose: () => {} };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
});
afterEach(async () => {
  diag.disable();
  await provider.shutdown();
});

const tracer = () => provider.getTracer('rxdag-spec');
const ms = ([seconds, nanos]: HrTime) => seconds * 1000 + nanos / 1e6;
const spans = () => exporter.getFinishedSpans();
const only = (name: string, attempt?: number): ReadableSpan => {
  const found = spans().filter((span) => span.name === name && (attempt === undefined || span.attributes['rxdag.attempt'] === attempt));
  expect(found).toHaveLength(1);
  return found[0]!;
};
/** The attributes of a span that are not rxdag's. */
const own = (span: ReadableSpan): Attributes =>
  Object.fromEntries(Object.entries(span.attributes).filter(([name]) => !name.startsWith('rxdag.')));

/** The demo run's agents answering like a language model: a reply with its model and token count. */
interface Reply {
  readonly model: string;
  readonly usage: { readonly outputTokens: number };
}
const replyingAgents = ({ cold }: RunHelpers): Record<string, Agent> => ({
  work: ({ id, attempt }) => {
    if (id === 'a' && attempt === 1) return cold('--#', undefined, new Error('flaky'));
    const reply: Reply = { model: 'small-1', usage: { outputTokens: id === 'a' ? 120 : 45 } };
    return cold(id === 'b' ? '----------(x|)' : '---(x|)', { x: reply });
  },
});

const tokensOf = (event: DagEvent): Attributes | undefined => {
  if (event.type !== 'task.completed') return undefined;
  const reply = event.output as Reply;
  return { 'gen_ai.response.model': reply.model, 'gen_ai.usage.output_tokens': reply.usage.outputTokens };
};

describe('traceEvents: the attributes option', () => {
  it('should set the attributes of a task’s output on its attempt span, at task.completed', () => {
    virtualRun({
      agents: replyingAgents,
      listen: (events$, ts) => traceEvents(events$, tracer(), { scheduler: ts, attributes: tokensOf }),
    });
    expect(own(only('rxdag.task a', 2))).toEqual({ 'gen_ai.response.model': 'small-1', 'gen_ai.usage.output_tokens': 120 });
    expect(own(only('rxdag.task d'))).toEqual({ 'gen_ai.response.model': 'small-1', 'gen_ai.usage.output_tokens': 45 });
    expect(own(only('rxdag.task a', 1))).toEqual({});
    expect(own(only('rxdag.task b'))).toEqual({});
    expect(own(only('rxdag.run demo'))).toEqual({});
    expect(only('rxdag.task d').attributes['rxdag.outcome']).toBe('completed');
    expect(reported).toEqual([]);
  });

  it('should be called with the events that start, end or set the status of a span, and no others', () => {
    const seen: string[] = [];
    virtualRun({
      listen: (events$, ts) =>
        traceEvents(events$, tracer(), {
          scheduler: ts,
          attributes: (event) => {
            seen.push(`${event.at} ${event.type}${'taskId' in event ? ` ${event.taskId}#${event.attempt}` : ''}`);
            return undefined;
          },
        }),
    });
    expect(seen).toEqual([
      '0 dag.created',
      '0 task.started a#1',
      '0 task.started b#1',
      '2 task.failed a#1',
      '4 task.timed-out b#1',
      '4 task.failed b#1',
      '7 task.started a#2',
      '10 task.completed a#2',
      '10 task.started d#1',
      '13 task.completed d#1',
      '13 dag.completed',
    ]);
  });

  it('should give the attributes of task.started to startSpan, where a sampler sees them', () => {
    const sampled: Attributes[] = [];
    const sampler: Sampler = {
      shouldSample: (_context, _traceId, _name, _kind, attributes) => {
        sampled.push(attributes);
        return { decision: SamplingDecision.RECORD_AND_SAMPLED };
      },
      toString: () => 'recording',
    };
    provider = new BasicTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tiers: Record<string, string> = { a: 'premium', b: 'basic', d: 'basic' };
    virtualRun({
      listen: (events$, ts) =>
        traceEvents(events$, tracer(), {
          scheduler: ts,
          attributes: (event) => (event.type === 'task.started' ? { 'app.agent_tier': tiers[event.taskId]! } : undefined),
        }),
    });
    for (const [name, attempt, tier] of [
      ['rxdag.task a', 1, 'premium'],
      ['rxdag.task a', 2, 'premium'],
      ['rxdag.task b', 1, 'basic'],
      ['rxdag.task d', 1, 'basic'],
    ] as const) {
      expect(own(only(name, attempt))).toEqual({ 'app.agent_tier': tier });
    }
    const sampledAttempts = sampled.filter((attributes) => attributes['rxdag.task_id'] !== undefined);
    expect(sampledAttempts.map((attributes) => [attributes['rxdag.task_id'], attributes['app.agent_tier']])).toEqual([
      ['a', 'premium'],
      ['b', 'basic'],
      ['a', 'premium'],
      ['d', 'basic'],
    ]);
  });

  it('should set run attributes from dag.created at the start and from dag.completed at the end', () => {
    const tenants: Record<string, string> = { demo: 'acme' };
    virtualRun({
      listen: (events$, ts) =>
        traceEvents(events$, tracer(), {
          scheduler: ts,
          attributes: (event) => {
            if (event.type === 'dag.created') return { 'app.tenant': tenants[event.dagId]! };
            if (event.type === 'dag.completed') return { 'app.failed_share': event.counts.failed / event.counts.total };
            return undefined;
          },
        }),
    });
    const run = only('rxdag.run demo');
    expect(own(run)).toEqual({ 'app.tenant': 'acme', 'app.failed_share': 0.25 });
    expect(run.attributes['rxdag.outcome']).toBe('failed');
    for (const span of spans().filter((span) => span !== run)) expect(own(span)).toEqual({});
  });

  describe('run.resumed', () => {
    const base = { runId: 'r9' };
    const started = (seq: number, at: number) => make.taskStarted({ ...base, seq, at, taskId: 'a', attempt: 1, agent: 'work' });
    const resumed = (seq: number, at: number) => make.runResumed({ ...base, seq, at, resumedAfterSeq: seq - 1, interrupted: ['a'] });
    const resumes = (event: DagEvent): Attributes | undefined =>
      event.type === 'run.resumed' ? { 'app.resumed_at_seq': event.seq } : undefined;

    it('should set its attributes on the run span it starts, in a process that did not see the run start', () => {
      traceEvents(from([resumed(4, 200), started(5, 210)]), tracer(), { attributes: resumes }).unsubscribe();
      expect(own(only('rxdag.run'))).toEqual({ 'app.resumed_at_seq': 4 });
      expect(own(only('rxdag.task a'))).toEqual({});
    });

    it('should set its attributes on the run span that goes on, not on the attempt it interrupts', () => {
      const created = make.dagCreated({ ...base, seq: 1, at: 100, dagId: 'durable', taskCount: 1 });
      traceEvents(from([created, started(2, 110), resumed(3, 200)]), tracer(), { attributes: resumes }).unsubscribe();
      expect(own(only('rxdag.run durable'))).toEqual({ 'app.resumed_at_seq': 3 });
      const interrupted = only('rxdag.task a');
      expect([ms(interrupted.endTime), interrupted.attributes['rxdag.outcome'], own(interrupted)]).toEqual([200, 'interrupted', {}]);
    });
  });

  it('should leave out the names starting with rxdag., at the start of a span and at its end', () => {
    virtualRun({
      listen: (events$, ts) =>
        traceEvents(events$, tracer(), {
          scheduler: ts,
          attributes: (event) => {
            if (event.type === 'task.started' && event.taskId === 'd') return { 'rxdag.agent': 'someone-else', 'app.queue': 'fast' };
            if (event.type === 'task.completed' && event.taskId === 'd')
              return { 'rxdag.outcome': 'great', 'rxdag.tokens': 7, 'app.tokens': 7 };
            return undefined;
          },
        }),
    });
    const d = only('rxdag.task d');
    expect(d.attributes).toMatchObject({ 'rxdag.agent': 'work', 'rxdag.outcome': 'completed', 'app.queue': 'fast', 'app.tokens': 7 });
    expect(d.attributes['rxdag.tokens']).toBeUndefined();
    expect(reported).toEqual([
      'warn: rxdag/otel: `attributes` returned names rxdag keeps for its own (rxdag.agent) for task.started of task "d" (attempt 1) in run "r1"; they are left out',
      'warn: rxdag/otel: `attributes` returned names rxdag keeps for its own (rxdag.outcome, rxdag.tokens) for task.completed of task "d" (attempt 1) in run "r1"; they are left out',
    ]);
  });

  it('should end every span as without the hook, and go on tracing, when the hook throws', () => {
    const seen: DagEvent[] = [];
    virtualRun({
      agents: replyingAgents,
      listen: (events$, ts) =>
        traceEvents(events$, tracer(), {
          scheduler: ts,
          attributes: (event) => {
            seen.push(event);
            // a failed attempt has no output: reading its tokens throws, as in a careless hook
            if (event.type === 'task.failed') return { tokens: (event as unknown as { output: Reply }).output.usage.outputTokens };
            if (event.type === 'dag.created') throw new Error('tenant lookup failed');
            return tokensOf(event);
          },
        }),
    });
    expect(seen).toHaveLength(11);
    const run = only('rxdag.run demo');
    expect([ms(run.startTime), ms(run.endTime), run.attributes['rxdag.outcome'], own(run)]).toEqual([0, 13, 'failed', {}]);
    const failed = only('rxdag.task a', 1);
    expect([ms(failed.endTime), failed.attributes['rxdag.outcome'], own(failed)]).toEqual([2, 'failed', {}]);
    expect(only('rxdag.task b').attributes['rxdag.outcome']).toBe('timed-out');
    expect(own(only('rxdag.task d'))).toEqual({ 'gen_ai.response.model': 'small-1', 'gen_ai.usage.output_tokens': 45 });
    expect(spans()).toHaveLength(5);
    expect(reported).toEqual([
      'error: rxdag/otel: `attributes` threw for dag.created of run "r1"; the span has rxdag\'s attributes only [tenant lookup failed]',
      expect.stringMatching(
        /^error: rxdag\/otel: `attributes` threw for task\.failed of task "a" \(attempt 1\) in run "r1"; .* \[Cannot read/,
      ),
      expect.stringMatching(/^error: rxdag\/otel: `attributes` threw for task\.failed of task "b" \(attempt 1\) in run "r1"; /),
    ]);
  });

  it('should report a value that is not an object of attributes, and set nothing from it', () => {
    const answers: unknown[] = ['gpt', Promise.resolve({ tokens: 1 }), [['tokens', 1]], 5, null];
    const events = [
      make.dagCreated({ runId: 'r', seq: 1, at: 0, dagId: 'd', taskCount: 1 }),
      make.taskStarted({ runId: 'r', seq: 2, at: 1, taskId: 'a', attempt: 1, agent: 'work' }),
      make.taskTimedOut({ runId: 'r', seq: 3, at: 5, taskId: 'a', attempt: 1, timeoutMs: 4 }),
      make.taskFailed({
        runId: 'r',
        seq: 4,
        at: 5,
        taskId: 'a',
        attempt: 1,
        error: { name: 'E', message: 'm' },
        severity: 'error',
        willRetry: false,
      }),
    ];
    traceEvents(from(events), tracer(), { attributes: () => answers.shift() as Attributes }).unsubscribe();
    expect(spans().map((span) => [span.name, own(span)])).toEqual([
      ['rxdag.task a', {}],
      ['rxdag.run d', {}],
    ]);
    expect(only('rxdag.task a').attributes['rxdag.outcome']).toBe('timed-out');
    expect(reported).toEqual([
      'error: rxdag/otel: `attributes` must return an object of attributes or undefined (got "gpt" for dag.created of run "r")',
      'error: rxdag/otel: `attributes` must return an object of attributes or undefined (got a promise for task.started of task "a" (attempt 1) in run "r"): return the attributes themselves',
      'error: rxdag/otel: `attributes` must return an object of attributes or undefined (got an array for task.timed-out of task "a" (attempt 1) in run "r")',
      'error: rxdag/otel: `attributes` must return an object of attributes or undefined (got 5 for task.failed of task "a" (attempt 1) in run "r")',
    ]);
  });

  it('should refuse an attributes option that is not a function, naming the value', () => {
    expect(() => traceEvents(from([]), tracer(), { attributes: 'tokens' as never })).toThrow(
      new TypeError('`attributes` must be a function (event) => attributes | undefined (got "tokens")'),
    );
    expect(() => traceEvents(from([]), tracer(), { attributes: { model: 'small-1' } as never })).toThrow(
      new TypeError('`attributes` must be a function (event) => attributes | undefined (got an object)'),
    );
    expect(() => traceEvents(from([]), tracer(), { attributes: undefined }).unsubscribe()).not.toThrow();
  });

  it('should name a run first seen at its run.resumed after the DAG the event names, without dagIdOf', () => {
    const dagIdOf = jest.fn(() => 'from-the-application');
    traceEvents(
      from([
        make.runResumed({ runId: 'r', seq: 4, at: 200, resumedAfterSeq: 3, interrupted: [], dagId: 'nightly', taskCount: 7 }),
        make.taskStarted({ runId: 'r', seq: 5, at: 210, taskId: 'a', attempt: 1, agent: 'work' }),
      ]),
      tracer(),
      { dagIdOf },
    ).unsubscribe();
    expect(spans().map((span) => [span.name, span.attributes['rxdag.dag_id'], span.attributes['rxdag.task_count']])).toEqual([
      ['rxdag.task a', 'nightly', undefined],
      ['rxdag.run nightly', 'nightly', 7],
    ]);
    expect(dagIdOf).not.toHaveBeenCalled();
  });

  it('should name the run span rxdag.run, and go on, when dagIdOf throws or gives no string', () => {
    const resumedRun = (runId: string) => [
      make.runResumed({ runId, seq: 4, at: 200, resumedAfterSeq: 3, interrupted: [] }),
      make.taskStarted({ runId, seq: 5, at: 210, taskId: 'a', attempt: 1, agent: 'work' }),
    ];
    const dagIdOf = (runId: string) => {
      if (runId === 'broken') throw new Error('no catalogue');
      return 42 as never;
    };
    traceEvents(from([...resumedRun('broken'), ...resumedRun('odd')]), tracer(), { dagIdOf }).unsubscribe();
    expect(spans().map((span) => [span.name, span.attributes['rxdag.run_id'], span.attributes['rxdag.dag_id']])).toEqual([
      ['rxdag.task a', 'broken', undefined],
      ['rxdag.run', 'broken', undefined],
      ['rxdag.task a', 'odd', undefined],
      ['rxdag.run', 'odd', undefined],
    ]);
    expect(reported).toEqual([
      'error: rxdag/otel: `dagIdOf` threw for run "broken"; its span is named rxdag.run [no catalogue]',
      'error: rxdag/otel: `dagIdOf` must return a DAG id (a string) or undefined (got 42 for run "odd")',
    ]);
  });
});
