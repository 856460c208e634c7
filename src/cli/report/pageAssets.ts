/**
 * The report's inline stylesheet and script. Inline because the report is one file that must
 * open anywhere, offline; the page's Content-Security-Policy forbids loading anything else.
 */

/** Fills of each outcome; those under white text (badges, node labels) contrast with it at least 4.5:1. */
const OUTCOME_COLOURS = {
  completed: '#1a7f37',
  warning: '#9a6700',
  failed: '#cf222e',
  'timed-out': '#8e44ad',
  cancelled: '#9aa0a6',
  interrupted: '#59636e',
  skipped: '#c8ccd0',
  unfinished: '#0969da',
} as const;

/** Outcomes and what they mean, for the legend. */
export const LEGEND: readonly (readonly [keyof typeof OUTCOME_COLOURS | 'retried', string])[] = [
  ['completed', 'completed'],
  ['warning', 'completed with a warning'],
  ['retried', 'failed, retried'],
  ['failed', 'failed'],
  ['timed-out', 'timed out'],
  ['cancelled', 'cancelled'],
  ['interrupted', 'interrupted (its process stopped)'],
  ['skipped', 'skipped'],
  ['unfinished', 'unfinished'],
];

const fills = Object.entries(OUTCOME_COLOURS)
  .map(
    ([outcome, colour]) =>
      `.bar.${outcome}, .node.${outcome} rect, .swatch.${outcome}, .badge.${outcome} { fill: ${colour}; background: ${colour}; }`,
  )
  .join('\n');

export const STYLE = `
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1f2328; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
.meta { color: #57606a; margin: 0 0 12px; } .note { color: #57606a; font-size: 13px; }
.outcome { font-weight: 600; padding: 1px 8px; border-radius: 10px; color: #fff; }
.scroll { overflow: auto; border: 1px solid #d0d7de; border-radius: 6px; max-height: 80vh; }
.scroll svg.gantt { max-width: 100%; height: auto; }
svg text { font: 11px system-ui, sans-serif; fill: #1f2328; }
.axis .tick { fill: #57606a; } .axis .grid { stroke: #eaeef2; }
.critical-row { fill: #fff3cd; } .task-label.critical { font-weight: 700; }
.bar { stroke: none; }
.bar.on-critical-path { stroke: #1f2328; stroke-width: 1.5; }
.queued { stroke: #57606a; stroke-width: 2; } .dispatch { stroke: #afb8c1; stroke-width: 1; } .backoff { stroke: #e8913a; stroke-width: 1.5; stroke-dasharray: 3 3; }
.attempt-label { fill: #57606a; font-size: 10px; } .no-attempt { fill: #6e7781; font-style: italic; }
.edge { fill: none; stroke: #8c959f; stroke-width: 1.2; } .edge.inferred { stroke-dasharray: 4 3; }
.edge.critical { stroke: #d4a017; stroke-width: 3; } .arrow-head { fill: #8c959f; } .arrow-head.critical { fill: #d4a017; }
.node rect { stroke: #fff; stroke-width: 1; } .node text { fill: #fff; font-weight: 600; }
.node.skipped text, .node.cancelled text { fill: #1f2328; } .node.critical rect { stroke: #d4a017; stroke-width: 3; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; margin: 6px 0; font-size: 12px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -2px; margin-right: 4px; }
.swatch-line { display: inline-block; width: 16px; vertical-align: 3px; margin-right: 4px; border-top: 2px solid #57606a; }
.swatch-line.dispatch { border-top: 1px solid #afb8c1; } .swatch-line.backoff { border-top: 2px dashed #e8913a; }
.swatch.retried { background: #e8913a; } .swatch.critical { background: #fff3cd; outline: 2px solid #d4a017; }
table.summary { border-collapse: collapse; width: 100%; font-size: 13px; }
.summary th, .summary td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
.summary th { background: #f6f8fa; position: sticky; top: 0; }
.badge { color: #fff; padding: 0 6px; border-radius: 8px; font-size: 12px; white-space: nowrap; } .time { white-space: nowrap; }
.badge.skipped, .badge.cancelled { color: #1f2328; }
.detail { white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 12px; }
.summary td { overflow-wrap: anywhere; } .summary td:first-child { min-width: 8em; } .summary td:last-child { min-width: 14em; }
.star { color: #d4a017; }
@media print {
  body { margin: 0; } .scroll { max-height: none; overflow: visible; border: none; }
  .scroll svg { max-width: 100%; height: auto; } .summary th { position: static; }
  .summary tr { break-inside: avoid; }
}
${fills}
.bar.failed.retried { fill: #e8913a; }
`;

/**
 * Marks the page as rendered once the browser has laid out both charts with a real size, so a
 * headless browser's `--dump-dom` shows that the report rendered, not only that it parsed.
 */
export const SCRIPT = `
(function () {
  var charts = document.querySelectorAll('svg[data-chart]');
  var sized = Array.prototype.every.call(charts, function (svg) {
    var box = svg.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  });
  var bars = document.querySelectorAll('svg[data-chart="gantt"] rect.bar').length;
  var nodes = document.querySelectorAll('svg[data-chart="graph"] .node').length;
  document.documentElement.setAttribute('data-rendered', charts.length === 2 && sized ? 'ok' : 'failed');
  document.documentElement.setAttribute('data-bars', String(bars));
  document.documentElement.setAttribute('data-nodes', String(nodes));
})();
`;
