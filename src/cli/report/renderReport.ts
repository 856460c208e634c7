/**
 * The HTML report of one run, put together: header, timeline, graph and table, each drawn by
 * its own module from the run model; of a run of more than `BOUNDED_REPORT_TASKS` tasks, the
 * three show only the tasks `shownTasks.ts` picks, and the header says what was left out. It
 * reads no file and writes none (see `reportFile.ts`).
 */
import { createHash } from 'node:crypto';
import { criticalPath } from './criticalPath';
import { declaredEdges, inferredEdges, spawnedEdges } from './edges';
import { ganttSvg } from './ganttSvg';
import { graphSvg } from './graphSvg';
import { describeLimits } from '../output/runSetup';
import { escapeHtml, formatMs } from './html';
import { boundedRunNote, slowestLine, UNNAMED_HINT, waitsLine } from './largeRunSummary';
import { LEGEND, SCRIPT, STYLE } from './pageAssets';
import type { ReportInput } from './reportInput';
import type { TaskCounts } from '../../index';
import { buildRunModel, type RunModel } from './runModel';
import { boundedDetails, DRAWN_ATTEMPTS } from './boundedPage';
import { BOUNDED_REPORT_TASKS, SHOWN_AT_MOST, type ShownTasks, shownTasks, skipCauses } from './shownTasks';
import { summaryTable } from './summaryTable';

/**
 * Above this many tasks (and up to {@link BOUNDED_REPORT_TASKS}) the page says it is large: every
 * task is drawn and listed (a 5,000-task run makes a page of about 6 MB), which a browser opens
 * slowly.
 */
export const LARGE_RUN_TASKS = 2000;

/**
 * Nothing may be loaded from anywhere: styles and the script are inline, images are SVG. The one
 * script runs by its hash: a script that text from the events (ids, outputs, errors) smuggled
 * into the page would not, were it ever to escape its escaping.
 */
const CSP = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'; img-src data:`;

/**
 * The HTML report of one run: a single self-contained file (inline CSS, JS and SVG, no network)
 * with a summary, the Gantt timeline of attempts, the DAG drawn as a graph with the critical
 * path marked, and a table of every task. Built from the events alone, plus the DAG's deps
 * when known (see {@link ReportInput}). Of a run of more than {@link BOUNDED_REPORT_TASKS}
 * tasks, the timeline, the graph and the table show only the tasks that matter (see
 * `shownTasks`), the header names the slowest and counts the waits of every task, and a note
 * says what was left out and where every task is.
 */
export function renderReport(input: ReportInput): string {
  const model = buildRunModel(input.events, {
    knownTaskIds: input.deps === undefined ? [] : Object.keys(input.deps),
    setup: input.setup,
    maxConcurrency: input.maxConcurrency,
    stillRunningAt: input.stillRunningAt,
  });
  const { setup } = model;
  const ids = new Set(model.tasks.map((task) => task.id));
  const declared = input.deps === undefined ? undefined : declaredEdges(input.deps, ids);
  const spawned = spawnedEdges(input.events, declared?.edges);
  const edges = declared === undefined ? inferredEdges(input.events, spawned) : { ...declared, edges: [...declared.edges, ...spawned] };
  const path = criticalPath(model.tasks, edges.edges);
  const critical = new Set(path);
  const shown = model.tasks.length > BOUNDED_REPORT_TASKS ? shownTasks(model, path, skipCauses(input.events)) : undefined;
  // what the timeline, the graph and the table draw: every task, or those shown; their errors cut either way
  const drawn = boundedDetails(shown === undefined ? model : { ...model, tasks: shown.tasks });
  const counts =
    model.counts === undefined ? '' : ` · ${countsText(model.counts, model.outcome === 'interrupted' || model.outcome === 'unfinished')}`;
  const outcomeClass = model.outcome === 'succeeded' ? 'completed' : model.outcome;
  const legend =
    LEGEND.map(([cls, label]) => `<span><span class="swatch ${cls}"></span>${label}</span>`).join('') +
    '<span><span class="swatch critical"></span>critical path ★</span>' +
    '<span><span class="swatch-line backoff"></span>backoff before a retry</span>' +
    '<span><span class="swatch-line queued"></span>waited for a slot, a limit or its agent</span>' +
    '<span><span class="swatch-line dispatch"></span>dispatch latency (ready → started)</span>';
  const limits = setup === undefined ? '' : describeLimits(setup.limits);
  const fromHistory = setup?.estimates;
  const setupLines =
    (limits === '' ? '' : `<p class="meta" id="limits">Limits: ${escapeHtml(limits)}</p>\n`) +
    (fromHistory === undefined || fromHistory.fromHistory.length === 0
      ? ''
      : `<p class="meta" id="estimates">Estimates of ${fromHistory.fromHistory.length} task${fromHistory.fromHistory.length === 1 ? '' : 's'} from earlier runs (median duration in ${fromHistory.runs.map((run) => `<code>${escapeHtml(run)}</code>`).join(', ')}), marked "(history)"</p>\n`);
  const edgeNote = edges.inferred
    ? '<p class="note">The DAG file was not given: dashed edges are inferred from the order of events ("unblocked by"), and may differ from the real dependencies. Pass <code>--dag FILE</code> to draw them.</p>'
    : '';

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rxdag report: ${escapeHtml(model.dagId)} (${model.outcome})</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>rxdag run of <code>${escapeHtml(model.dagId)}</code> <span class="outcome badge ${outcomeClass}">${model.outcome}</span></h1>
<p class="meta">run ${escapeHtml(model.runId)}${input.source === undefined ? '' : ` · ${escapeHtml(input.source)}`}${startedText(model)} · ${formatMs(model.durationMs)}${resumedText(model)}${counts} · ${model.eventCount} events</p>
${sizeNote(model, shown, input)}<p class="meta" id="critical-path">Critical path (${path.length} task${path.length === 1 ? '' : 's'}): ${pathText(path, shown === undefined || path.length <= SHOWN_AT_MOST.criticalPath)}</p>
${setupLines}</header>
<section id="timeline">
<h2>Timeline</h2>
<div class="legend">${legend}</div>
<div class="scroll">${ganttSvg(drawn, critical, DRAWN_ATTEMPTS)}</div>
</section>
<section id="graph">
<h2>Graph</h2>
${edgeNote}
<div class="scroll">${graphSvg(drawn, edges, path)}</div>
</section>
<section id="tasks">
<h2>Tasks</h2>
${summaryTable(drawn, critical, setup)}
</section>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/** ` · began 2026-12-05 21:57:03 UTC`, by the clock of its events; nothing when that is not a time. */
function startedText(model: RunModel): string {
  const { startedAt } = model;
  // a clock before 2000 is no wall clock: a run in virtual time
  if (startedAt === undefined || !Number.isFinite(startedAt) || startedAt < Date.UTC(2000, 0, 1)) return '';
  const at = new Date(startedAt);
  return Number.isNaN(at.getTime()) ? '' : ` · began ${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** After the run's length: how often it was resumed, the time its process was down being part of that length. */
function resumedText(model: RunModel): string {
  const resumes = model.resumedAtMs?.length ?? 0;
  if (resumes === 0) return '';
  return ` (resumed ${resumes === 1 ? 'once' : `${resumes} times`}: the time it was stopped included)`;
}

/**
 * What the header says of the run's size: of a bounded report, what it shows and leaves out, the
 * slowest tasks and the waits of every task; of a large run drawn whole, that the page is large;
 * of a smaller run, nothing.
 */
function sizeNote(model: RunModel, shown: ShownTasks | undefined, input: ReportInput): string {
  if (shown !== undefined) return boundedRunNote(model, shown, input) + slowestLine(shown) + waitsLine(model.tasks);
  const unnamed =
    model.unnamedTasks === 0
      ? ''
      : `<p class="note" id="unnamed">${model.unnamedTasks.toLocaleString('en-US')} more task${model.unnamedTasks === 1 ? '' : 's'} of this run never became ready, which the events do not name: ${UNNAMED_HINT}.</p>\n`;
  if (model.tasks.length <= LARGE_RUN_TASKS) return unnamed;
  const show =
    input.showCommand === undefined
      ? ''
      : ` For its summary, failures and each task's timing, run <code>${escapeHtml(input.showCommand)}</code>.`;
  const count = model.tasks.length.toLocaleString('en-US');
  const every = model.unnamedTasks === 0 ? `This run has ${count} tasks: every one is` : `The events name ${count} tasks: each is`;
  return `<p class="note" id="large-run">${every} drawn and listed below, so the page is large and may be slow to open.${show}</p>\n${unnamed}`;
}

/** Tasks of a critical path named at each end of a long one; the rows in between carry its ★. */
const PATH_ENDS = 10;

/**
 * A critical path as `a → b → c`, its middle left out when it is long (`a → … → z`), pointing to
 * the timeline for it when the timeline draws every task of the path.
 */
function pathText(path: readonly string[], wholeInTimeline: boolean): string {
  const code = (id: string) => `<code>${escapeHtml(id)}</code>`;
  if (path.length === 0) return '—';
  if (path.length <= 2 * PATH_ENDS + 1) return path.map(code).join(' → ');
  const left = `… ${path.length - 2 * PATH_ENDS} more${wholeInTimeline ? ' (★ in the timeline)' : ''} …`;
  return [...path.slice(0, PATH_ENDS).map(code), left, ...path.slice(-PATH_ENDS).map(code)].join(' → ');
}

/** `98/100 completed, 1 failed, 1 skipped, 0 cancelled`; of a run that has not ended, with how many tasks have not ended (yet). */
function countsText(counts: TaskCounts, notEnded: boolean): string {
  const { total, completed, failed, skipped, cancelled } = counts;
  const open = notEnded ? `, ${Math.max(0, total - completed - failed - skipped - cancelled)} not ended` : '';
  return `${completed}/${total} completed, ${failed} failed, ${skipped} skipped, ${cancelled} cancelled${open}`;
}
