/**
 * What the header of a bounded report (a run of more than `BOUNDED_REPORT_TASKS` tasks) says
 * beyond a small run's: which tasks the page shows and which it leaves out, where every task can
 * be seen, the slowest tasks, and what held the tasks back before they started, counted over
 * every task. HTML paragraphs only: which tasks are shown is `shownTasks.ts`'s to decide.
 */
import { escapeHtml, formatMs } from './html';
import type { RunModel, TaskOutcome, TaskRow } from './runModel';
import { busyMs, type KindShown, type ShownKind, type ShownTasks } from './shownTasks';
import { waitGroup } from './waitText';

/** Where every task of the run can be seen, beyond the report. */
export interface EveryTaskIn {
  /** The command that shows the run from its journal, when it is journaled. */
  readonly showCommand?: string | undefined;
  /** An events log of the run: the one the report was made from, or the one the run wrote (`--events`). */
  readonly eventsLog?: string | undefined;
}

/** Slowest tasks named in the header; the table lists more. */
const SLOWEST_NAMED = 10;

/** Kinds of wait named in the header, the most common first; the rest are counted together. */
const WAIT_GROUPS_NAMED = 6;

/** Where the tasks an events log cut short does not name are. */
export const UNNAMED_HINT = 'give <code>--dag FILE</code> to list them';

/** Outcomes in the order the left-out tasks are counted. */
const OUTCOMES: readonly TaskOutcome[] = ['completed', 'failed', 'skipped', 'cancelled', 'interrupted', 'unfinished'];

/**
 * The note at the top of a bounded report: how many tasks the run has, which the timeline, the
 * graph and the table show (of each kind, how many of how many), how many are left out and how
 * they ended, and where every task is.
 *
 * @example
 * boundedRunNote(model, shown, { eventsLog: 'run.jsonl' })
 * // <p class="note" id="large-run">This run has 100,000 tasks, too many to draw: … show 152 of them: the 3 failed, …</p>
 */
export function boundedRunNote(model: RunModel, shown: ShownTasks, everyTaskIn: EveryTaskIn): string {
  const kinds = shown.kinds.filter((kind) => kind.of > 0).map(kindText);
  const shownIds = new Set(shown.tasks.map((task) => task.id));
  const leftOut = new Map<TaskOutcome, number>();
  for (const task of model.tasks) if (!shownIds.has(task.id)) leftOut.set(task.outcome, (leftOut.get(task.outcome) ?? 0) + 1);
  const leftOutCount = model.tasks.length + model.unnamedTasks - shown.tasks.length;
  const byOutcome = OUTCOMES.flatMap((outcome) => (leftOut.has(outcome) ? [`${many(leftOut.get(outcome)!)} ${outcome}`] : []));
  if (model.unnamedTasks > 0) byOutcome.push(`${many(model.unnamedTasks)} never ready, which the events do not name: ${UNNAMED_HINT}`);
  return (
    `<p class="note" id="large-run">This run has ${many(model.tasks.length + model.unnamedTasks)} tasks, too many to draw: the timeline, the graph ` +
    `(with the dependencies between these tasks) and the table show ${many(shown.tasks.length)} of them` +
    `${kinds.length === 0 ? '' : `: ${kinds.join(', ')}`}. ` +
    `Left out: ${many(leftOutCount)} task${leftOutCount === 1 ? '' : 's'}${byOutcome.length === 0 ? '' : ` (${byOutcome.join(', ')})`}. ` +
    `${whereEveryTask(everyTaskIn)}</p>\n`
  );
}

/**
 * The slowest tasks (the longest busy, every attempt together), named in the header; '' when no
 * task ran.
 */
export function slowestLine(shown: ShownTasks): string {
  const named = shown.slowest.slice(0, SLOWEST_NAMED);
  if (named.length === 0) return '';
  const list = named.map((task) => `<code>${escapeHtml(task.id)}</code> ${formatMs(busyMs(task))}`).join(', ');
  return `<p class="meta" id="slowest">Slowest (busy, every attempt together): ${list}</p>\n`;
}

/**
 * What held tasks back before their first start, counted over every task of the run (the page
 * shows each wait of the tasks it shows): for each kind of wait, how many tasks and the longest
 * wait (waits overlap: a total would say little); '' when nothing held any task back.
 */
export function waitsLine(tasks: readonly TaskRow[]): string {
  const groups = new Map<string, { tasks: number; longestMs: number }>();
  for (const task of tasks) {
    const { wait } = task;
    const group = waitGroup(wait);
    if (group === undefined || wait === undefined) continue;
    const { ms } = wait;
    const found = groups.get(group);
    if (found === undefined) groups.set(group, { tasks: 1, longestMs: ms });
    else Object.assign(found, { tasks: found.tasks + 1, longestMs: Math.max(found.longestMs, ms) });
  }
  if (groups.size === 0) return '';
  const sorted = [...groups].sort(([, a], [, b]) => b.tasks - a.tasks);
  const named = sorted
    .slice(0, WAIT_GROUPS_NAMED)
    .map(([group, { tasks: count, longestMs }]) => `${many(count)} ${escapeHtml(group)}, the longest ${formatMs(longestMs)}`);
  const others = sorted.slice(WAIT_GROUPS_NAMED).reduce((sum, [, { tasks: count }]) => sum + count, 0);
  const rest = others === 0 ? '' : `; ${many(others)} for other reasons`;
  return `<p class="meta" id="waits">Waited before their first start, of every task: ${named.join('; ')}${rest}</p>\n`;
}

/** What the note says of a kind of task shown. */
const KIND_WORDS: Readonly<Record<ShownKind, string>> = {
  failed: 'failed',
  skippedByFailure: 'skipped because a task failed',
  criticalPath: 'on the critical path',
  slowest: 'slowest',
  retried: 'retried',
  cutShort: 'cut short by a stop or a cancel of the run, or still running',
};

function kindText({ kind, shown, of }: KindShown): string {
  const words = KIND_WORDS[kind];
  if (kind === 'slowest') return `the ${many(shown)} ${words}`;
  if (shown === of) return `the ${many(of)} ${words}`;
  switch (kind) {
    case 'failed':
      return `the first ${many(shown)} of the ${many(of)} that failed`;
    case 'criticalPath':
      return `the first and last ${many(shown / 2)} of the ${many(of)} ${words}`;
    case 'retried':
      return `the ${many(shown)} with the most attempts of the ${many(of)} ${words}`;
    default:
      return `${many(shown)} of the ${many(of)} ${words}`;
  }
}

function whereEveryTask({ showCommand, eventsLog }: EveryTaskIn): string {
  const places = [
    ...(showCommand === undefined ? [] : [`<code>${escapeHtml(showCommand)}</code> (each task's timing and every failure)`]),
    ...(eventsLog === undefined ? [] : [`the events log <code>${escapeHtml(eventsLog)}</code> (a line per event)`]),
  ];
  if (places.length === 0)
    return 'This run kept no journal and no events log (<code>--events FILE</code>, a line per event), which would hold every task.';
  return `Every task is in ${places.join(' and in ')}.`;
}

/** A count for people: `100,000`. */
function many(count: number): string {
  return count.toLocaleString('en-US');
}
