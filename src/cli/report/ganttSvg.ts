import { escapeHtml, formatMs, truncate } from './html';
import type { RunModel, TaskRow } from './runModel';

/** Sizes of the chart, in px. */
const GANTT = { labelWidth: 210, chartWidth: 900, rowHeight: 18, barHeight: 12, axisHeight: 26, right: 40 } as const;

/**
 * The Gantt timeline as inline SVG: one row per task, one bar per attempt coloured by how it
 * ended (class = outcome), a dashed line for the backoff before a retry, a thin line for the
 * time a task waited between ready and its first start, and the critical path highlighted.
 */
export function ganttSvg(model: RunModel, critical: ReadonlySet<string>): string {
  const span = Math.max(model.durationMs, ...model.tasks.flatMap((t) => t.attempts.map((a) => a.endMs)), 1);
  const x = (ms: number) => GANTT.labelWidth + (ms / span) * GANTT.chartWidth;
  const width = GANTT.labelWidth + GANTT.chartWidth + GANTT.right;
  const height = GANTT.axisHeight + model.tasks.length * GANTT.rowHeight + 8;
  const parts: string[] = [axis(span, x, height)];
  model.tasks.forEach((task, i) => parts.push(row(task, GANTT.axisHeight + i * GANTT.rowHeight, x, critical.has(task.id))));
  return (
    `<svg data-chart="gantt" class="gantt" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Timeline of task attempts">` +
    `${parts.join('')}</svg>`
  );
}

function row(task: TaskRow, top: number, x: (ms: number) => number, onCriticalPath: boolean): string {
  const middle = top + GANTT.rowHeight / 2;
  const barTop = middle - GANTT.barHeight / 2;
  const parts: string[] = [];
  if (onCriticalPath)
    parts.push(
      `<rect class="critical-row" x="0" y="${top}" width="${x(0) + GANTT.chartWidth + GANTT.right}" height="${GANTT.rowHeight}"/>`,
    );
  parts.push(
    `<text class="task-label${onCriticalPath ? ' critical' : ''}" x="${GANTT.labelWidth - 8}" y="${middle + 4}" text-anchor="end">` +
      `<title>${escapeHtml(task.id)}</title>${onCriticalPath ? '★ ' : ''}${escapeHtml(truncate(task.id, 28))}</text>`,
  );
  const first = task.attempts[0];
  if (task.readyMs !== undefined && first !== undefined && first.startMs > task.readyMs) {
    parts.push(
      line(
        'queued',
        x(task.readyMs),
        x(first.startMs),
        middle,
        `${task.id}: waited ${formatMs(first.startMs - task.readyMs)} for a free slot`,
      ),
    );
  }
  task.attempts.forEach((bar, i) => {
    const previous = task.attempts[i - 1];
    if (previous !== undefined)
      parts.push(line('backoff', x(previous.endMs), x(bar.startMs), middle, `${task.id}: backoff before attempt #${bar.attempt}`));
    const left = x(bar.startMs);
    const barWidth = Math.max(2, x(bar.endMs) - left);
    const classes = ['bar', bar.outcome, bar.retried ? 'retried' : '', onCriticalPath ? 'on-critical-path' : ''].filter(Boolean).join(' ');
    const tip = `${task.id} #${bar.attempt} on ${bar.agent}: ${bar.outcome}${bar.retried ? ', retried' : ''} in ${formatMs(bar.endMs - bar.startMs)} (${formatMs(bar.startMs)} → ${formatMs(bar.endMs)})${bar.detail === undefined ? '' : `\n${bar.detail}`}`;
    parts.push(
      `<rect class="${classes}" data-task="${escapeHtml(task.id)}" data-attempt="${bar.attempt}" x="${left.toFixed(1)}" y="${barTop}" width="${barWidth.toFixed(1)}" height="${GANTT.barHeight}" rx="2"><title>${escapeHtml(tip)}</title></rect>`,
    );
    if (task.attempts.length > 1)
      parts.push(`<text class="attempt-label" x="${(left + barWidth + 3).toFixed(1)}" y="${middle + 4}">#${bar.attempt}</text>`);
  });
  if (task.attempts.length === 0 && task.endMs !== undefined) {
    parts.push(
      `<text class="no-attempt ${task.outcome}" x="${x(task.endMs).toFixed(1)}" y="${middle + 4}"><title>${escapeHtml(task.detail ?? task.outcome)}</title>${task.outcome}</text>`,
    );
  }
  return `<g class="gantt-row" data-task="${escapeHtml(task.id)}">${parts.join('')}</g>`;
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
