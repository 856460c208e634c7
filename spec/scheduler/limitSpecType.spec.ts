import { defineDag, type LimitSpec, runDag } from '../../src';

// Checked twice: by `tsc --noEmit` (the `@ts-expect-error` line must be an error, the rest must
// compile) and by jest (what the type refuses, the run refuses too, with the same words).

const concurrencyOnly: LimitSpec = { concurrency: 2 };
const rateOnly: LimitSpec = { rate: { limit: 5, intervalMs: 1000 } };
const both: LimitSpec = { concurrency: 2, rate: { limit: 5, intervalMs: 1000 } };
// @ts-expect-error a limit needs `concurrency`, `rate` or both
const neither: LimitSpec = {};

describe('LimitSpec', () => {
  const dag = defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'x', limits: ['api'] }] });

  it.each([
    ['concurrency', concurrencyOnly],
    ['rate', rateOnly],
    ['both', both],
  ])('should accept a limit with %s', (_, api) => {
    expect(() => runDag(dag, { agents: { x: () => 1 }, limits: { api } })).not.toThrow();
  });

  it('should refuse a limit with neither, as its type does', () => {
    expect(() => runDag(dag, { agents: { x: () => 1 }, limits: { api: neither } })).toThrow(
      'rxdag: invalid options: `limits.api` needs `concurrency`, `rate` or both (got an object)',
    );
  });
});
