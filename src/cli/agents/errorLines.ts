/**
 * How many lines of a failed shell command's output its error quotes (`--error-lines` of `run`,
 * `resume` and `worker`): the default and the most. Only the numbers: the shell agent quotes them.
 */
export const DEFAULT_ERROR_LINES = 5;
export const MOST_ERROR_LINES = 1000;

/** The help line of `--error-lines`, on `run`, `resume` and `worker`. */
export const ERROR_LINES_HELP = `the last lines of stderr (else stdout) a failed command's error quotes, 1 to ${MOST_ERROR_LINES} (default: ${DEFAULT_ERROR_LINES})`;

/** The shell agent's option for `--error-lines` as given: none when it was not. */
export function errorLinesOption(lines: number | undefined): { readonly stderrLinesInError?: number } {
  return lines === undefined ? {} : { stderrLinesInError: lines };
}
