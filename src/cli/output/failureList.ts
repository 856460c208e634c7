/**
 * The list a failed run ends with: every task that failed for good (from `dag.completed`'s
 * `failures`, or from the `task.failed` events of a run that has not ended), each with its
 * attempt and its whole error message, a shell task's last lines of output included, indented
 * under it, its control characters but line feed and tab escaped (`terminalText.ts`). Text
 * only: the commands decide where it is printed.
 */
import type { DagEvent, ErrorInfo, TaskFailure } from '../../index';
import { showCommandLine, type StoreLocation } from '../store/storeLocation';
import { escapeControls } from '../../dag/text';
import { terminalText } from './terminalText';

/** Indent of an error's continuation lines (a shell task's stderr lines), under its task. */
const CONTINUATION = '      ';

/** How many failures the list of a run's end shows: a run with thousands would bury the rest of its output. */
const MOST_FAILURES_LISTED = 50;

/**
 * The list a run's end prints: its first {@link MOST_FAILURES_LISTED}, the rest counted, naming
 * `rxdag show` of its `store`, else the events log it wrote (`--events`), where every one is.
 */
export function runEndFailures(
  failures: readonly TaskFailure[],
  runId: string,
  store: StoreLocation | undefined,
  eventsPath?: string,
): string {
  const whereAll =
    store !== undefined
      ? `\`${showCommandLine(runId, store)}\` lists every one`
      : eventsPath === undefined
        ? undefined
        : `the events log ${escapeControls(eventsPath)} has every one`;
  return failureList(failures, 'rxdag: ', MOST_FAILURES_LISTED, whereAll);
}

/**
 * `rxdag: 2 tasks failed:` then one entry per failure, or '' for none. `prefix` starts the
 * heading (`rxdag show` has none: it is not a message of a run going on). With `most`, the
 * entries past it are counted in a last line, which says `whereAll` (where every one is).
 * `below` gives lines said under a failure's error (`rxdag show`: how its earlier attempts failed).
 *
 * @example
 * failureList([{ taskId: 'build', attempt: 2, error: { name: 'ShellCommandError', message: '`make` exited with code 2' } }])
 * // "rxdag: 1 task failed:\n  build (attempt 2): ShellCommandError: `make` exited with code 2\n"
 */
export function failureList(
  failures: readonly TaskFailure[],
  prefix = 'rxdag: ',
  most = Infinity,
  whereAll?: string,
  below: (failure: TaskFailure) => readonly string[] = () => [],
): string {
  if (failures.length === 0) return '';
  const head = `${prefix}${failures.length} task${failures.length === 1 ? '' : 's'} failed:`;
  const entries = failures
    .slice(0, most)
    .map((failure) =>
      terminalText(
        [`  ${failure.taskId} (attempt ${failure.attempt}): ${failure.error.name}: ${failure.error.message}`, ...below(failure)].join('\n'),
      ).replace(/\n/g, `\n${CONTINUATION}`),
    );
  const more = failures.length - entries.length;
  if (more > 0) entries.push(`  … and ${more} more${whereAll === undefined ? '' : ` (${terminalText(whereAll)})`}`);
  return `${[head, ...entries].join('\n')}\n`;
}

/**
 * Every task that failed for good in `events`: `dag.completed`'s list when the run ended, else
 * each final `task.failed` so far, in the order they failed.
 */
export function failuresOf(events: readonly DagEvent[]): TaskFailure[] {
  const last = events[events.length - 1];
  if (last?.type === 'dag.completed') return [...last.failures];
  return events.flatMap((event) =>
    event.type === 'task.failed' && !event.willRetry ? [{ taskId: event.taskId, attempt: event.attempt, error: event.error }] : [],
  );
}

/** What a command knows of an attempt that its failure does not say. */
export interface AttemptNotes {
  noteOf(taskId: string, attempt: number): string | undefined;
}

/**
 * `failure` with what `sources` know of its attempt under its error: the log of its output
 * (`full output: logs/test.1.log`).
 */
export function withNotes<T extends { readonly taskId: string; readonly attempt: number; readonly error: ErrorInfo }>(
  failure: T,
  sources: readonly AttemptNotes[],
): T {
  const notes = sources.flatMap((source) => source.noteOf(failure.taskId, failure.attempt) ?? []);
  return notes.length === 0 ? failure : { ...failure, error: { ...failure.error, message: [failure.error.message, ...notes].join('\n') } };
}
