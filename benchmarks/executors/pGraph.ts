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
    const nodes = new Map<string, PGraphNode>();
    for (const id of ids) nodes.set(id, {});
    const edges: DependencyList = [];
    for (let task = 0; task < graph.size; task++) {
      for (let e = graph.depStart[task]!; e < graph.depStart[task + 1]!; e++) edges.push([ids[graph.depTargets[e]!]!, ids[task]!]);
    }
    return () => {
      const pGraph = new PGraph(nodes, edges);
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
