import { writeFileSync } from 'node:fs';
import { edgeCount, generateDag } from '../dagGenerator';
import { createExecutor, executorKey, executorLabel, type Runnable } from '../executors';
import { median } from '../stats';
import { cpuMsSince, type GcPauses, peakRssBytes, recordGcPauses, startProfiler } from './measure';
import type { ThroughputCase, ThroughputResult } from './types';

/**
 * Runs one executor on one generated graph: a warm-up of `warmupTasks` tasks on a graph of the
 * same shape, the build timed once, then `runs` timed runs of no-op tasks back to back; a run
 * pays for the garbage of the one before, as in a steady state. No GC is forced: right after a
 * forced full GC, rxdag ran 1k-task DAGs 10–20× slower for the next handful of runs (V8 still
 * sweeping), so a forced GC measured the recovery from it rather than the scheduler.
 */
export async function runThroughputCase(spec: ThroughputCase, isolated: boolean): Promise<ThroughputResult> {
  const baselineRssBytes = peakRssBytes();
  const executor = createExecutor(spec.executor);
  if (spec.warmupSize > 0) {
    const warm = executor.load(generateDag({ shape: spec.shape, size: spec.warmupSize, seed: spec.seed + 1 }))();
    const warmupRuns = Math.max(1, Math.ceil(spec.warmupTasks / spec.warmupSize));
    for (let k = 0; k < warmupRuns; k++) await warm.run();
  }

  const graph = generateDag({ shape: spec.shape, size: spec.size, seed: spec.seed });
  const build = executor.load(graph);
  const buildStart = performance.now();
  const runnable = build();
  const buildMs = performance.now() - buildStart;
  const afterBuildRssBytes = peakRssBytes();

  const profiler = spec.profile === undefined ? undefined : await startProfiler(spec.profile.kind);
  const { runMs, cpuMs, gc } = await timeRuns(runnable, spec.runs);
  if (profiler !== undefined) writeFileSync(spec.profile!.path, JSON.stringify(await profiler.stop()));
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
    medianRunGc: gc[medianIndex]!,
    usPerTask: (medianRunMs * 1000) / graph.size,
    tasksPerSecond: graph.size / (medianRunMs / 1000),
    peakRssBytes: isolated ? peakRssBytes() : null,
    baselineRssBytes: isolated ? baselineRssBytes : null,
    afterBuildPeakRssBytes: isolated ? afterBuildRssBytes : null,
  };
}

/** Above this many runs, CPU and GC are measured over the batch: per-run bookkeeping would cost more than the runs. */
const MAX_RUNS_MEASURED_ONE_BY_ONE = 50;

/** Wall time, CPU time and GC pauses of each timed run. */
async function timeRuns(runnable: Runnable, runs: number): Promise<{ runMs: number[]; cpuMs: number[]; gc: GcPauses[] }> {
  const runMs: number[] = [];
  const cpuMs: number[] = [];
  const gc: GcPauses[] = [];
  if (runs <= MAX_RUNS_MEASURED_ONE_BY_ONE) {
    for (let r = 0; r < runs; r++) {
      const gcPauses = recordGcPauses();
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      await runnable.run();
      runMs.push(performance.now() - start);
      cpuMs.push(cpuMsSince(cpuStart));
      gc.push(await gcPauses.stop());
    }
    return { runMs, cpuMs, gc };
  }
  const cpuStart = process.cpuUsage();
  const gcPauses = recordGcPauses();
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    await runnable.run();
    runMs.push(performance.now() - start);
  }
  const pauses = await gcPauses.stop();
  const cpuPerRun = cpuMsSince(cpuStart) / runs;
  const gcPerRun: GcPauses = { minorMs: pauses.minorMs / runs, majorMs: pauses.majorMs / runs, count: pauses.count / runs };
  return { runMs, cpuMs: runMs.map(() => cpuPerRun), gc: runMs.map(() => gcPerRun) };
}
