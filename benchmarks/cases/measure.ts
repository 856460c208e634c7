import { Session } from 'node:inspector/promises';
import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { formatSize } from '../stats';

/** Process-level measurements shared by the cases. */

/** Peak resident set size of this process so far, in bytes (`getrusage` `ru_maxrss`). */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * A full collection when the process runs with `--expose-gc` (children do). Only the idle-CPU
 * case uses it, followed by quiet time: right after a forced GC, V8 runs allocation-heavy code
 * several times slower for a while, so timed runs never follow one.
 */
export function collectGarbage(): void {
  globalThis.gc?.();
}

/** CPU time (user + system, all threads) since `since`, in ms. */
export function cpuMsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A readable name of a generated graph: `layered 100k`, `sequential 3`. */
export function graphName(shape: string, size: number): string {
  return `${shape} ${formatSize(size)}`;
}

/** Microseconds between CPU samples: finer than V8's default 1 ms, for short runs. */
const CPU_SAMPLING_INTERVAL_US = 200;
/** Mean bytes between allocation samples: V8's default is 32 KiB; finer sees small sites. */
const ALLOCATION_SAMPLING_INTERVAL_BYTES = 4096;

/**
 * Starts one of V8's samplers in this process (what `node --cpu-prof` and `--heap-prof` use),
 * so a profile covers the timed runs only, not the start-up, graph generation and warm-up.
 */
export async function startProfiler(kind: 'cpu' | 'allocations'): Promise<{ stop(): Promise<object> }> {
  const session = new Session();
  session.connect();
  if (kind === 'cpu') {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: CPU_SAMPLING_INTERVAL_US });
    await session.post('Profiler.start');
  } else {
    await session.post('HeapProfiler.enable');
    // Garbage is the point here (GC cost, peak RSS): keep samples of objects collected since.
    // These two fields exist in V8 11 but not yet in @types/node's protocol types.
    const params: { samplingInterval: number; includeObjectsCollectedByMajorGC: boolean; includeObjectsCollectedByMinorGC: boolean } = {
      samplingInterval: ALLOCATION_SAMPLING_INTERVAL_BYTES,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    };
    await session.post('HeapProfiler.startSampling', params);
  }
  return {
    stop: async () => {
      const profile = kind === 'cpu' ? (await session.post('Profiler.stop')).profile : (await session.post('HeapProfiler.stopSampling')).profile;
      session.disconnect();
      return profile;
    },
  };
}

/** GC pauses of the main thread while recording, by kind. */
export interface GcPauses {
  /** Scavenges of the young generation. */
  readonly minorMs: number;
  /** Mark-compact (and incremental marking steps) of the old generation. */
  readonly majorMs: number;
  readonly count: number;
}

/**
 * Records GC pauses through `perf_hooks` `gc` entries. Entries are queued asynchronously, so
 * `stop()` waits a macrotask and takes what is still queued before summing.
 */
export function recordGcPauses(): { stop(): Promise<GcPauses> } {
  let minorMs = 0;
  let majorMs = 0;
  let count = 0;
  const add = (entries: readonly PerformanceEntry[]) => {
    for (const entry of entries) {
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) minorMs += entry.duration;
      else majorMs += entry.duration;
      count++;
    }
  };
  const observer = new PerformanceObserver((list) => add(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop: async () => {
      await new Promise((resolve) => setImmediate(resolve));
      add(observer.takeRecords());
      observer.disconnect();
      return { minorMs, majorMs, count };
    },
  };
}
