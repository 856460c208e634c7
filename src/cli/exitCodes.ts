/**
 * The CLI's exit codes, the contract scripts and CI rely on (docs/cli.md, "Exit codes").
 * 129, 130, 131 and 143 follow the shell convention 128 + signal number.
 */
export const ExitCode = {
  /** The run succeeded: no task failed (tasks skipped by their `when` do not count); or the command did what it was asked. */
  ok: 0,
  /** A task failed for good. */
  taskFailed: 1,
  /** The file or the options are invalid: nothing ran. */
  invalid: 2,
  /**
   * An output (the events log, the report, the journal) could not be written: the run was
   * cancelled, or it had ended and only its output is missing. 74 is the conventional I/O error.
   */
  outputFailed: 74,
  /** Stopped by SIGHUP (its terminal closed): as SIGTERM. */
  hungUp: 129,
  /** Interrupted by Ctrl-C (SIGINT): the run was cancelled. */
  interrupted: 130,
  /** Stopped by Ctrl-\\ (SIGQUIT): at once, its shell tasks killed, as a second Ctrl-C does. */
  quit: 131,
  /** Stopped by SIGTERM: a journaled run was left interrupted, to resume; any other was cancelled. */
  terminated: 143,
} as const;

/**
 * Whether a run that ended with `code` ran to its end: its tasks ended (or an output failed),
 * rather than a stop signal ending it or the run being refused.
 */
export function ranToItsEnd(code: number): boolean {
  return code === ExitCode.ok || code === ExitCode.taskFailed || code === ExitCode.outputFailed;
}
