import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from '../../benchmarks/remote/options';
import { checkFlags, endOnFailure, integerOf, UsageError } from '../../benchmarks/usage';

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

describe('integerOf', () => {
  it('should take an integer of at least the minimum, and refuse anything else in one line', () => {
    expect(integerOf('--runs', '3')).toBe(3);
    expect(integerOf('--chain', '2', 2)).toBe(2);
    for (const text of ['0', '-1', '1.5', 'abc', '', ' ', 'NaN', 'Infinity']) {
      expect(() => integerOf('--runs', text)).toThrow(new UsageError(`\`--runs\` takes a positive integer (got ${text})`));
    }
    expect(() => integerOf('--chain', '1', 2)).toThrow(new UsageError('`--chain` takes an integer of at least 2 (got 1)'));
  });
});

describe("the scripts' numbers", () => {
  const ROOT = path.resolve(__dirname, '../..');
  const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;
  const run = (script: string, args: readonly string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ['--import', TSX_LOADER, path.join(ROOT, 'benchmarks', script), ...args],
        { cwd: ROOT, timeout: 60_000 },
        (error, _stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stderr }),
      ),
    );

  // each refused before anything runs: without the check they hung, crashed later or printed NaN
  it.each([
    ['remote.ts', ['--chain', '0'], '`--chain` takes an integer of at least 2 (got 0)'],
    ['limits.ts', ['--runs', '0'], '`--runs` takes a positive integer (got 0)'],
  ])(
    'should refuse %s %j in one line, exit 2',
    async (script, args, message) => {
      const { code, stderr } = await run(script, args);
      expect({ code, stderr }).toEqual({ code: 2, stderr: `bench:${script.replace('.ts', '')}: ${message}\n` });
    },
    60_000,
  );
});

describe('the options of bench:remote', () => {
  it.each([
    [['--tasks', 'abc'], '`--tasks` takes a positive integer (got abc)'],
    [['--workers', '0'], '`--workers` takes positive integers, e.g. 1,2,4 (got 0)'],
    [['--workers', '1,,2'], '`--workers` takes positive integers, e.g. 1,2,4 (got 1,,2)'],
    [['--chain', '1'], '`--chain` takes an integer of at least 2 (got 1)'],
    [['--rounds', '0'], '`--rounds` takes a positive integer (got 0)'],
    [['--concurrency', '-1'], '`--concurrency` takes a positive integer (got -1)'],
    [['--lib', 'build'], '`--lib` takes src or dist (got build)'],
    [['--bogus', '1'], 'unknown option `--bogus` (see benchmarks/remote.ts)'],
    [['--tasks'], '`--tasks` needs a value'],
  ])('should refuse %j in one line', (args, message) => {
    expect(() => parseArgs(args)).toThrow(new UsageError(message));
  });

  it('should take every flag with its value, the defaults otherwise', () => {
    expect(parseArgs(['--tasks', '50', '--workers', '1,3', '--rounds', '2', '--chain', '2', '--lib', 'src'])).toMatchObject({
      tasks: 50,
      workers: [1, 3],
      rounds: 2,
      chain: 2,
      concurrency: 8,
      lib: 'src',
    });
  });
});
