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
const edgyValue = fc.oneof(
  edgyString,
  edgyNumber,
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.array(edgyString, { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
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
  });

  it('leaves everything else to zod, which words the problem', () => {
    for (const task of [
      { id: '' },
      { id: 'a', deps: ['b', 1] },
      { id: 'a', timeoutMs: 0 },
      { id: 'a', priority: Number.NaN },
      { id: 'a\nb' },
      { id: 'a', weight: 2 },
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
