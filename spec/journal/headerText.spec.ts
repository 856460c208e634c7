import fc from 'fast-check';
import { defineDag } from '../../src/dag/defineDag';
import { dagSpecOf } from '../../src/dag/specOf';
import type { JournalHeader } from '../../src/journal/journal';
import { headerOfDag, headerText } from '../../src/journal/headerText';
import type { DagSpec } from '../../src/dag/schema';

/** The header's text in pieces against `JSON.stringify(header)`, for headers of any shape. */

const runs = Number(process.env.RXDAG_PROPERTY_RUNS ?? 200);

const hostile = fc.string({
  unit: fc.oneof(
    fc.constantFrom('"', '\\', '\u0000', '\n', '\u2028', '\ud800', '\udfff', '😀', 'é'),
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 8,
});
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0));
const taskSpec = fc.record(
  {
    id: hostile,
    deps: fc.array(hostile, { maxLength: 3 }),
    agent: hostile,
    input: fc.jsonValue({ maxDepth: 2 }),
    timeoutMs: number,
    retry: fc.record({ attempts: fc.integer({ min: 1, max: 3 }), backoffMs: number }),
    priority: number,
    estimateMs: number,
    weight: fc.integer({ min: 1, max: 3 }),
    limits: fc.array(hostile, { maxLength: 2 }),
    when: fc.constantFrom('all-succeeded', 'all-done'),
  },
  { requiredKeys: ['id'] },
);
const options = fc.record(
  {
    failurePolicy: fc.constantFrom('fail-fast', 'continue', 'skip-dependents'),
    contextInjection: fc.boolean(),
    taskTimeoutMs: number,
    metadata: fc.dictionary(hostile, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  },
  { requiredKeys: ['failurePolicy', 'contextInjection'] },
);
/** Headers as `journalHeader` builds them: its keys in its order, `defaults` only when given. */
const header: fc.Arbitrary<JournalHeader> = fc
  .tuple(
    hostile,
    hostile,
    hostile,
    fc.array(taskSpec, { maxLength: 12 }),
    fc.option(fc.record({ agent: hostile, priority: number }), { nil: undefined }),
    options,
    number,
  )
  .map(
    ([runId, dagId, id, tasks, defaults, opts, createdAt]) =>
      ({
        runId,
        dagId,
        options: opts,
        createdAt,
        spec: defaults === undefined ? { id, tasks } : { id, tasks, defaults },
      }) as JournalHeader,
  );
/** Other shapes: a key moved, dropped, added or set to undefined, at the header's level or its spec's. */
const otherHeader: fc.Arbitrary<JournalHeader> = fc
  .tuple(header, fc.boolean(), fc.nat(), fc.constantFrom('reorder', 'drop', 'extra', 'undefined'))
  .map(([given, inSpec, pick, change]) => {
    const target = (inSpec ? given.spec : given) as unknown as Record<string, unknown>;
    const entries = Object.entries(target);
    const at = pick % entries.length;
    if (change === 'reorder') entries.push(entries.splice(at, 1)[0]!);
    else if (change === 'drop') entries.splice(at, 1);
    else if (change === 'extra') entries.splice(at, 0, ['extra', [1, 'two']]);
    else entries[at] = [entries[at]![0], undefined];
    const changed = Object.fromEntries(entries);
    return (inSpec ? { ...given, spec: changed } : changed) as unknown as JournalHeader;
  });

/** A task's fields with values `defineDag` takes. */
const printable = fc.string({
  unit: fc.oneof(fc.constantFrom('"', '\\', '😀', 'é', '</'), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 })),
  maxLength: 8,
});
const name = printable.filter((text) => text.trim().length > 0);
const validTaskSpec = fc.record(
  {
    id: printable,
    agent: name,
    input: fc.jsonValue({ maxDepth: 2 }),
    timeoutMs: fc.integer({ min: 1, max: 5000 }),
    retry: fc.record({ attempts: fc.integer({ min: 1, max: 3 }), backoffMs: fc.integer({ min: 0, max: 100 }) }),
    priority: fc.integer({ min: -3, max: 3 }),
    estimateMs: fc.integer({ min: 0, max: 5000 }),
    weight: fc.integer({ min: 1, max: 3 }),
    limits: fc.uniqueArray(name, { maxLength: 2 }),
    when: fc.constantFrom('all-succeeded', 'all-done'),
  },
  { requiredKeys: ['id'] },
);
/** DAG specs `defineDag` takes: unique hostile ids, deps on earlier tasks, any of a task's fields, defaults or none. */
const dagSpec: fc.Arbitrary<DagSpec> = fc
  .tuple(
    // most tasks plain (id, deps, agent): the ones written by hand
    fc.array(
      fc.tuple(
        fc.oneof({ arbitrary: fc.record({ id: printable, agent: name }, { requiredKeys: ['id'] }), weight: 3 }, { arbitrary: validTaskSpec, weight: 1 }),
        fc.array(fc.nat(), { maxLength: 3 }),
      ),
      { maxLength: 12 },
    ),
    fc.option(
      fc.record(
        {
          agent: name,
          priority: fc.integer({ min: -3, max: 3 }),
          timeoutMs: fc.integer({ min: 1, max: 5000 }),
          retry: fc.record({ attempts: fc.integer({ min: 1, max: 3 }), backoffMs: fc.integer({ min: 0, max: 100 }) }),
        },
        { requiredKeys: [] },
      ),
      { nil: undefined },
    ),
  )
  .map(([drawn, defaults]) => {
    const ids = drawn.map(([task], i) => `${task.id}#${i}`);
    const tasks = drawn.map(([task, picks], i) => {
      const { ...rest } = task;
      const deps = i === 0 ? [] : [...new Set(picks.map((pick) => ids[pick % i]!))];
      return { ...rest, id: ids[i]!, agent: task.agent ?? defaults?.agent ?? 'work', ...(deps.length === 0 ? {} : { deps }) };
    });
    return defaults === undefined ? { id: 'drawn', tasks } : { id: 'drawn', tasks, defaults };
  });

/** The pieces `headerText` hands out. */
function piecesOf(given: JournalHeader, tasksPerPiece?: number): string[] {
  const pieces: string[] = [];
  headerText(given, (piece) => pieces.push(piece), tasksPerPiece);
  return pieces;
}

describe('headerText', () => {
  it('should hand out, piece by piece, exactly what JSON.stringify writes (any slice size)', () => {
    fc.assert(
      fc.property(fc.oneof(header, otherHeader), fc.integer({ min: 1, max: 5 }), (given, size) => {
        expect(piecesOf(given, size).join('')).toBe(JSON.stringify(given));
      }),
      { numRuns: runs },
    );
  });

  it("should write a header made from a DAG exactly as JSON.stringify writes its spec (any slice size)", () => {
    fc.assert(
      fc.property(dagSpec, fc.integer({ min: 1, max: 5 }), (spec, size) => {
        const dag = defineDag(spec);
        const fields = { runId: 'r', dagId: dag.id, options: { failurePolicy: 'continue', contextInjection: true }, createdAt: 1 } as const;
        const expected = JSON.stringify({ runId: 'r', dagId: dag.id, options: fields.options, createdAt: 1, spec: dagSpecOf(dag) });
        expect(piecesOf(headerOfDag(fields, dag), size).join('')).toBe(expected);
        // read as an object (a backend that stores it so), the header gives the same spec
        expect(JSON.stringify(headerOfDag(fields, dag))).toBe(expected);
      }),
      { numRuns: runs },
    );
  });

  it('should write the task list of a DAG a slice at a time', () => {
    const tasks = Array.from({ length: 2500 }, (_, i) => ({ id: `t${i}`, agent: 'noop', ...(i === 0 ? {} : { deps: [`t${i - 1}`] }) }));
    const spec = dagSpecOf(defineDag({ id: 'chain', tasks }));
    const given: JournalHeader = {
      runId: 'r',
      dagId: 'chain',
      options: { failurePolicy: 'continue', contextInjection: true },
      createdAt: 1,
      spec,
    };
    const pieces = piecesOf(given);
    expect(pieces).toHaveLength(2 + 3); // the start, 3 slices of at most 1024 tasks, the end
    expect(pieces.join('')).toBe(JSON.stringify(given));
  });
});
