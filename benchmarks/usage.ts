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
