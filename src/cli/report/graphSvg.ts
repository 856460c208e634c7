/**
 * The report's drawing of the DAG, as inline SVG, from a layout made here (`layeredLayout.ts`).
 * It colours and labels; it decides neither the layout nor what became of each task.
 */
import type { ReportEdges } from './edges';
import { escapeHtml, truncate } from './html';
import { layeredLayout, NODE, type Point } from './layeredLayout';
import { attemptsStarted, type RunModel } from './runModel';

/** A node's label: 11 px semi-bold (the stylesheet's `.node text`), counted a little wider than regular text. */
const NODE_FONT_PX = 11.5;
/** The most bytes the edges of a drawn graph may take (see `edgeCost`): a layout of millions of route points ran out of memory. */
const MAX_EDGES_COST = 5_000_000;
/** Room left on each side of a node's label, both together, in px. */
const NODE_PADDING_PX = 12;

/**
 * The DAG as inline SVG, laid out here (no library, no network): nodes coloured by how the task
 * ended, edges as curves from dependency to dependent, the critical path's nodes and edges
 * drawn heavier. Inferred edges are dashed. An edge spanning several layers runs along a lane kept
 * free in each column it crosses, never through a node.
 */
export function graphSvg(model: RunModel, { edges, inferred }: ReportEdges, criticalPath: readonly string[]): string {
  const layout = layeredLayout(
    model.tasks.map((task) => task.id),
    edges,
    MAX_EDGES_COST,
  );
  if ('oversize' in layout) {
    const { edges: count, crossed } = layout;
    const dependencies = `${count.toLocaleString('en-US')} dependenc${count === 1 ? 'y' : 'ies'}`;
    const crossing = crossed === 0 ? '' : `, crossing ${crossed.toLocaleString('en-US')} columns in all,`;
    return `<p class="note" id="graph-not-drawn">The graph is not drawn: its ${dependencies}${crossing} would take more than a page holds. <code>rxdag graph FILE</code> draws the DAG (Mermaid, or DOT with <code>--format dot</code>).</p>`;
  }
  const onPath = new Set(criticalPath);
  const criticalEdges = new Set(criticalPath.slice(1).map((to, i) => `${criticalPath[i]}\u0000${to}`));
  const parts: string[] = [
    '<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M0,0 L8,4 L0,8 z" class="arrow-head"/></marker>' +
      '<marker id="arrow-critical" viewBox="0 0 8 8" refX="8" refY="4" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M0,0 L8,4 L0,8 z" class="arrow-head critical"/></marker></defs>',
  ];
  for (const { from, to, points } of layout.routes) {
    const critical = criticalEdges.has(`${from}\u0000${to}`);
    parts.push(
      `<path class="edge${critical ? ' critical' : ''}${inferred ? ' inferred' : ''}" d="${routePath(points)}" marker-end="url(#${critical ? 'arrow-critical' : 'arrow'})"><title>${escapeHtml(`${from} → ${to}`)}</title></path>`,
    );
  }
  for (const task of model.tasks) {
    const place = layout.places.get(task.id)!;
    const attempts = attemptsStarted(task);
    const tip = `${task.id}: ${task.outcome}${attempts > 1 ? ` after ${attempts} attempts` : ''}${task.detail === undefined ? '' : `\n${task.detail}`}`;
    parts.push(
      `<g class="node ${task.outcome}${onPath.has(task.id) ? ' critical' : ''}" data-task="${escapeHtml(task.id)}" transform="translate(${place.x},${place.y})">` +
        `<title>${escapeHtml(tip)}</title><rect width="${NODE.width}" height="${NODE.height}" rx="5"/>` +
        `<text x="${NODE.width / 2}" y="${NODE.height / 2 + 4}" text-anchor="middle">${escapeHtml(truncate(task.id, NODE.width - NODE_PADDING_PX, NODE_FONT_PX))}</text></g>`,
    );
  }
  return (
    `<svg data-chart="graph" class="graph" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" role="img" aria-label="Dependency graph">` +
    `${parts.join('')}</svg>`
  );
}

/**
 * An edge's SVG path through its route: a curve with horizontal ends across each gap between
 * columns (its control points stay in the gap, so the curve does too), a straight line along
 * each lane.
 */
export function routePath(points: readonly Point[]): string {
  const at = (p: Point) => `${round(p.x)},${round(p.y)}`;
  let d = `M${at(points[0]!)}`;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    if (i % 2 === 0) {
      d += ` L${at(b)}`;
      continue;
    }
    const bend = (b.x - a.x) / 2;
    d += ` C${at({ x: a.x + bend, y: a.y })} ${at({ x: b.x - bend, y: b.y })} ${at(b)}`;
  }
  return d;
}

function round(n: number): string {
  return String(Math.round(n * 10) / 10);
}
