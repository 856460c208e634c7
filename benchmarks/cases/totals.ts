import { generateDag } from '../dagGenerator';
import { createExecutor, executorKey, executorLabel } from '../executors';
import { median } from '../stats';
import { graphName, peakRssBytes } from './measure';
import type { TotalsCase, TotalsResult } from './types';

/** Wall time of whole runs (no-op tasks), `runs` times each graph after one untimed run (event-driven executors). */
export async function runTotalsCase(spec: TotalsCase, isolated: boolean): Promise<TotalsResult> {
  const executor = createExecutor(spec.executor);
  const polling = spec.executor.kind === 'rxdag' && spec.executor.mode === 'polling';
  const graphs: TotalsResult['graphs'][number][] = [];
  for (const recipe of spec.graphs) {
    const graph = generateDag(recipe);
    const runnable = executor.load(graph)();
    // A polled run is all waiting for ticks: warming it up would only double its cost.
    if (!polling) await runnable.run();
    const runMs: number[] = [];
    for (let r = 0; r < spec.runs; r++) {
        const start = performance.now();
      await runnable.run();
      runMs.push(performance.now() - start);
    }
    graphs.push({ name: graphName(graph.shape, graph.size), size: graph.size, runMs, medianMs: median(runMs) });
  }
  return {
    kind: 'totals',
    executor: executorKey(spec.executor),
    label: executorLabel(spec.executor),
    graphs,
    peakRssBytes: isolated ? peakRssBytes() : null,
  };
}
