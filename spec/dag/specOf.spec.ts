import fc from 'fast-check';
import { defineDag } from '../../src/dag/defineDag';
import type { DagSpec, TaskSpec } from '../../src/dag/schema';
import { dagSpecOf } from '../../src/dag/specOf';

/** A valid random DAG spec: tasks depend on earlier ones, optional fields and defaults at random. */
const retryArb = fc.record(
  {
    attempts: fc.integer({ min: 1, max: 4 }),
    backoffMs: fc.integer({ min: 0, max: 50 }),
    backoffFactor: fc.constantFrom(1, 2),
    maxBackoffMs: fc.integer({ min: 50, max: 500 }),
  },
  { requiredKeys: ['attempts'] },
);
const defaultsArb = fc.record(
  {
    agent: fc.constantFrom('a', 'b'),
    timeoutMs: fc.integer({ min: 1, max: 1000 }),
    retry: retryArb,
    priority: fc.integer({ min: -2, max: 2 }),
    weight: fc.integer({ min: 1, max: 3 }),
    limits: fc.constantFrom(['api'], ['gpu', 'api'], []),
  },
  { requiredKeys: [] },
);
const taskFieldsArb = fc.record(
  {
    agent: fc.constantFrom('a', 'b'),
    input: fc.jsonValue(),
    timeoutMs: fc.integer({ min: 1, max: 1000 }),
    retry: retryArb,
    priority: fc.integer({ min: -2, max: 2 }),
    estimateMs: fc.integer({ min: 0, max: 100 }),
    weight: fc.integer({ min: 1, max: 3 }),
    when: fc.constantFrom('all-succeeded', 'all-done', 'any-failed', 'none-failed'),
    limits: fc.constantFrom(['api'], ['api', 'gpu'], []),
  },
  { requiredKeys: ['agent'] },
);
const specArb: fc.Arbitrary<DagSpec> = fc
  .tuple(
    fc.option(defaultsArb, { nil: undefined }),
    fc.array(fc.tuple(taskFieldsArb, fc.array(fc.nat(), { maxLength: 3 })), { minLength: 1, maxLength: 12 }),
  )
  .map(([defaults, rows]) => {
    const tasks: TaskSpec[] = rows.map(([fields, picks], i) => {
      const deps = i === 0 ? [] : [...new Set(picks.map((p) => `t${p % i}`))];
      // `any-failed` needs a dependency that could fail
      const when = fields.when === 'any-failed' && deps.length === 0 ? 'all-done' : fields.when;
      return { id: `t${i}`, deps, ...fields, ...(when === undefined ? {} : { when }) } as TaskSpec;
    });
    return defaults === undefined ? { id: 'round-trip', tasks } : { id: 'round-trip', tasks, defaults };
  });

describe('dagSpecOf', () => {
  it('gives a spec that defineDag turns into the same tasks (defaults and all fields at random)', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const dag = defineDag(spec);
        const again = defineDag(dagSpecOf(dag));
        expect(again.id).toBe(dag.id);
        expect(again.defaults).toEqual(dag.defaults);
        expect(again.tasks).toEqual(dag.tasks);
      }),
      { numRuns: 200 },
    );
  });

  it('writes the weight and limits a task has instead of the defaults, none included', () => {
    const dag = defineDag({
      id: 'asks',
      defaults: { agent: 'a', weight: 2, limits: ['api'] },
      tasks: [{ id: 'x' }, { id: 'y', weight: 1, limits: [] }, { id: 'z', limits: ['gpu'] }],
    });
    expect(dag.tasks.map((task) => [task.weight, task.limits])).toEqual([
      [2, ['api']],
      [1, []],
      [2, ['gpu']],
    ]);
    expect(dagSpecOf(dag).tasks).toEqual([{ id: 'x' }, { id: 'y', weight: 1, limits: [] }, { id: 'z', limits: ['gpu'] }]);
    expect(defineDag(dagSpecOf(dag)).tasks).toEqual(dag.tasks);
  });

  it('writes a field only where it differs from what the defaults give', () => {
    const dag = defineDag({
      id: 'small',
      defaults: { agent: 'a', priority: 1 },
      tasks: [{ id: 'x' }, { id: 'y', deps: ['x'], agent: 'b', priority: 0, retry: { attempts: 2 } }],
    });
    expect(dagSpecOf(dag).tasks).toEqual([
      { id: 'x' },
      { id: 'y', deps: ['x'], agent: 'b', priority: 0, retry: expect.objectContaining({ attempts: 2 }) },
    ]);
  });
});
