import { checkFlags, endOnFailure, UsageError } from '../../benchmarks/usage';

/** How a benchmark script ends: a mistake in its command line in one line (exit 2), a failure with its stack (exit 1). */
describe('endOnFailure', () => {
  const ended = (error: unknown): { written: string; code: typeof process.exitCode } => {
    let written = '';
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((text) => ((written += String(text)), true));
    const before = process.exitCode;
    try {
      endOnFailure('bench:cli')(error);
      return { written, code: process.exitCode };
    } finally {
      process.exitCode = before;
      write.mockRestore();
    }
  };

  it('should say a usage error in one line, without a stack, and exit 2', () => {
    expect(ended(new UsageError('unknown option `--bogus` (see benchmarks/cli.ts)'))).toEqual({
      written: 'bench:cli: unknown option `--bogus` (see benchmarks/cli.ts)\n',
      code: 2,
    });
  });

  it('should print any other error with its stack, and exit 1', () => {
    const { written, code } = ended(new TypeError("Cannot read properties of undefined (reading 'x')"));
    expect(code).toBe(1);
    expect(written).toMatch(/^TypeError: Cannot read properties of undefined \(reading 'x'\)\n\s+at /);
  });
});

describe('checkFlags', () => {
  it('should take known flags with values, and refuse an unknown flag or one without its value', () => {
    expect(() => checkFlags(['--runs', '3', '--size', '10'], ['--runs', '--size'], 'benchmarks/x.ts')).not.toThrow();
    expect(() => checkFlags(['--bogus', '1'], ['--runs'], 'benchmarks/x.ts')).toThrow(
      new UsageError('unknown option `--bogus` (see benchmarks/x.ts)'),
    );
    expect(() => checkFlags(['--runs'], ['--runs'], 'benchmarks/x.ts')).toThrow(new UsageError('`--runs` needs a value'));
  });
});
