import { type DependencyList, PGraph, type PGraphNode } from 'p-graph';
import { type CompactDag, taskIds } from '../dagGenerator';
import { CONCURRENCY, type Executor, noopPromise, type TaskBody } from './executor';

/**
 * p-graph 2.0 (npm): a Map of nodes and a list of `[dependency, dependent]` edges, run with its
 * own `concurrency` option and one shared `run(nodeId)` function.
 */
export const pGraphExecutor: Executor = {
  label: 'p-graph 2.0',
  load: (graph: CompactDag) => {
    const ids = taskIds(graph.size);
    // Dropped once built: PGraph copies what it needs, and a user would let the input go.
    let input: { nodes: Map<string, PGraphNode>; edges: DependencyList } | undefined = { nodes: new Map(), edges: [] };
    for (const id of ids) input.nodes.set(id, {});
    for (let task = 0; task < graph.size; task++) {
      for (let e = graph.depStart[task]!; e < graph.depStart[task + 1]!; e++) input.edges.push([ids[graph.depTargets[e]!]!, ids[task]!]);
    }
    return () => {
      if (input === undefined) throw new Error('a p-graph graph is built once per load()');
      const pGraph = new PGraph(input.nodes, input.edges);
      input = undefined;
      // Built lazily: only bodies that need a task's index pay for the id lookup.
      let indexOf: Map<string, number> | undefined;
      return {
        run: (body?: TaskBody) => {
          if (body === undefined) return pGraph.run({ concurrency: CONCURRENCY, run: noopPromise });
          indexOf ??= new Map(ids.map((id, index) => [id, index]));
          const lookup = indexOf;
          return pGraph.run({ concurrency: CONCURRENCY, run: (id) => body(lookup.get(id)!) });
        },
      };
    };
  },
};
