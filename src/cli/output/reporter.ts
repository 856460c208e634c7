import type { DagEvent } from '../../index';
import { formatEvent } from './formatEvent';

/** Shows a run to the user as it goes. Gets every event, `dag.completed` last. */
export interface Reporter {
  onEvent(event: DagEvent): void;
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
 * log needs: tasks that failed for good, and the final `dag.completed` line.
 */
export function lineReporter(out: TextSink, { quiet }: { readonly quiet: boolean }): Reporter {
  // `at` of `dag.created`: times are shown from the start of the run.
  let startedAt: number | undefined;
  return {
    onEvent: (event) => {
      startedAt ??= event.at;
      const shown = !quiet || event.type === 'dag.completed' || (event.type === 'task.failed' && !event.willRetry);
      if (shown) out.write(`${formatEvent(event, startedAt)}\n`);
    },
    finish: () => {},
  };
}
