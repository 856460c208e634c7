import fc from 'fast-check';
import { isPlainTask } from '../../src/dag/plainTask';
import { taskSpecSchema } from '../../src/dag/schema';
import { defineDag, DagValidationError } from '../../src/index';

// values near every edge the schema draws: ids (empty, too long, control characters), numbers
// (0, negative, NaN, Infinity, above the longest timer or 2^53 - 1), arrays with holes or non-strings
const edgyString = fc.oneof(
  fc.string(),
  fc.constantFrom('', 'a', 'x'.repeat(256), 'x'.repeat(257), 'line\nfeed', 'tab\there', '\u001b[31m', 'ü', '__proto__', 'constructor'),
);
const edgyNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(
    0,
    -0,
    -1,
    1,
    0.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    2_147_483_647,
    2_147_483_648,
    Number.MAX_SAFE_INTEGER,
    2 ** 53,
    1e308,
  ),
);
const edgyScalar = fc.oneof(edgyString, edgyNumber, fc.constant(undefined), fc.constant(null), fc.boolean());
// a retry policy's fields, each edgy: `attempts` at 0, 1, 1000, 1001, fractional…
const retryLike = fc.dictionary(
  fc.constantFrom('attempts', 'backoffMs', 'backoffFactor', 'maxBackoffMs', 'extra'),
  fc.oneof(edgyScalar, fc.constantFrom(1000, 1001, 3, 0.999, 1)),
  { maxKeys: 4 },
);
const edgyValue = fc.oneof(
  edgyScalar,
  fc.array(edgyString, { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
  retryLike,
  fc.constantFrom('all-succeeded', 'all-done', 'any-failed', 'none-failed', 'all_done', 1_000_000, 1_000_001),
);
const field = fc.constantFrom(
  'id',
  'agent',
  'deps',
  'input',
  'timeoutMs',
  'priority',
  'estimateMs',
  'retry',
  'weight',
  'limits',
  'when',
  'sleep',
  'extra',
);
const taskLike = fc.dictionary(field, edgyValue, { maxKeys: 6 });

describe('isPlainTask: a quick yes only where zod says yes', () => {
  it('accepts no task the task schema rejects', () => {
    fc.assert(
      fc.property(taskLike, (task) => {
        if (isPlainTask(task)) expect(taskSpecSchema.safeParse(task).success).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });

  it('says yes to the common shapes, so big DAGs skip the schema', () => {
    expect(isPlainTask({ id: 'a' })).toBe(true);
    expect(isPlainTask({ id: 'b', agent: 'shell', deps: ['a'], input: { command: 'make' } })).toBe(true);
    expect(isPlainTask({ id: 'c', agent: 'sleep', input: 5, estimateMs: 5, priority: -2, timeoutMs: 1000 })).toBe(true);
    expect(
      isPlainTask({ id: 'd', retry: { attempts: 3, backoffMs: 100, backoffFactor: 2, maxBackoffMs: 5000 }, weight: 2, when: 'all-done' }),
    ).toBe(true);
  });

  it('accepts every task the task schema accepts, among tasks of the fields it knows with valid values', () => {
    const valid = fc.record(
      {
        id: fc.constantFrom('a', 'build-1'),
        retry: fc.record(
          {
            attempts: fc.integer({ min: 1, max: 1000 }),
            backoffMs: fc.integer({ min: 0, max: 2_147_483_647 }),
            backoffFactor: fc.double({ min: 1, max: 10, noNaN: true }),
            maxBackoffMs: fc.constantFrom(0, 1, 2_147_483_647),
          },
          { requiredKeys: ['attempts'] },
        ),
        weight: fc.integer({ min: 1, max: 1_000_000 }),
        when: fc.constantFrom('all-succeeded', 'all-done', 'any-failed', 'none-failed'),
      },
      { requiredKeys: ['id'] },
    );
    fc.assert(
      fc.property(valid, (task) => {
        expect(taskSpecSchema.safeParse(task).success).toBe(true);
        expect(isPlainTask(task)).toBe(true);
      }),
      { numRuns: 1_000 },
    );
  });

  it('leaves everything else to zod, which words the problem', () => {
    for (const task of [
      { id: '' },
      { id: 'a', deps: ['b', 1] },
      { id: 'a', timeoutMs: 0 },
      { id: 'a', priority: Number.NaN },
      { id: 'a\nb' },
      { id: 'a', weight: 2.5 },
      { id: 'a', retry: { attempts: 0 } },
      { id: 'a', retry: { backoffMs: 10 } },
      { id: 'a', retry: { attempts: 2, backoffFactor: 0.5 } },
      { id: 'a', retry: { attempts: 2, jitter: true } },
      { id: 'a', when: 'always' },
      { id: 'a', extra: true },
      Object.assign(Object.create({ inherited: 1 }), { id: 'a' }),
      ['a'],
      null,
    ]) {
      expect(isPlainTask(task)).toBe(false);
    }
    expect(() => defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'x', timeoutMs: 0 } as never] })).toThrow(DagValidationError);
    expect(() => defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'x', timeoutMs: 0 } as never] })).toThrow(/tasks\[0\]\.timeoutMs.*> 0/);
  });
});
