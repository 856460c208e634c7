/**
 * How many lines of a failed shell command's output its error quotes (`--error-lines` of `run`,
 * `resume` and `worker`): the default and the most. Only the numbers: the shell agent quotes them.
 */
export const DEFAULT_ERROR_LINES = 5;
export const MOST_ERROR_LINES = 1000;
