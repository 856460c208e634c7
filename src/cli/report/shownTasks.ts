/**
 * Which tasks the report of a large run draws and lists: above {@link BOUNDED_REPORT_TASKS}
 * tasks, only those that matter (failed, skipped because of a failure, on the critical path,
 * slowest, retried, cut short), each kind capped, so the page stays small however big the run.
 * Pure: it reads the run model, the critical path and the causes of skips; it draws nothing and
 * writes no text (`largeRunSummary.ts` says what was left out).
 */
import type { DagEvent } from '../../index';
import { attemptsStarted, type RunModel, type TaskRow } from './runModel';

/** Above this many tasks only the tasks that matter are shown: 5,000 drawn whole make a 6 MB page with a 90,000 px timeline. */
export const BOUNDED_REPORT_TASKS = 5000;

/** The kinds of task a bounded report shows, in the order its note names them. */
export type ShownKind = 'failed' | 'skippedByFailure' | 'criticalPath' | 'slowest' | 'retried' | 'cutShort';

/**
 * The most tasks of each kind a bounded report shows. Failures and the critical path get the
 * most room: they say why the run ended as it did, and when.
 */
export const SHOWN_AT_MOST: Readonly<Record<ShownKind, number>> = {
  failed: 100,
  skippedByFailure: 50,
  criticalPath: 100,
  slowest: 50,
  retried: 50,
  cutShort: 50,
};

/** The most tasks a bounded report draws and lists: every kind full, no task in two of them. */
export const MOST_SHOWN_TASKS = Object.values(SHOWN_AT_MOST).reduce((sum, most) => sum + most, 0);

/** How many tasks of a kind a bounded report shows, of how many the run had. */
export interface KindShown {
  readonly kind: ShownKind;
  readonly shown: number;
  readonly of: number;
}

/** The tasks a bounded report shows, and why. */
export interface ShownTasks {
  /** The tasks drawn and listed, in the run model's order (the order they became ready). */
  readonly tasks: readonly TaskRow[];
  /** For each kind, in {@link ShownKind}'s order: how many are shown, of how many. */
  readonly kinds: readonly KindShown[];
  /** The slowest tasks shown, the longest busy first. */
  readonly slowest: readonly TaskRow[];
}

/**
 * The task each skipped task names as why it skipped (`task.skipped`'s `because`).
 *
 * @example
 * skipCauses(events).get('deploy') // "test"
 */
export function skipCauses(events: readonly DagEvent[]): Map<string, string> {
  const causes = new Map<string, string>();
  for (const event of events) if (event.type === 'task.skipped') causes.set(event.taskId, event.because);
  return causes;
}

/**
 * The tasks of `model` a bounded report shows: of each kind, at most {@link SHOWN_AT_MOST}:
 * - `failed`: those that failed, the earliest to end first (the first failure is often the cause);
 * - `skippedByFailure`: those skipped because a task failed, those whose own dependency failed
 *   first, then those skipped because a skip of one did (a skip by a trigger rule while nothing
 *   failed is not one);
 * - `criticalPath`: the whole path, or its two ends when it is longer;
 * - `slowest`: the longest busy (every attempt together);
 * - `retried`: those that ran more than one attempt or failed waiting to retry, most attempts first;
 * - `cutShort`: those whose last attempt a stop or a cancel of the run cut, or still running.
 */
export function shownTasks(model: RunModel, criticalPath: readonly string[], causes: ReadonlyMap<string, string>): ShownTasks {
  const byId = new Map(model.tasks.map((task) => [task.id, task]));
  const failedRoot = failureSkips(byId, causes);
  const picked: Record<ShownKind, readonly TaskRow[]> = {
    failed: model.tasks.filter((task) => task.outcome === 'failed').sort((a, b) => (a.endMs ?? 0) - (b.endMs ?? 0)),
    skippedByFailure: model.tasks
      .filter((task) => failedRoot.has(task.id))
      .sort((a, b) => Number(!failedRoot.get(a.id)) - Number(!failedRoot.get(b.id))),
    criticalPath: pathEnds(criticalPath, SHOWN_AT_MOST.criticalPath).flatMap((id) => byId.get(id) ?? []),
    slowest: slowest(model.tasks, SHOWN_AT_MOST.slowest),
    retried: model.tasks.filter(wasRetried).sort((a, b) => attemptsStarted(b) - attemptsStarted(a)),
    cutShort: model.tasks.filter((task) => CUT.has(task.attempts[task.attempts.length - 1]?.outcome ?? '')),
  };
  // of the slowest, the run had as many as tasks that ran
  const ran = model.tasks.reduce((count, task) => count + (task.attempts.length > 0 ? 1 : 0), 0);
  const shown = new Set<TaskRow>();
  const kinds = (Object.keys(SHOWN_AT_MOST) as ShownKind[]).map((kind): KindShown => {
    const some = picked[kind].slice(0, SHOWN_AT_MOST[kind]);
    for (const task of some) shown.add(task);
    const of = kind === 'criticalPath' ? criticalPath.length : kind === 'slowest' ? ran : picked[kind].length;
    return { kind, shown: some.length, of };
  });
  const tasks = model.tasks.filter((task) => shown.has(task));
  return { tasks, kinds, slowest: picked.slowest };
}

/** How a last attempt ended when the run, not the task, ended it (or it still runs). */
const CUT: ReadonlySet<string> = new Set(['interrupted', 'cancelled', 'unfinished']);

/** An attempt after the first, or a failure that was to be retried (an attempt run again on resume is the same attempt). */
function wasRetried(task: TaskRow): boolean {
  return task.attempts.some((bar) => bar.attempt > 1 || bar.retry !== 'none');
}

/** The whole path when it has at most `most` tasks, else its first and last `most / 2`. */
function pathEnds(path: readonly string[], most: number): readonly string[] {
  if (path.length <= most) return path;
  const half = Math.floor(most / 2);
  return [...path.slice(0, half), ...path.slice(path.length - half)];
}

/** How long a task was busy: every attempt together, in ms. */
export function busyMs(task: TaskRow): number {
  return task.attempts.reduce((sum, bar) => sum + (bar.endMs - bar.startMs), 0);
}

/**
 * The `most` tasks busy longest, the longest first; ties in the run's order. Kept as a short list
 * sorted as it goes: a task shorter than the last of a full list is passed over at once.
 */
function slowest(tasks: readonly TaskRow[], most: number): TaskRow[] {
  const longest: { readonly task: TaskRow; readonly busy: number }[] = [];
  for (const task of tasks) {
    if (task.attempts.length === 0) continue;
    const busy = busyMs(task);
    if (longest.length === most && busy <= longest[most - 1]!.busy) continue;
    let at = longest.length;
    while (at > 0 && longest[at - 1]!.busy < busy) at--;
    longest.splice(at, 0, { task, busy });
    if (longest.length > most) longest.pop();
  }
  return longest.map(({ task }) => task);
}

/**
 * The skipped tasks whose skip goes back to a failure, following each `because` up to a task
 * that did not skip: `true` when its own `because` failed, `false` when it skipped because of a
 * skip that did. Each chain is walked once.
 */
function failureSkips(byId: ReadonlyMap<string, TaskRow>, causes: ReadonlyMap<string, string>): Map<string, boolean> {
  /** Whether a skipped task's skip goes back to a failure, once known. */
  const rootFailed = new Map<string, boolean>();
  const walk = (start: string): boolean => {
    const chain: string[] = [];
    let id: string | undefined = start;
    let failed = false;
    // a log from outside could hold a loop of causes: a task met again ends the walk
    const met = new Set<string>();
    while (id !== undefined && !met.has(id)) {
      const known = rootFailed.get(id);
      if (known !== undefined) {
        failed = known;
        break;
      }
      const task = byId.get(id);
      if (task?.outcome !== 'skipped') {
        failed = task?.outcome === 'failed';
        break;
      }
      met.add(id);
      chain.push(id);
      id = causes.get(id);
    }
    for (const skipped of chain) rootFailed.set(skipped, failed);
    return failed;
  };
  const skips = new Map<string, boolean>();
  for (const [id, because] of causes) {
    if (byId.get(id)?.outcome !== 'skipped' || !walk(id)) continue;
    skips.set(id, byId.get(because)?.outcome === 'failed');
  }
  return skips;
}
