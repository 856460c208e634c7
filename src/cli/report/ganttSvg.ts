/**
 * The report's Gantt timeline, as inline SVG: a row per task, a bar per attempt, and the lines
 * between (what a task waited for before its first start, the backoff before a retry). It
 * lays out and labels; what each attempt was comes from the run model (`runModel.ts`).
 */
import { drawnAttempts } from './boundedPage';
import { escapeHtml, formatMs, textWidth, truncate } from './html';
import type { AttemptBar, RetryAfter, RunModel, TaskRow } from './runModel';
import type { TaskWait } from './taskWaits';
import { waitTitle } from './waitText';

/** Sizes of the chart, in px. */
const GANTT = { labelWidth: 210, chartWidth: 900, rowHeight: 18, barHeight: 12, axisHeight: 26, right: 40 } as const;

/** What a bar's tooltip adds after its outcome about the retry that followed. */
const RETRY_NOTES: Readonly<Record<RetryAfter, string>> = { none: '', retried: ', retried', cancelled: ', its retry cancelled' };

/** Font sizes of the chart's text, in px (the stylesheet's `svg text` and `.attempt-label`). */
const FONT = { text: 11, attemptLabel: 10 } as const;

/** The widest a task's label is drawn before it is cut: about 28 letters. */
const LABEL_MAX_PX = 200;

/**
 * The Gantt timeline as inline SVG: one row per task, one bar per attempt coloured by how it
 * ended (class = outcome), a dashed line for the backoff before a retry, a thin line from ready
 * to the first start (darker when the task waited for a slot, a limit or its agent), and the
 * critical path highlighted. The drawing is as wide as its labels need.
 */
export function ganttSvg(model: RunModel, critical: ReadonlySet<string>, attemptsAtMost = Number.POSITIVE_INFINITY): string {
  const span = Math.max(model.durationMs, ...model.tasks.flatMap((t) => t.attempts.map((a) => a.endMs)), 1);
  const labelWidth = Math.max(
    GANTT.labelWidth,
    ...model.tasks.map((task) => textWidth(taskLabel(task.id, critical.has(task.id)), FONT.text) + 16),
  );
  const x = (ms: number) => labelWidth + (ms / span) * GANTT.chartWidth;
  const width = Math.ceil(Math.max(labelWidth + GANTT.chartWidth + GANTT.right, ...model.tasks.map((task) => rightEdge(task, x) + 8)));
  const height = GANTT.axisHeight + model.tasks.length * GANTT.rowHeight + 8;
  const parts: string[] = [axis(span, x, height)];
  const resumedAtMs = model.resumedAtMs ?? [];
  model.tasks.forEach((task, i) =>
    parts.push(row(task, GANTT.axisHeight + i * GANTT.rowHeight, x, critical.has(task.id), width, resumedAtMs, attemptsAtMost)),
  );
  return (
    `<svg data-chart="gantt" class="gantt" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Timeline of task attempts">` +
    `${parts.join('')}</svg>`
  );
}

/** The rightmost point a row draws: its last bar, or the label after it. */
function rightEdge(task: TaskRow, x: (ms: number) => number): number {
  let right = 0;
  for (const bar of task.attempts) {
    const end = x(bar.startMs) + barWidthOf(bar, x);
    right = Math.max(right, end, task.attempts.length > 1 ? end + 3 + textWidth(`#${bar.attempt}`, FONT.attemptLabel) : 0);
  }
  if (task.attempts.length === 0 && task.endMs !== undefined) right = Math.max(right, x(task.endMs) + textWidth(task.outcome, FONT.text));
  return right;
}

function barWidthOf(bar: { readonly startMs: number; readonly endMs: number }, x: (ms: number) => number): number {
  return Math.max(2, x(bar.endMs) - x(bar.startMs));
}

/** A row's label: the task id, cut short, starred on the critical path. */
function taskLabel(id: string, onCriticalPath: boolean): string {
  return `${onCriticalPath ? '★ ' : ''}${truncate(id, LABEL_MAX_PX, FONT.text)}`;
}

function row(
  task: TaskRow,
  top: number,
  x: (ms: number) => number,
  onCriticalPath: boolean,
  width: number,
  resumedAtMs: readonly number[],
  attemptsAtMost: number,
): string {
  const middle = top + GANTT.rowHeight / 2;
  const barTop = middle - GANTT.barHeight / 2;
  const parts: string[] = [];
  if (onCriticalPath) parts.push(`<rect class="critical-row" x="0" y="${top}" width="${width}" height="${GANTT.rowHeight}"/>`);
  parts.push(
    `<text class="task-label${onCriticalPath ? ' critical' : ''}" x="${x(0) - 8}" y="${middle + 4}" text-anchor="end">` +
      `<title>${escapeHtml(task.id)}</title>${escapeHtml(taskLabel(task.id, onCriticalPath))}</text>`,
  );
  const first = task.attempts[0];
  if (task.readyMs !== undefined && first !== undefined && task.wait !== undefined) {
    parts.push(line(waitKind(task.wait), x(task.readyMs), x(first.startMs), middle, waitTitle(task.id, task.wait)));
  }
  const shownAttempts = drawnAttempts(task.attempts, attemptsAtMost);
  const drawn = new Set([...shownAttempts.first, ...shownAttempts.last]);
  // where the row's next label may start: attempts close together would write theirs over each other
  let labelsFrom = 0;
  task.attempts.forEach((bar, i) => {
    if (!drawn.has(bar)) {
      if (i === shownAttempts.first.length && shownAttempts.leftOut > 0) {
        const at = Math.max(x(bar.startMs), labelsFrom);
        parts.push(leftOutLabel(task.id, shownAttempts.leftOut, at, middle));
        labelsFrom = at + textWidth(`+${shownAttempts.leftOut}`, FONT.attemptLabel) + 2;
      }
      return;
    }
    // after an interrupted attempt comes its run again on resume, not a backoff
    const previous = task.attempts[i - 1];
    if (previous?.retry === 'retried' && drawn.has(previous)) {
      // the backoff ends when the retry was due; what it waited then (a slot, a limit) is drawn as a wait
      const due = previous.retryDueMs === undefined ? bar.startMs : Math.min(previous.retryDueMs, bar.startMs);
      // the process stopped while the retry waited: the line holds the time it was down too
      const resumed = resumedAtMs.some((at) => at > previous.endMs && at <= due);
      const across = resumed ? ', across a stop and resume of the run (the time it was stopped included)' : '';
      parts.push(line('backoff', x(previous.endMs), x(due), middle, `${task.id}: backoff before attempt #${bar.attempt}${across}`));
      if (bar.wait !== undefined) {
        // what held the retry back, as for a first attempt (`taskWaits.ts`), named with its number
        parts.push(line(waitKind(bar.wait), x(due), x(bar.startMs), middle, waitTitle(`${task.id} #${bar.attempt}`, bar.wait)));
      }
    }
    const left = x(bar.startMs);
    const barWidth = barWidthOf(bar, x);
    const classes = ['bar', bar.outcome, bar.retry === 'retried' ? 'retried' : '', onCriticalPath ? 'on-critical-path' : '']
      .filter(Boolean)
      .join(' ');
    const where = bar.worker === undefined ? '' : ` (worker ${bar.worker})`;
    const tip = `${task.id} #${bar.attempt} on ${bar.agent}${where}: ${bar.outcome}${tookText(bar)}${RETRY_NOTES[bar.retry]}${bar.detail === undefined ? '' : `\n${bar.detail}`}`;
    parts.push(
      `<rect class="${classes}" data-task="${escapeHtml(task.id)}" data-attempt="${bar.attempt}" x="${left.toFixed(1)}" y="${barTop}" width="${barWidth.toFixed(1)}" height="${GANTT.barHeight}" rx="2"><title>${escapeHtml(tip)}</title></rect>`,
    );
    const labelAt = left + barWidth + 3;
    if (task.attempts.length > 1 && labelAt >= labelsFrom) {
      parts.push(`<text class="attempt-label" x="${labelAt.toFixed(1)}" y="${middle + 4}">#${bar.attempt}</text>`);
      labelsFrom = labelAt + textWidth(`#${bar.attempt}`, FONT.attemptLabel) + 2;
    }
  });
  if (task.attempts.length === 0 && task.endMs !== undefined) {
    parts.push(
      `<text class="no-attempt ${task.outcome}" x="${x(task.endMs).toFixed(1)}" y="${middle + 4}"><title>${escapeHtml(task.detail ?? task.outcome)}</title>${task.outcome}</text>`,
    );
  }
  return `<g class="gantt-row" data-task="${escapeHtml(task.id)}">${parts.join('')}</g>`;
}

/** Where a timeline leaves out attempts of a task: `+54`, at the first one left out. */
function leftOutLabel(taskId: string, leftOut: number, at: number, middle: number): string {
  const tip = `${taskId}: ${leftOut} attempt${leftOut === 1 ? '' : 's'} not drawn here (the table counts every attempt)`;
  return `<text class="attempt-label" x="${at.toFixed(1)}" y="${middle + 4}"><title>${escapeHtml(tip)}</title>+${leftOut}</text>`;
}

/** How long an attempt took, after its outcome in its bar's tooltip. */
function tookText(bar: AttemptBar): string {
  const took = formatMs(bar.endMs - bar.startMs);
  switch (bar.outcome) {
    // its bar ends at the last event journaled: it ran on for a time no event tells
    case 'interrupted':
      return ` after at least ${took} (${formatMs(bar.startMs)} → at least ${formatMs(bar.endMs)}, the last event recorded before the stop)`;
    // its bar ends when the report was written, the attempt still running
    case 'unfinished':
      return `, running for ${took} when the report was written (${formatMs(bar.startMs)} → ${formatMs(bar.endMs)})`;
    default: {
      const timed = bar.takenUp === true ? ', timed from the resume that took it up: it may have started on its worker before' : '';
      return ` in ${took} (${formatMs(bar.startMs)} → ${formatMs(bar.endMs)}${timed})`;
    }
  }
}

/** How a wait is drawn: held back by something (`queued`), or only dispatch latency. */
function waitKind(wait: TaskWait): 'queued' | 'dispatch' {
  return wait.kind === 'waited' || wait.kind === 'resumed' || wait.kind === 'kept' ? 'queued' : 'dispatch';
}

function line(kind: string, from: number, to: number, y: number, tip: string): string {
  return `<line class="${kind}" x1="${from.toFixed(1)}" y1="${y}" x2="${to.toFixed(1)}" y2="${y}"><title>${escapeHtml(tip)}</title></line>`;
}

/** The time axis: ticks at a round step giving about ten labels. */
function axis(span: number, x: (ms: number) => number, height: number): string {
  const step = niceStep(span / 10);
  const parts: string[] = [];
  for (let t = 0; t <= span + step / 1000; t += step) {
    const at = x(t).toFixed(1);
    parts.push(`<line class="grid" x1="${at}" y1="${GANTT.axisHeight - 4}" x2="${at}" y2="${height}"/>`);
    parts.push(`<text class="tick" x="${at}" y="${GANTT.axisHeight - 8}" text-anchor="middle">${formatMs(t)}</text>`);
  }
  return `<g class="axis">${parts.join('')}</g>`;
}

/** The smallest of 1, 2, 5 × 10^k that is at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw) ?? 10 * power;
}
