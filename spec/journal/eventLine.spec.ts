import fc from 'fast-check';
import type { DagEvent } from '../../src';
import { eventLineEncoder } from '../../src/journal/eventLine';

/**
 * The journal's event encoder against `JSON.stringify`: the same text for every event the
 * scheduler's event writer builds (its keys in its order), hostile strings and odd numbers
 * included, and the same text for any other object handed to it.
 */

const runs = Number(process.env.RXDAG_PROPERTY_RUNS ?? 300);

/** Characters JSON escapes or may be tempted to: quotes, backslashes, controls, separators, surrogates. */
const hostileChar = fc.oneof(
  fc.constantFrom(
    '"',
    '\\',
    '/',
    '\u0000',
    '\b',
    '\t',
    '\n',
    '\f',
    '\r',
    '\u001f',
    '\u007f',
    '\u2028',
    '\u2029',
    '\ud800',
    '\udbff',
    '\udc00',
    '\udfff',
    '😀',
    'é',
    '中',
    '\ufeff',
  ),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
);
const text = fc.oneof(
  fc.string({ unit: hostileChar, maxLength: 12 }),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('t1', 'noop', 'run-42'),
);
/** Integers, floats, -0, NaN and the infinities (JSON writes the last three as 0 and null). */
const number = fc.oneof(
  fc.integer(),
  fc.nat(),
  fc.double(),
  fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e21, 5e-324, 0.1),
);
const json = fc.jsonValue({ maxDepth: 3 });
const errorInfo = fc.record({ name: text, message: text });

/** The common fields, in the event writer's order. */
const head = fc.record({ runId: text, seq: number, at: number });
const taskHead = fc.record({ runId: text, seq: number, at: number, taskId: text, attempt: number });

/** One event of every type, built with the keys in the order `eventWriter.ts` writes them. */
const writerEvent: fc.Arbitrary<DagEvent> = fc.oneof(
  fc.tuple(head, text, number).map(([h, dagId, taskCount]) => ({ type: 'dag.created', ...h, dagId, taskCount }) as DagEvent),
  taskHead.map((h) => ({ type: 'task.ready', ...h }) as DagEvent),
  fc.tuple(taskHead, text).map(([h, agent]) => ({ type: 'task.started', ...h, agent }) as DagEvent),
  fc
    .tuple(
      taskHead,
      number,
      fc.option(json, { nil: undefined }),
      fc.option(errorInfo, { nil: undefined }),
      fc.option(text, { nil: undefined }),
    )
    .map(([h, durationMs, output, warning, worker]) => {
      const event: Record<string, unknown> = { type: 'task.completed', ...h, durationMs };
      if (output !== undefined) event.output = output;
      if (warning !== undefined) event.warning = warning;
      if (worker !== undefined) event.worker = worker;
      return event as unknown as DagEvent;
    }),
  fc
    .tuple(taskHead, errorInfo, fc.constantFrom('error', 'critical'), fc.boolean())
    .map(([h, error, severity, willRetry]) => ({ type: 'task.failed', ...h, error, severity, willRetry }) as DagEvent),
  taskHead.map((h) => ({ type: 'task.retrying', ...h }) as DagEvent),
  fc
    .tuple(
      taskHead,
      fc.array(fc.record({ id: text, deps: fc.array(text, { maxLength: 3 }), agent: text, input: json }, { requiredKeys: ['id'] }), {
        maxLength: 3,
      }),
    )
    .map(([h, tasks]) => ({ type: 'tasks.spawned', ...h, tasks }) as DagEvent),
  fc.tuple(taskHead, number).map(([h, timeoutMs]) => ({ type: 'task.timed-out', ...h, timeoutMs }) as DagEvent),
  fc.tuple(taskHead, number).map(([h, runningForMs]) => ({ type: 'task.stuck', ...h, runningForMs }) as DagEvent),
  fc.tuple(taskHead, text).map(([h, because]) => ({ type: 'task.skipped', ...h, because }) as DagEvent),
  taskHead.map((h) => ({ type: 'task.cancelled', ...h }) as DagEvent),
  fc.tuple(head, text).map(([h, agent]) => ({ type: 'agent.available', ...h, agent }) as DagEvent),
  fc
    .tuple(head, number, number, number)
    .map(([h, running, ready, pending]) => ({ type: 'health.checked', ...h, running, ready, pending }) as DagEvent),
  fc
    .tuple(head, number, fc.array(text, { maxLength: 3 }))
    .map(([h, resumedAfterSeq, interrupted]) => ({ type: 'run.resumed', ...h, resumedAfterSeq, interrupted }) as DagEvent),
  fc
    .tuple(
      head,
      fc.constantFrom('succeeded', 'failed', 'cancelled'),
      fc.record({ total: number, completed: number, failed: number, skipped: number, cancelled: number }),
      number,
      fc.array(fc.record({ taskId: text, attempt: number, error: errorInfo }), { maxLength: 2 }),
    )
    .map(
      ([h, outcome, counts, durationMs, failures]) => ({ type: 'dag.completed', ...h, outcome, counts, durationMs, failures }) as DagEvent,
    ),
);

/** What another writer might hand over: keys reordered, dropped, added, set to undefined, or of other types. */
const otherEvent: fc.Arbitrary<DagEvent> = fc
  .tuple(
    writerEvent,
    fc.nat(),
    fc.constantFrom('reorder', 'drop', 'extra', 'undefined', 'retype', 'undefined-optional'),
    fc.oneof(text, number, json, fc.constant(undefined)),
  )
  .map(([event, pick, change, given]) => {
    const entries = Object.entries(event);
    const at = pick % entries.length;
    switch (change) {
      case 'reorder':
        entries.push(entries.splice(at, 1)[0]!);
        break;
      case 'drop':
        if (at > 0) entries.splice(at, 1); // keeps the type
        break;
      case 'extra':
        entries.push(['extra', given]);
        break;
      case 'undefined':
        if (at > 0) entries[at] = [entries[at]![0], undefined];
        break;
      case 'retype':
        if (at > 0) entries[at] = [entries[at]![0], given];
        break;
      case 'undefined-optional':
        entries.push(['output', undefined], ['warning', undefined], ['worker', given]);
        break;
    }
    return Object.fromEntries(entries) as unknown as DagEvent;
  });

describe('eventLineEncoder', () => {
  it('should write exactly what JSON.stringify writes, for every event the event writer builds', () => {
    const shared = eventLineEncoder(); // one writer's encoder across many runs: its caches see every run id and agent
    fc.assert(
      fc.property(fc.array(writerEvent, { minLength: 1, maxLength: 8 }), (batch) => {
        const fresh = eventLineEncoder();
        for (const event of batch) {
          expect(fresh(event)).toBe(JSON.stringify(event));
          expect(shared(event)).toBe(JSON.stringify(event));
        }
      }),
      { numRuns: runs },
    );
  });

  it('should give text that parses to what JSON.stringify gives, for any shape (and in fact the same text)', () => {
    const line = eventLineEncoder();
    fc.assert(
      fc.property(fc.oneof(writerEvent, otherEvent), (event) => {
        const written = line(event);
        expect(JSON.parse(written)).toEqual(JSON.parse(JSON.stringify(event)));
        expect(written).toBe(JSON.stringify(event));
      }),
      { numRuns: runs },
    );
  });

  it('should write the hot events of a run the same way however its run id and agents alternate', () => {
    const line = eventLineEncoder();
    const agents = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? `agent-${i}` : `agent "${i}"\n`));
    for (let i = 0; i < 400; i++) {
      const runId = i % 3 === 0 ? 'run-a' : 'run\u2028"b"';
      const started = {
        type: 'task.started',
        runId,
        seq: i + 1,
        at: i / 3,
        taskId: `t${i}`,
        attempt: 1,
        agent: agents[i % agents.length]!,
      } as DagEvent;
      const completed = {
        type: 'task.completed',
        runId,
        seq: i + 2,
        at: Number.NaN,
        taskId: `t${i}`,
        attempt: 1,
        durationMs: -0,
      } as DagEvent;
      expect(line(started)).toBe(JSON.stringify(started));
      expect(line(completed)).toBe(JSON.stringify(completed));
    }
  });

  it('should escape what JSON escapes in the hot events: quotes, backslashes, controls and lone surrogates', () => {
    const line = eventLineEncoder();
    const ready = {
      type: 'task.ready',
      runId: 'r"\\',
      seq: 1,
      at: Number.POSITIVE_INFINITY,
      taskId: 'a\u0000b\ud800c😀\u2028',
      attempt: 1,
    } as DagEvent;
    expect(line(ready)).toBe('{"type":"task.ready","runId":"r\\"\\\\","seq":1,"at":null,"taskId":"a\\u0000b\\ud800c😀\u2028","attempt":1}');
  });
});
