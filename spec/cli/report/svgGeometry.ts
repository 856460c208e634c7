import { NODE } from '../../../src/cli/report/layeredLayout';

/** A rectangle, in px. */
export interface Box {
  readonly minX: number;
  readonly minY: number;
  readonly maxX: number;
  readonly maxY: number;
}

/** One piece of an edge's path: its start, control points and end (a line has none). */
export type Piece = readonly (readonly [number, number])[];

/** The nodes (by task id) and edges of the report's graph SVG, read back from its markup. */
export interface DrawnGraph {
  readonly nodes: ReadonlyMap<string, Box>;
  readonly edges: readonly { readonly from: string; readonly to: string; readonly pieces: readonly Piece[] }[];
  readonly width: number;
  readonly height: number;
}

const unescape = (text: string) =>
  text.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[name]!);

/** Reads nodes and edge paths out of `<svg data-chart="graph">` (the only path commands used: M, C, L). */
export function readGraphSvg(html: string): DrawnGraph {
  const svg = /<svg data-chart="graph"[^>]*width="([\d.]+)" height="([\d.]+)"[^>]*>([\s\S]*?)<\/svg>/.exec(html);
  if (svg === null) throw new Error('no graph SVG');
  const nodes = new Map<string, Box>();
  for (const m of svg[3]!.matchAll(/<g class="node[^"]*" data-task="([^"]*)" transform="translate\(([-\d.]+),([-\d.]+)\)">/g)) {
    const x = Number(m[2]);
    const y = Number(m[3]);
    nodes.set(unescape(m[1]!), { minX: x, minY: y, maxX: x + NODE.width, maxY: y + NODE.height });
  }
  const edges = [...svg[3]!.matchAll(/<path class="edge[^"]*" d="([^"]+)"[^>]*><title>(.*?) → (.*?)<\/title>/g)].map((m) => {
    const pieces: Piece[] = [];
    let at: readonly [number, number] = [0, 0];
    for (const [, command, args] of m[1]!.matchAll(/([MCL])([^MCL]*)/g)) {
      const points = [...args!.matchAll(/([-\d.]+),([-\d.]+)/g)].map((p) => [Number(p[1]), Number(p[2])] as const);
      if (command !== 'M') pieces.push([at, ...points]);
      at = points[points.length - 1]!;
    }
    return { from: unescape(m[2]!), to: unescape(m[3]!), pieces };
  });
  return { nodes, edges, width: Number(svg[1]), height: Number(svg[2]) };
}

/**
 * Where an edge goes through a node that is not one of its ends: a piece whose control polygon's
 * bounding box (which holds the curve) overlaps the inside of the node's box. Empty when none does.
 */
export function edgesThroughNodes(graph: DrawnGraph): string[] {
  const found: string[] = [];
  for (const edge of graph.edges) {
    for (const piece of edge.pieces) {
      const xs = piece.map(([x]) => x);
      const ys = piece.map(([, y]) => y);
      const box = { minX: Math.min(...xs), maxX: Math.max(...xs), minY: Math.min(...ys), maxY: Math.max(...ys) };
      for (const [id, node] of graph.nodes) {
        if (id === edge.from || id === edge.to) continue;
        if (box.maxX > node.minX && box.minX < node.maxX && box.maxY > node.minY && box.minY < node.maxY) {
          found.push(`${edge.from} → ${edge.to} crosses ${id}`);
        }
      }
    }
  }
  return found;
}
