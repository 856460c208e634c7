import type { DagEvent } from '../../index';
import { EventFormatter } from './formatEvent';

/**
 * Shows a run to the user as it goes. Gets every event, `dag.completed` last.
 * A reporter only displays: it does not write the events log or the report.
 */
export interface Reporter {
  onEvent(event: DagEvent): void;
  /**
   * Prints a line from the CLI itself (not an event: "stopping…", a failed events log) where
   * it does not break the display. Absent: the caller writes it to stderr as it is.
   */
  notice?(line: string): void;
  /** Called once after `dag.completed`: stop timers, print what is left to say. */
  finish(): void;
}

/** Where reporters write: a stream-like sink, so specs can pass their own. */
export interface TextSink {
  write(text: string): unknown;
}

/** `--json`: each event as one JSON object per line, exactly as emitted, and nothing else. */
export function jsonReporter(out: TextSink): Reporter {
  return {
    onEvent: (event) => out.write(`${JSON.stringify(event)}\n`),
    finish: () => {},
  };
}

/**
 * Plain output, one line per event (when not on a terminal). With `quiet`, only what a script's
 * log needs: tasks that failed for good, and the final `dag.completed` line. Lines are not
 * wrapped: a pipe or a file has no width.
 */
export function lineReporter(out: TextSink, { quiet }: { readonly quiet: boolean }): Reporter {
  // Times are shown from the start of the run; a cancelled task's attempt only if it ran.
  const lines = new EventFormatter();
  return {
    onEvent: (event) => {
      const line = lines.format(event);
      const shown = !quiet || event.type === 'dag.completed' || (event.type === 'task.failed' && !event.willRetry);
      if (shown) out.write(`${line}\n`);
    },
    finish: () => {},
  };
}
