import { layeredLayout, NODE } from '../../../src/cli/report/layeredLayout';

describe('layeredLayout', () => {
  const column = (layer: number) => NODE.margin + layer * (NODE.width + NODE.gapX);

  it('should put each task one layer right of its deepest dependency', () => {
    const layout = layeredLayout(
      ['a', 'b', 'c', 'd'],
      [
        ['a', 'b'],
        ['b', 'c'],
        ['a', 'c'],
        ['a', 'd'],
      ],
    );
    expect(Object.fromEntries([...layout.places].map(([id, place]) => [id, place.layer]))).toEqual({ a: 0, b: 1, c: 2, d: 1 });
    expect(layout.places.get('c')!.x).toBe(column(2));
    expect(layout.width).toBe(2 * NODE.margin + 3 * (NODE.width + NODE.gapX) - NODE.gapX);
  });

  it('should order a layer by the positions of the dependencies, so edges cross less', () => {
    // x1 feeds y2 and x2 feeds y1: drawn in the given order, the two edges would cross
    const layout = layeredLayout(
      ['x1', 'x2', 'y1', 'y2'],
      [
        ['x2', 'y1'],
        ['x1', 'y2'],
      ],
    );
    expect(layout.places.get('y2')!.y).toBeLessThan(layout.places.get('y1')!.y);
  });

  it('should never place two nodes on top of each other, and size the drawing to hold them', () => {
    const ids = Array.from({ length: 50 }, (_, i) => `t${i}`);
    const edges = ids.slice(1).map((id, i) => [ids[i % 7]!, id] as const);
    const layout = layeredLayout(ids, edges);
    const corners = new Set([...layout.places.values()].map((p) => `${p.x},${p.y}`));
    expect(corners.size).toBe(50);
    for (const place of layout.places.values()) {
      expect(place.x + NODE.width).toBeLessThanOrEqual(layout.width);
      expect(place.y + NODE.height).toBeLessThanOrEqual(layout.height);
    }
  });

  it('should route an edge that spans layers along a lane in each layer between, clear of its nodes', () => {
    const layout = layeredLayout(
      ['a', 'b', 'c', 'd'],
      [
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'd'],
        ['a', 'd'],
      ],
    );
    expect(layout.routes.map((route) => [route.from, route.to, route.points.length])).toEqual([
      ['a', 'b', 2],
      ['b', 'c', 2],
      ['c', 'd', 2],
      ['a', 'd', 6], // out of a, through layers 1 and 2 (in and out of each), into d
    ]);
    const [start, ...rest] = layout.routes[3]!.points;
    const end = rest.pop()!;
    expect(start).toEqual({ x: column(0) + NODE.width, y: layout.places.get('a')!.y + NODE.height / 2 });
    expect(end).toEqual({ x: column(3), y: layout.places.get('d')!.y + NODE.height / 2 });
    expect(rest.map((p) => p.x)).toEqual([column(1), column(1) + NODE.width, column(2), column(2) + NODE.width]);
    for (const [i, id] of [
      [0, 'b'],
      [2, 'c'],
    ] as const) {
      const lane = rest[i]!.y;
      expect(rest[i + 1]!.y).toBe(lane); // straight along the lane
      const node = layout.places.get(id)!;
      expect(lane <= node.y || lane >= node.y + NODE.height).toBe(true);
    }
  });

  it('should ignore edges to unknown tasks', () => {
    expect(layeredLayout(['a'], [['ghost', 'a']]).places.get('a')!.layer).toBe(0);
  });

  it('should lay out a DAG without tasks as an empty drawing one column wide', () => {
    const layout = layeredLayout([], []);
    expect(layout.places.size).toBe(0);
    expect(layout.routes).toEqual([]);
    expect(layout.width).toBe(2 * NODE.margin + NODE.width);
    expect(layout.height).toBe(2 * NODE.margin + NODE.height);
  });
});
