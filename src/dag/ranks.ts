/**
 * Upward ranks, the scheduler's critical-path priority: for each task, the longest path from it
 * to the end of the DAG. Computes numbers only; which task starts first is the planner's call.
 */
import type { CsrGraph } from './csr';

/** Longest remaining path per task, computed dependents-first along the reverse topological order. */
export function upwardRanks(estimates: Float64Array, dependents: CsrGraph, order: Int32Array): Float64Array {
  let estimated = 0;
  let estimateSum = 0;
  for (const estimate of estimates) {
    if (!Number.isNaN(estimate)) {
      estimated++;
      estimateSum += estimate;
    }
  }
  // Tasks without an estimate weigh the mean of the given ones, so mixed DAGs stay comparable.
  const fallback = estimated === 0 ? 1 : estimateSum / estimated;
  const rank = new Float64Array(estimates.length);
  for (let k = order.length - 1; k >= 0; k--) {
    const i = order[k]!;
    let longest = 0;
    for (let e = dependents.start[i]!; e < dependents.start[i + 1]!; e++) {
      const r = rank[dependents.targets[e]!]!;
      if (r > longest) longest = r;
    }
    const estimate = estimates[i]!;
    rank[i] = (Number.isNaN(estimate) ? fallback : estimate) + longest;
  }
  return rank;
}
