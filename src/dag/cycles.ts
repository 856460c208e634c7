/**
 * Cycle detection over a compact adjacency (CSR) graph: a pure function returning what it found
 * rather than throwing. Iterative, so a 100,000-task cycle does not overflow the stack.
 */
import type { CsrGraph } from './csr';

/** The result of {@link topologicalOrder}. */
export interface TopologicalResult {
  /** Nodes in an order where every edge points forward; shorter than the graph when it has cycles. */
  readonly order: Int32Array;
  /** Distinct cycles among the nodes left out of `order`, each as the list of its nodes, first not repeated. */
  readonly cycles: readonly (readonly number[])[];
}

/**
 * Kahn's algorithm over `dependents` (edges from a dependency to its dependents), then cycle
 * extraction over `deps` (the same edges reversed) for the nodes it could not order.
 */
export function topologicalOrder(dependents: CsrGraph, deps: CsrGraph, inDegree: Int32Array): TopologicalResult {
  const graph = dependents;
  const n = inDegree.length;
  const remaining = Int32Array.from(inDegree);
  const order = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) if (remaining[i] === 0) order[tail++] = i;
  while (head < tail) {
    const node = order[head++]!;
    for (let e = graph.start[node]!; e < graph.start[node + 1]!; e++) {
      const next = graph.targets[e]!;
      if (--remaining[next] === 0) order[tail++] = next;
    }
  }
  if (tail === n) return { order, cycles: [] };
  return { order: order.slice(0, tail), cycles: findCycles(deps, remaining) };
}

/**
 * Finds cycles among nodes whose `remaining` in-degree is still positive (the nodes Kahn's
 * algorithm could not order). Every such node has a dependency in that set too, so a walk that
 * keeps following dependencies inside it must revisit a node, and the revisited stretch is a
 * cycle, listed in "depends on" order. Each node is walked at most once, so this is linear.
 */
function findCycles(deps: CsrGraph, remaining: Int32Array): number[][] {
  const graph = deps;
  const n = remaining.length;
  // 0 = not visited, otherwise the number of the walk that visited it
  const walkOf = new Int32Array(n);
  const positionInWalk = new Int32Array(n);
  const cycles: number[][] = [];
  let walk = 0;
  for (let startNode = 0; startNode < n; startNode++) {
    if (remaining[startNode] === 0 || walkOf[startNode] !== 0) continue;
    walk++;
    const path: number[] = [];
    let node = startNode;
    for (;;) {
      walkOf[node] = walk;
      positionInWalk[node] = path.length;
      path.push(node);
      const next = firstBlockedNeighbour(graph, remaining, node);
      if (next < 0) break; // cannot happen for a blocked node, but a walk must end
      if (walkOf[next] === walk) {
        cycles.push(path.slice(positionInWalk[next]));
        break;
      }
      if (walkOf[next] !== 0) break; // joins an earlier walk: that cycle is already reported
      node = next;
    }
  }
  return cycles;
}

function firstBlockedNeighbour(graph: CsrGraph, remaining: Int32Array, node: number): number {
  for (let e = graph.start[node]!; e < graph.start[node + 1]!; e++) {
    const next = graph.targets[e]!;
    if (remaining[next]! > 0) return next;
  }
  return -1;
}
