/**
 * What a report of more than `BOUNDED_REPORT_TASKS` tasks keeps of the tasks it shows, so that
 * its page stays small however long their errors and however many their retries: each task's
 * error cut to {@link TASK_DETAIL_CHARS} characters (the table's Details and the graph's
 * tooltip), each attempt's to {@link ATTEMPT_DETAIL_CHARS} (the timeline's tooltips), and of a
 * task with more than {@link DRAWN_ATTEMPTS} attempts, the first and last halves drawn (the
 * table counts them all). It chooses no task (`shownTasks.ts` does) and draws nothing.
 */
import type { AttemptBar, RunModel, TaskRow } from './runModel';

/** The most of a task's error a bounded page keeps. */
export const TASK_DETAIL_CHARS = 1000;
/** The most of an attempt's error a bounded page's timeline keeps. */
export const ATTEMPT_DETAIL_CHARS = 200;
/** The most attempts of one task a bounded page's timeline draws. */
export const DRAWN_ATTEMPTS = 6;

/** `model`'s tasks with their errors cut as a bounded page keeps them (the model itself is left as it is). */
export function boundedDetails(model: RunModel): RunModel {
  return {
    ...model,
    tasks: model.tasks.map((task): TaskRow => ({
      ...task,
      detail: cut(task.detail, TASK_DETAIL_CHARS),
      attempts: task.attempts.map((bar): AttemptBar => ({ ...bar, detail: cut(bar.detail, ATTEMPT_DETAIL_CHARS) })),
    })),
  };
}

/**
 * The attempts of `attempts` a bounded timeline draws: all up to `most`, else the first and last
 * halves, with how many were left out between them (0 when none was).
 */
export function drawnAttempts<T>(
  attempts: readonly T[],
  most: number,
): { readonly first: readonly T[]; readonly leftOut: number; readonly last: readonly T[] } {
  if (attempts.length <= most) return { first: attempts, leftOut: 0, last: [] };
  const half = Math.floor(most / 2);
  return { first: attempts.slice(0, half), leftOut: attempts.length - 2 * half, last: attempts.slice(-half) };
}

/** `text` cut to `most` characters (at a whole code point), saying how much was left out. */
function cut(text: string | undefined, most: number): string | undefined {
  if (text === undefined || text.length <= most) return text;
  // not half of a character written as two UTF-16 units
  const kept = /[\uD800-\uDBFF]$/.test(text.slice(0, most)) ? text.slice(0, most - 1) : text.slice(0, most);
  return `${kept}… (${text.length - kept.length} more characters)`;
}
