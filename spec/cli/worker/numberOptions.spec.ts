import { InvalidInputError, optionNumber } from '../../../src/cli/problems';
import { resolveWorkerOptions } from '../../../src/cli/worker/workerOptions';

/** The messages `resolveWorkerOptions` refuses `raw` with (no key, a loopback Redis). */
function problemsOf(raw: { concurrency?: string; leaseMs?: string }): string[] {
  try {
    resolveWorkerOptions({ redis: 'redis://127.0.0.1:6379', ...raw }, {});
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems.map((problem) => problem.message);
    throw error;
  }
  return [];
}

describe('numbers given to options', () => {
  it('should read plain decimal numbers, and nothing else JavaScript would read as one', () => {
    expect(['16', '0', '-5', '0.5', '007'].map(optionNumber)).toEqual([16, 0, -5, 0.5, 7]);
    for (const text of ['0x10', '1e3', '0b11', '0o7', ' 4', '4 ', '', '+4', '.5', '4.', 'Infinity', '1_000'])
      expect([text, optionNumber(text)]).toEqual([text, Number.NaN]);
  });

  it('should refuse -c and --lease-ms written in hexadecimal, binary, exponent or with spaces, in their own words', () => {
    expect(problemsOf({ concurrency: '0x10', leaseMs: '1e5' })).toEqual([
      '--concurrency must be an integer from 1 to 10000 (got "0x10")',
      '--lease-ms must be a whole number of milliseconds from 1000 (a shorter lease is lost while the worker\'s event loop pauses, as when it spawns a task) (got "1e5")',
    ]);
    expect(problemsOf({ concurrency: ' 4' })).toEqual(['--concurrency must be an integer from 1 to 10000 (got " 4")']);
    expect(problemsOf({ concurrency: '0b11' })).toEqual(['--concurrency must be an integer from 1 to 10000 (got "0b11")']);
  });

  it('should take -c and --lease-ms as the docs write them', () => {
    expect(resolveWorkerOptions({ redis: 'redis://127.0.0.1:6379', concurrency: '16', leaseMs: '30000' }, {})).toMatchObject({
      concurrency: 16,
      leaseMs: 30_000,
    });
  });
});
