import { edgeCount, generateDag } from '../dagGenerator';
import { createExecutor, executorKey, executorLabel } from '../executors';
import { median } from '../stats';
import { collectGarbage, cpuMsSince, peakRssBytes } from './measure';
import type { ThroughputCase, ThroughputResult } from './types';

/**
 * Runs one executor on one generated graph: a warm-up on a small graph of the same shape, the
 * build timed once, then `runs` timed runs of no-op tasks with a full GC before each.
 */
export async function runThroughputCase(spec: ThroughputCase, isolated: boolean): Promise<ThroughputResult> {
  const baselineRssBytes = peakRssBytes();
  const executor = createExecutor(spec.executor);
  if (spec.warmupSize > 0) {
    const warm = executor.load(generateDag({ shape: spec.shape, size: spec.warmupSize, seed: spec.seed + 1 }))();
    for (let k = 0; k < 2; k++) await warm.run();
  }

  const graph = generateDag({ shape: spec.shape, size: spec.size, seed: spec.seed });
  const build = executor.load(graph);
  collectGarbage();
  const buildStart = performance.now();
  const runnable = build();
  const buildMs = performance.now() - buildStart;

  const runMs: number[] = [];
  const cpuMs: number[] = [];
  for (let r = 0; r < spec.runs; r++) {
    collectGarbage();
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await runnable.run();
    runMs.push(performance.now() - start);
    cpuMs.push(cpuMsSince(cpuStart));
  }
  const medianRunMs = median(runMs);
  const medianIndex = runMs.indexOf([...runMs].sort((a, b) => a - b)[(runMs.length - 1) >> 1]!);
  return {
    kind: 'throughput',
    executor: executorKey(spec.executor),
    label: executorLabel(spec.executor),
    shape: spec.shape,
    size: graph.size,
    edges: edgeCount(graph),
    buildMs,
    runMs,
    medianRunMs,
    medianRunCpuMs: cpuMs[medianIndex]!,
    usPerTask: (medianRunMs * 1000) / graph.size,
    tasksPerSecond: graph.size / (medianRunMs / 1000),
    peakRssBytes: isolated ? peakRssBytes() : null,
    baselineRssBytes: isolated ? baselineRssBytes : null,
  };
}
