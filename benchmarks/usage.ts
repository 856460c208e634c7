import { stoppedBy } from './signals';

/**
 * How a benchmark script tells a mistake in its command line from a failure: arguments it
 * cannot take throw a {@link UsageError}, said in one line (exit 2, no stack); anything else is
 * printed with its stack (exit 1), unless a signal stopped the script (signals.ts): then the error
 * is the stop's own (a killed child) and the signal's handler ends the process. It reads no
 * command line itself: each script reads its own flags (`integerOf` checks one flag's value).
 */

/** A flag or value the script cannot take. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The end of a script's `main()` promise: `script` names it in a usage error's line.
 *
 * @example
 * main().catch(endOnFailure('bench:cli'));
 */
export function endOnFailure(script: string): (error: unknown) => void {
  return (error) => {
    if (stoppedBy() !== undefined) return; // the signal's handler cleans up and exits
    if (error instanceof UsageError) {
      process.stderr.write(`${script}: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  };
}

/**
 * Refuses with a {@link UsageError} a command line of flags that each take a value, when one is
 * not among `known` or has no value: for scripts that read their flags where they need them.
 *
 * @example
 * checkFlags(process.argv.slice(2), ['--runs', '--size'], 'benchmarks/observe.ts');
 */
export function checkFlags(argv: readonly string[], known: readonly string[], file: string): void {
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    if (!known.includes(flag)) throw new UsageError(`unknown option \`${flag}\` (see ${file})`);
    if (argv[i + 1] === undefined) throw new UsageError(`\`${flag}\` needs a value`);
  }
}

/**
 * The integer value of `flag`, refused with a {@link UsageError} unless it is one and at least
 * `min` (default 1): `Number('abc')` would otherwise run a benchmark on NaN.
 *
 * @example
 * const runs = integerOf('--runs', '3'); // 3; integerOf('--chain', '1', 2) throws
 */
export function integerOf(flag: string, text: string, min = 1): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min) {
    throw new UsageError(`\`${flag}\` takes ${min === 1 ? 'a positive integer' : `an integer of at least ${min}`} (got ${text})`);
  }
  return n;
}
