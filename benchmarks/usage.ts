/**
 * How a benchmark script tells a mistake in its command line from a failure: arguments it
 * cannot take throw a {@link UsageError}, said in one line (exit 2, no stack); anything else is
 * printed with its stack (exit 1). It parses nothing itself: each script reads its own flags.
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
