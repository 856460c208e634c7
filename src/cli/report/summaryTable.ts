/**
 * The report's table of tasks, as HTML: a row per task with what became of it. It computes
 * nothing the run model (`runModel.ts`) does not hold.
 */
import { lastFailed } from './boundedPage';
import { describeEstimate, describeRules, type RunSetup } from '../output/runSetup';
import { escapeHtml, formatMs } from './html';
import { attemptsStarted, type RunModel } from './runModel';
import { waitCell } from './waitText';

/**
 * The summary table: one row per task with its outcome, attempts, timings and error; with a
 * run's setup, what each task asked of the limits (`Rules`) and its `Estimate` too, when any
 * task has one; what held a task back before it started (`Waited`), when anything held one.
 */
export function summaryTable(model: RunModel, critical: ReadonlySet<string>, setup?: RunSetup): string {
  const tasks = setup?.tasks;
  const withRules = tasks !== undefined && [...tasks.values()].some((task) => describeRules(task) !== '');
  const withEstimates = tasks !== undefined && [...tasks.values()].some((task) => task.estimateMs !== undefined);
  // what held tasks back, in words a keyboard or a screen reader reaches too (the timeline has it in tooltips)
  const withWaits = model.tasks.some((task) => waitCell(task.wait) !== '');
  const head = [
    'Task',
    'Outcome',
    'Attempts',
    'Agent',
    ...(withRules ? ['Rules'] : []),
    ...(withEstimates ? ['Estimate'] : []),
    'Ready',
    'Started',
    'Ended',
    'Busy',
    ...(withWaits ? ['Waited'] : []),
    'Details',
  ]
    .map((h) => `<th scope="col">${h}</th>`)
    .join('');
  const rows = model.tasks.map((task) => {
    const first = task.attempts[0];
    const busy = task.attempts.reduce((sum, bar) => sum + (bar.endMs - bar.startMs), 0);
    const cells = [
      `${critical.has(task.id) ? '<span class="star" title="on the critical path">★</span> ' : ''}${escapeHtml(task.id)}`,
      `<span class="badge ${task.outcome}">${task.outcome}</span>`,
      String(attemptsStarted(task)),
      escapeHtml(first?.agent ?? ''),
      ...(withRules ? [escapeHtml(describeRules(tasks.get(task.id)))] : []),
      ...(withEstimates ? [escapeHtml(describeEstimate(tasks.get(task.id)))] : []),
      time(task.readyMs),
      time(first?.startMs),
      time(task.endMs),
      task.attempts.length === 0 ? '' : time(busy),
      ...(withWaits ? [escapeHtml(waitCell(task.wait))] : []),
      `<span class="detail">${escapeHtml(detailOf(task))}</span>`,
    ];
    return `<tr data-task="${escapeHtml(task.id)}" class="${task.outcome}">${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  return `<table class="summary"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/**
 * What the Details cell says of a task: its own detail (why it failed, was skipped, cancelled),
 * else a warning it completed with, else, for a task that completed after attempts that failed,
 * the last of those failures (the timeline has each one in its tooltip), and for one whose last
 * attempt failed and whose retry had not begun (a run stopped, or still going), that failure.
 */
function detailOf(task: RunModel['tasks'][number]): string {
  if (task.detail !== undefined) return task.detail;
  const warning = task.attempts.find((bar) => bar.outcome === 'warning');
  if (warning?.detail !== undefined) return warning.detail;
  const failed = task.attempts.filter((bar) => bar.outcome === 'failed' || bar.outcome === 'timed-out');
  const last = task.attempts[lastFailed(task.attempts)];
  if (task.outcome === 'unfinished' && last !== undefined && last === task.attempts.at(-1))
    return `waiting to retry; attempt #${last.attempt} failed: ${last.detail ?? ''}`;
  if (task.outcome !== 'completed' || last === undefined) return '';
  return `completed after ${failed.length} failed attempt${failed.length === 1 ? '' : 's'}; attempt #${last.attempt} failed: ${last.detail ?? ''}`;
}

/** A time of the table, kept on one line (`106 ms`, not `106` above `ms`). */
function time(ms: number | undefined): string {
  return ms === undefined ? '' : `<span class="time">${formatMs(ms)}</span>`;
}
