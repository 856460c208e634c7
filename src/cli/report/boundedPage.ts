/**
 * What a report keeps of the tasks it shows (every task of a run of up to `BOUNDED_REPORT_TASKS`,
 * the ones that matter of a bigger one), so that its page stays small however long their errors
 * and however many their retries: each task's error, and its last attempt's, without their
 * colours and cut to {@link TASK_DETAIL_CHARS} characters, its start and its end (the table's
 * Details and the graph's tooltip), the other attempts' to {@link ATTEMPT_DETAIL_CHARS} (the
 * timeline's tooltips), and of a task with more than {@link DRAWN_ATTEMPTS} bars of attempts,
 * the first and last halves drawn (the table counts every attempt). It chooses no task
 * (`shownTasks.ts` does) and draws nothing.
 */
import { withoutStyles } from '../output/terminalText';
import type { AttemptBar, RunModel, TaskRow } from './runModel';

/** The most of a task's error a page keeps. */
export const TASK_DETAIL_CHARS = 1000;
/** The most of an attempt's error a page's timeline keeps. */
export const ATTEMPT_DETAIL_CHARS = 200;
/** The most bars of one task's attempts a page's timeline draws. */
export const DRAWN_ATTEMPTS = 6;

/** `model`'s tasks with their errors cut as a page keeps them (the model itself is left as it is). */
export function boundedDetails(model: RunModel): RunModel {
  return {
    ...model,
    tasks: model.tasks.map((task): TaskRow => {
      // the last attempt's error, and the last failure's, as long as the task's: the table's Details may tell them (a task that completed after it)
      const told = lastFailed(task.attempts);
      return {
        ...task,
        detail: cut(task.detail, TASK_DETAIL_CHARS),
        attempts: task.attempts.map((bar, i): AttemptBar => ({
          ...bar,
          detail: cut(bar.detail, i === task.attempts.length - 1 || i === told ? TASK_DETAIL_CHARS : ATTEMPT_DETAIL_CHARS),
        })),
      };
    }),
  };
}

/** Where the last attempt that failed (or timed out) is among `bars`, `-1` when none did. */
export function lastFailed(bars: readonly AttemptBar[]): number {
  for (let i = bars.length - 1; i >= 0; i--) if (bars[i]!.outcome === 'failed' || bars[i]!.outcome === 'timed-out') return i;
  return -1;
}

/**
 * The bars of a task's attempts a timeline draws: all up to `most`, else the first and
 * last halves, with how many attempts have no bar drawn between them (an attempt run again after
 * a resume has two bars: one of them drawn, it is not counted).
 */
export function drawnAttempts(
  bars: readonly AttemptBar[],
  most: number,
): { readonly first: readonly AttemptBar[]; readonly leftOut: number; readonly last: readonly AttemptBar[] } {
  if (bars.length <= most) return { first: bars, leftOut: 0, last: [] };
  const half = Math.floor(most / 2);
  const first = bars.slice(0, half);
  const last = bars.slice(-half);
  const drawn = new Set([...first, ...last].map((bar) => bar.attempt));
  const leftOut = new Set(
    bars
      .slice(half, -half)
      .map((bar) => bar.attempt)
      .filter((attempt) => !drawn.has(attempt)),
  ).size;
  return { first, leftOut, last };
}

/**
 * `text` cut to about `most` characters (at whole code points), saying how much was left out:
 * its start and, the larger part, its end, where a shell task's error ends with the last lines it
 * printed (often the cause).
 */
function cut(given: string | undefined, most: number): string | undefined {
  // what the page shows is measured: colour codes, which it leaves out, would take the room
  const text = given === undefined ? undefined : withoutStyles(given);
  if (text === undefined || text.length <= most) return text;
  const head = wholeStart(text.slice(0, Math.floor(most / 3)));
  const tail = wholeEnd(text.slice(text.length - (most - head.length)));
  return `${head}… (${text.length - head.length - tail.length} characters left out) …${tail}`;
}

/** `piece`, the start of a text, without half of a character written as two UTF-16 units at its end. */
function wholeStart(piece: string): string {
  return /[\uD800-\uDBFF]$/.test(piece) ? piece.slice(0, -1) : piece;
}

/** `piece`, the end of a text, without half of a character written as two UTF-16 units at its start. */
function wholeEnd(piece: string): string {
  return /^[\uDC00-\uDFFF]/.test(piece) ? piece.slice(1) : piece;
}
