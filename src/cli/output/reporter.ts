/**
 * The reporter contract (what shows a run as it goes) and the plain ones: JSON lines
 * (`--json`) and one line per event (`--quiet` keeps only failures and the end). The live
 * progress bar is in `progressReporter.ts`. Reporters display; they write no file.
 */
import type { Dag, DagEvent } from '../../index';
import { EventFormatter, retryWaitsOf } from './formatEvent';
import { RunningTasks } from './runningTasks';
import { terminalText } from './terminalText';
import { jsonLine } from './jsonLine';

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

/**
 * `--json`: each event as one JSON object per line, exactly as emitted, and nothing else (a
 * resumed run prints its own events, from `run.resumed`: its journal has the earlier ones).
 */
export function jsonReporter(out: TextSink): Reporter {
  const lines = lineBatcher(out);
  return {
    onEvent: (event) => {
      lines.write(jsonLine(event));
      if (event.type === 'dag.completed') lines.flush();
    },
    finish: () => lines.flush(),
  };
}

/**
 * Plain output, one line per event (when not on a terminal), but a `health.checked` only after a
 * quiet spell (no other line since the check before it), as a heartbeat of a run whose tasks
 * are long, naming the longest running ones and how long they ran. With `quiet`, only what a
 * script's log needs: tasks that failed for good, and the final `dag.completed` line. Lines are
 * not wrapped: a pipe or a file has no width. A resumed run's `history` (its journal's events)
 * is not printed again: it only sets where times count from and which attempts ran.
 */
export function lineReporter(
  out: TextSink,
  { quiet, history = [], dag }: { readonly quiet: boolean; readonly history?: readonly DagEvent[]; readonly dag?: Dag },
): Reporter {
  // Times are shown from the start of the run; a cancelled task's attempt only if it ran; when a
  // failed attempt is tried again, by its task's retry policy
  const lines = new EventFormatter(dag === undefined ? undefined : retryWaitsOf(dag));
  // named by the heartbeat: in a log where a step has been quiet for minutes, which one it is
  const running = new RunningTasks();
  for (const event of history) {
    lines.format(event);
    running.apply(event);
  }
  const batch = lineBatcher(out);
  // a health check is a heartbeat: shown only when nothing else was since the one before
  let quietSpell = false;
  return {
    onEvent: (event) => {
      const line = lines.format(event);
      running.apply(event);
      const heartbeat = event.type === 'health.checked';
      const shown = heartbeat
        ? !quiet && quietSpell
        : !quiet || event.type === 'dag.completed' || (event.type === 'task.failed' && !event.willRetry);
      quietSpell = heartbeat || (quietSpell && !shown);
      if (shown) batch.write(heartbeat && event.running > 0 ? `${line}: ${terminalText(running.describe(event.at))}\n` : `${line}\n`);
      if (event.type === 'dag.completed') batch.flush();
    },
    finish: () => batch.flush(),
  };
}

/** Characters held back before they are written at once, whatever the turn of the event loop. */
const BATCH_CHARS = 64 * 1024;

/**
 * Writes lines to `out` in order, few writes for many lines: the first line of each turn of the
 * event loop at once, the others of that turn together at its end (or when {@link BATCH_CHARS}
 * wait). A burst of events (a thousand tasks ending in the same millisecond) then costs two
 * writes, not one system call per line, and a lone event is still printed as it happens.
 * `flush` writes what waits (at `dag.completed` and when the run is over).
 */
function lineBatcher(out: TextSink): { write(text: string): void; flush(): void } {
  let waiting = '';
  let turnStarted = false;
  const flush = () => {
    if (waiting === '') return;
    const text = waiting;
    waiting = '';
    out.write(text);
  };
  return {
    write(text) {
      if (turnStarted) {
        waiting += text;
        if (waiting.length >= BATCH_CHARS) flush();
        return;
      }
      turnStarted = true;
      setImmediate(() => {
        turnStarted = false;
        flush();
      });
      out.write(text);
    },
    flush,
  };
}
