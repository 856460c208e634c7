/**
 * What shell attempts had written when their time limit ran out, for the failure they end with:
 * the scheduler fails a timed-out attempt with its own `TaskTimeoutError`, which knows nothing
 * of the command's output. The shell agent records the last lines at the timeout; the commands
 * put them under the failure ({@link TimedOutOutput.noteOf}). It keeps notes of timed-out
 * attempts only, and does not decide what is quoted (the shell agent does).
 */

/** The notes of one run's timed-out shell attempts. */
export class TimedOutOutput {
  // `taskId\nattempt` -> the lines quoted
  private readonly notes = new Map<string, string>();

  /** Keeps `lines` (already quoted, `last stderr lines:\n…`) as what the attempt had written. */
  record(taskId: string, attempt: number, lines: string): void {
    this.notes.set(`${taskId}\n${attempt}`, lines);
  }

  /** The note of a timed-out attempt: `before its time ran out, last stderr lines:\n…`; undefined for others. */
  noteOf(taskId: string, attempt: number): string | undefined {
    const lines = this.notes.get(`${taskId}\n${attempt}`);
    return lines === undefined ? undefined : `before its time ran out, ${lines}`;
  }
}
