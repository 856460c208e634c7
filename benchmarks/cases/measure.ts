import { formatSize } from '../stats';

/** Process-level measurements shared by the cases. */

/** Peak resident set size of this process so far, in bytes (`getrusage` `ru_maxrss`). */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * A full collection when the process runs with `--expose-gc` (children do), so a timed run does
 * not pay for the garbage of the one before it.
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
