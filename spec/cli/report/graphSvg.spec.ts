import path from 'node:path';
import { loadDagFile } from '../../../src/cli/dagFile/loadDagFile';
import type { Edge } from '../../../src/cli/report/edges';
import { graphSvg } from '../../../src/cli/report/graphSvg';
import { edgeCost, NODE } from '../../../src/cli/report/layeredLayout';
import type { RunModel } from '../../../src/cli/report/runModel';
import { edgesThroughNodes, readGraphSvg } from './svgGeometry';

/** A run where every task completed, in the given order: all the graph needs. */
function modelOf(ids: readonly string[]): RunModel {
  return {
    dagId: 'd',
    runId: 'r',
    outcome: 'succeeded',
    counts: undefined,
    durationMs: 1,
    eventCount: 0,
    tasks: ids.map((id) => ({ id, outcome: 'completed', attempts: [], readyMs: 0, endMs: 1, detail: undefined })),
    unnamedTasks: 0,
  };
}

function draw(ids: readonly string[], edges: readonly Edge[]) {
  return readGraphSvg(graphSvg(modelOf(ids), { edges, inferred: false }, []));
}

/** A random DAG: each task depends on a few earlier ones, some far back (long edges). */
function randomDag(seed: number, size: number): { ids: string[]; edges: Edge[] } {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const ids = Array.from({ length: size }, (_, i) => `t${i}`);
  const edges: Edge[] = [];
  for (let i = 1; i < size; i++) {
    const deps = new Set(Array.from({ length: 1 + Math.floor(next() * 3) }, () => Math.floor(next() * i)));
    for (const dep of deps) edges.push([ids[dep]!, ids[i]!]);
  }
  return { ids, edges };
}

describe('the report graph', () => {
  it('should not draw a graph whose edges cross more columns than a page holds (a chain whose steps all depend on its first task), and say so', () => {
    // 2 n edges, but the first task's edge to step k crosses k columns: n² / 2 slots in all
    const chain = (n: number) => {
      const ids = ['setup', ...Array.from({ length: n }, (_, i) => `s${i}`)];
      const edges: Edge[] = ids.slice(1).flatMap((id, i) => [['setup', id] as Edge, ...(i === 0 ? [] : [[`s${i - 1}`, id] as Edge])]);
      return graphSvg(modelOf(ids), { edges, inferred: false }, []);
    };
    const drawn = chain(100);
    expect(drawn).toMatch(/^<svg data-chart="graph"/);
    const refused = chain(4000);
    expect(refused).toBe(
      '<p class="note" id="graph-not-drawn">The graph is not drawn: its 7,999 dependencies, crossing 7,998,000 columns in all, would take more than a page holds. <code>rxdag graph FILE</code> draws the DAG (Mermaid, or DOT with <code>--format dot</code>).</p>',
    );
    // many edges of one column each, with long ids (their tooltips): counted too, and said without columns
    const wide = Array.from({ length: 300 }, (_, i) => `${'x'.repeat(120)}${i}`);
    const bipartite: Edge[] = wide.slice(0, 150).flatMap((from) => wide.slice(150).map((to) => [from, to] as Edge));
    expect(graphSvg(modelOf(wide), { edges: [...bipartite, ['gone', wide[0]!]], inferred: false }, [])).toMatch(
      /^<p class="note" id="graph-not-drawn">The graph is not drawn: its 22,500 dependencies would take more than a page holds\./,
    );
  });

  it('should count what a drawn edge takes of the page at least as it is drawn', () => {
    const edgeBytes = (svg: string) => Buffer.byteLength((svg.match(/<path class="edge[^]*?<\/path>/g) ?? []).join(''));
    // one column each, short ids: the markup around a route is most of it
    const ids = Array.from({ length: 120 }, (_, i) => `t${i}`);
    const bipartite: Edge[] = ids.slice(0, 60).flatMap((from) => ids.slice(60).map((to) => [from, to] as Edge));
    const wide = graphSvg(modelOf(ids), { edges: bipartite, inferred: false }, []);
    expect(edgeBytes(wide)).toBeLessThanOrEqual(bipartite.reduce((sum, [from, to]) => sum + edgeCost(from, to, 1), 0));
    // a fan over a chain: edges crossing up to 200 columns
    const steps = Array.from({ length: 200 }, (_, i) => `s${i}`);
    const fan: Edge[] = steps.flatMap((id, i) => [['setup', id] as Edge, ...(i === 0 ? [] : [[steps[i - 1]!, id] as Edge])]);
    const long = graphSvg(modelOf(['setup', ...steps]), { edges: fan, inferred: false }, []);
    const counted = fan.reduce((sum, [from, to]) => sum + edgeCost(from, to, from === 'setup' ? Number(to.slice(1)) + 1 : 1), 0);
    expect(edgeBytes(long)).toBeLessThanOrEqual(counted);
    // ids escaped in the page, or of characters of three bytes each
    for (const mark of ['&', '任']) {
      const named = Array.from({ length: 40 }, (_, i) => `${mark.repeat(20)}${i}`);
      const edges: Edge[] = named.slice(0, 20).flatMap((from) => named.slice(20).map((to) => [from, to] as Edge));
      const svg = graphSvg(modelOf(named), { edges, inferred: false }, []);
      expect(edgeBytes(svg)).toBeLessThanOrEqual(edges.reduce((sum, [from, to]) => sum + edgeCost(from, to, 1), 0));
    }
  });

  it('should route an edge that skips a layer around the node in between, not through it', () => {
    // a → b → c and a → c: drawn straight, a → c would run through b (all three on one row)
    const graph = draw(
      ['a', 'b', 'c'],
      [
        ['a', 'b'],
        ['b', 'c'],
        ['a', 'c'],
      ],
    );
    expect(graph.edges).toHaveLength(3);
    expect(edgesThroughNodes(graph)).toEqual([]);
  });

  it('should start each edge at its dependency and end it at its dependent', () => {
    const { ids, edges } = randomDag(7, 40);
    const graph = draw(ids, edges);
    expect(graph.edges).toHaveLength(edges.length);
    for (const edge of graph.edges) {
      const from = graph.nodes.get(edge.from)!;
      const to = graph.nodes.get(edge.to)!;
      expect(edge.pieces[0]![0]).toEqual([from.maxX, from.minY + NODE.height / 2]);
      expect(edge.pieces.at(-1)!.at(-1)).toEqual([to.minX, to.minY + NODE.height / 2]);
      // consecutive pieces join
      edge.pieces.slice(1).forEach((piece, i) => expect(piece[0]).toEqual(edge.pieces[i]!.at(-1)));
    }
  });

  it.each([3, 11, 19, 42, 77, 101])('should never draw an edge through a node (random DAG, seed %i)', (seed) => {
    const { ids, edges } = randomDag(seed, 60);
    expect(edgesThroughNodes(draw(ids, edges))).toEqual([]);
  });

  it.each(['release.yaml', 'data-pipeline.yaml', 'simulation-300.yaml'])(
    'should never draw an edge through a node (examples/%s)',
    (file) => {
      const dag = loadDagFile(path.join(__dirname, '..', '..', '..', 'examples', file)).dag;
      const edges = dag.tasks.flatMap((task) => task.deps.map((dep): Edge => [dep, task.id]));
      const graph = draw(
        dag.tasks.map((task) => task.id),
        edges,
      );
      expect(graph.edges).toHaveLength(edges.length);
      expect(edgesThroughNodes(graph)).toEqual([]);
    },
  );

  it('should size the drawing to hold every node and every edge', () => {
    const { ids, edges } = randomDag(5, 60);
    const graph = draw(ids, edges);
    for (const node of graph.nodes.values()) {
      expect(node.maxX).toBeLessThanOrEqual(graph.width);
      expect(node.maxY).toBeLessThanOrEqual(graph.height);
    }
    for (const edge of graph.edges) {
      for (const [x, y] of edge.pieces.flat()) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(graph.width);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(graph.height);
      }
    }
  });
});
