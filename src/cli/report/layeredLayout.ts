import type { Edge } from './edges';

/** Where a node is drawn: its top-left corner, in px. */
export interface NodePlace {
  readonly x: number;
  readonly y: number;
  readonly layer: number;
}

export interface Layout {
  readonly places: ReadonlyMap<string, NodePlace>;
  readonly width: number;
  readonly height: number;
}

/** Sizes of the drawing, in px. */
export const NODE = { width: 150, height: 26, gapX: 56, gapY: 12, margin: 16 } as const;

/**
 * A layered (Sugiyama-style, much simplified) drawing of a DAG, left to right: each task's
 * layer is its longest dependency chain from a root, tasks in a layer are ordered by the mean
 * position of their dependencies (fewer crossings), and layers are centred on each other.
 * Pure, O(nodes + edges · log). Edges naming unknown ids are ignored.
 */
export function layeredLayout(ids: readonly string[], edges: readonly Edge[]): Layout {
  const known = new Set(ids);
  const depsOf = new Map<string, string[]>(ids.map((id) => [id, []]));
  const dependentsOf = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const [from, to] of edges) {
    if (!known.has(from) || !known.has(to) || from === to) continue;
    depsOf.get(to)!.push(from);
    dependentsOf.get(from)!.push(to);
  }

  // Longest path from a root, in topological order (Kahn); nodes on a cycle stay in layer 0.
  const layerOf = new Map<string, number>(ids.map((id) => [id, 0]));
  const waiting = new Map(ids.map((id) => [id, depsOf.get(id)!.length]));
  const queue = ids.filter((id) => waiting.get(id) === 0);
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head]!;
    for (const next of dependentsOf.get(id)!) {
      layerOf.set(next, Math.max(layerOf.get(next)!, layerOf.get(id)! + 1));
      const left = waiting.get(next)! - 1;
      waiting.set(next, left);
      if (left === 0) queue.push(next);
    }
  }

  const layers: string[][] = [];
  for (const id of ids) (layers[layerOf.get(id)!] ??= []).push(id);
  const position = new Map<string, number>();
  for (const layer of layers) {
    if (layer === undefined) continue;
    const barycenter = new Map(layer.map((id, i) => [id, mean(depsOf.get(id)!.map((dep) => position.get(dep) ?? 0)) ?? i]));
    layer.sort((a, b) => barycenter.get(a)! - barycenter.get(b)!); // stable: ties keep the run order
    layer.forEach((id, i) => position.set(id, i));
  }

  const tallest = Math.max(1, ...layers.map((layer) => layer?.length ?? 0));
  const step = NODE.height + NODE.gapY;
  const places = new Map<string, NodePlace>();
  layers.forEach((layer, l) => {
    const offset = ((tallest - layer.length) * step) / 2;
    layer.forEach((id, i) =>
      places.set(id, { x: NODE.margin + l * (NODE.width + NODE.gapX), y: NODE.margin + offset + i * step, layer: l }),
    );
  });
  return {
    places,
    width: 2 * NODE.margin + Math.max(1, layers.length) * (NODE.width + NODE.gapX) - NODE.gapX,
    height: 2 * NODE.margin + tallest * step - NODE.gapY,
  };
}

function mean(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((sum, v) => sum + v, 0) / values.length;
}
