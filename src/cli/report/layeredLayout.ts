import type { Edge } from './edges';
import { escapeHtml } from './html';

/** Where a node is drawn: its top-left corner, in px. */
export interface NodePlace {
  readonly x: number;
  readonly y: number;
  readonly layer: number;
}

/** A point of the drawing, in px. */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/**
 * How an edge is drawn: from the right side of its dependency to the left side of its dependent.
 * Points come in pairs after the first: `points[0]` leaves the dependency, then for each layer the
 * edge crosses, the point where it enters that layer's column and the point where it leaves it
 * (at the height of the lane kept free for it), and last the point where it reaches the dependent.
 * Segments from an even index cross the gap between two columns; segments from an odd index run
 * straight along a lane, so no segment passes through a node.
 */
export interface EdgeRoute {
  readonly from: string;
  readonly to: string;
  readonly points: readonly Point[];
}

export interface Layout {
  readonly places: ReadonlyMap<string, NodePlace>;
  /** One per drawable edge (known ends, not a self-edge), in the order of the edges given. */
  readonly routes: readonly EdgeRoute[];
  readonly width: number;
  readonly height: number;
}

/** What a layout too costly to draw would have drawn: its edges, and the columns they cross in all. */
export interface Oversize {
  readonly oversize: true;
  readonly edges: number;
  readonly crossed: number;
}

/**
 * At least as many bytes of a page as an edge from `from` to `to` spanning `span` layers takes
 * drawn: some 80 of its element and tooltip's markup, some 45 a column it crosses (a curve and a
 * line of its route), and its ends' ids as its tooltip writes them (escaped, in UTF-8 bytes).
 */
export function edgeCost(from: string, to: string, span: number): number {
  return 80 + 45 * span + idBytes(from) + idBytes(to);
}

/** An id's bytes in the page: `&` is `&amp;` there, `任` three bytes. */
function idBytes(id: string): number {
  // most ids are ASCII words: their length is their size
  return /^[\w.-]*$/.test(id) ? id.length : Buffer.byteLength(escapeHtml(id));
}

/** Sizes of the drawing, in px. `lane` is the height kept in a column for an edge passing through it. */
export const NODE = { width: 150, height: 26, gapX: 56, gapY: 12, margin: 16, lane: 6 } as const;

/** A node of a layer: a task, or a point an edge longer than one layer passes through. */
interface Slot {
  readonly id: string;
  readonly dummy: boolean;
  /** The slots of the previous layer this one is joined to. */
  readonly up: Slot[];
  /** The slots of the next layer this one is joined to. */
  readonly down: Slot[];
  order: number;
  y: number;
}

/**
 * A layered (Sugiyama-style, simplified) drawing of a DAG, left to right: each task's layer is its
 * longest dependency chain from a root; an edge spanning several layers gets a dummy slot in each
 * layer between its ends, so it is routed around the nodes there instead of through them; slots
 * of a layer are ordered by the mean position of their neighbours (down, up and down again: fewer
 * crossings), and layers are centred on each other. Pure, O((nodes + edge length) · log).
 * Edges naming unknown ids are ignored; no ids give an empty drawing of one column's size.
 * {@link Oversize} instead when drawing the edges would cost more than `maxCost` (see
 * {@link edgeCost}): an edge of a chain's first task to each of its steps spans the whole chain,
 * quadratic in the tasks.
 */
export function layeredLayout(ids: readonly string[], edges: readonly Edge[]): Layout;
export function layeredLayout(ids: readonly string[], edges: readonly Edge[], maxCost: number): Layout | Oversize;
export function layeredLayout(ids: readonly string[], edges: readonly Edge[], maxCost = Number.POSITIVE_INFINITY): Layout | Oversize {
  const known = new Set(ids);
  const drawn = edges.filter(([from, to]) => known.has(from) && known.has(to) && from !== to);
  const depsOf = new Map<string, string[]>(ids.map((id) => [id, []]));
  const dependentsOf = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const [from, to] of drawn) {
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

  let cost = 0;
  let crossed = 0;
  for (const [from, to] of drawn) {
    const span = Math.max(1, layerOf.get(to)! - layerOf.get(from)!);
    crossed += span - 1;
    cost += edgeCost(from, to, span);
  }
  if (cost > maxCost) return { oversize: true, edges: drawn.length, crossed };

  const layers: Slot[][] = [];
  const slotOf = new Map<string, Slot>();
  const addSlot = (id: string, layer: number, dummy: boolean): Slot => {
    const slot: Slot = { id, dummy, up: [], down: [], order: 0, y: 0 };
    (layers[layer] ??= []).push(slot);
    return slot;
  };
  for (const id of ids) slotOf.set(id, addSlot(id, layerOf.get(id)!, false));
  for (let l = 0; l < layers.length; l++) layers[l] ??= [];

  // Each edge as a chain of slots, one per layer it spans (only forward edges: a cycle has none).
  const chains = drawn.map(([from, to], e) => {
    const chain = [slotOf.get(from)!];
    const last = layerOf.get(to)!;
    for (let l = layerOf.get(from)! + 1; l < last; l++) chain.push(addSlot(`edge ${e} @${l}`, l, true));
    chain.push(slotOf.get(to)!);
    if (last > layerOf.get(from)!) {
      for (let i = 1; i < chain.length; i++) {
        chain[i]!.up.push(chain[i - 1]!);
        chain[i - 1]!.down.push(chain[i]!);
      }
    }
    return chain;
  });

  layers.forEach((layer) => layer.forEach((slot, i) => (slot.order = i)));
  const sweep = (from: number, to: number, step: number, neighbours: (slot: Slot) => readonly Slot[]) => {
    for (let l = from; l !== to; l += step) {
      const layer = layers[l]!;
      const barycenter = new Map(layer.map((slot) => [slot, mean(neighbours(slot).map((n) => n.order)) ?? slot.order]));
      layer.sort((a, b) => barycenter.get(a)! - barycenter.get(b)!); // stable: ties keep the run order
      layer.forEach((slot, i) => (slot.order = i));
    }
  };
  // one layer has nothing to be ordered by, and no layer (an empty DAG) no layer to start from
  if (layers.length > 1) {
    sweep(1, layers.length, 1, (slot) => slot.up);
    sweep(layers.length - 2, -1, -1, (slot) => slot.down);
    sweep(1, layers.length, 1, (slot) => slot.up);
  }

  const heightOf = (slot: Slot) => (slot.dummy ? NODE.lane : NODE.height);
  const columnHeight = (layer: readonly Slot[]) =>
    layer.reduce((sum, slot) => sum + heightOf(slot), 0) + Math.max(0, layer.length - 1) * NODE.gapY;
  const tallest = Math.max(NODE.height, ...layers.map(columnHeight));
  const columnX = (layer: number) => NODE.margin + layer * (NODE.width + NODE.gapX);
  const places = new Map<string, NodePlace>();
  layers.forEach((layer, l) => {
    let y = NODE.margin + (tallest - columnHeight(layer)) / 2;
    for (const slot of layer) {
      slot.y = y;
      if (!slot.dummy) places.set(slot.id, { x: columnX(l), y, layer: l });
      y += heightOf(slot) + NODE.gapY;
    }
  });

  const routes = chains.map((chain, e): EdgeRoute => {
    const [from, to] = drawn[e]!;
    const a = places.get(from)!;
    const b = places.get(to)!;
    const points: Point[] = [{ x: a.x + NODE.width, y: a.y + NODE.height / 2 }];
    for (let i = 1; i < chain.length - 1; i++) {
      const lane = chain[i]!.y + NODE.lane / 2;
      const x = columnX(a.layer + i);
      points.push({ x, y: lane }, { x: x + NODE.width, y: lane });
    }
    points.push({ x: b.x, y: b.y + NODE.height / 2 });
    return { from, to, points };
  });

  return {
    places,
    routes,
    width: 2 * NODE.margin + Math.max(1, layers.length) * (NODE.width + NODE.gapX) - NODE.gapX,
    height: 2 * NODE.margin + tallest,
  };
}

function mean(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((sum, v) => sum + v, 0) / values.length;
}
