import type { CompactDag } from '../dagGenerator';

/**
 * The floor: Kahn's algorithm on typed arrays, with nothing else (no events, no state history,
 * no validation). What any scheduler on this runtime costs at least; rxdag's overhead is read
 * against it.
 */

/** Dependents adjacency and in-degrees: what Kahn's algorithm needs, built once per graph. */
export interface KahnGraph {
  readonly size: number;
  /** Tasks depending on task `i`: `dependentTargets[dependentStart[i] .. dependentStart[i + 1])`. */
  readonly dependentStart: Int32Array;
  readonly dependentTargets: Int32Array;
  readonly inDegree: Int32Array;
}

/** Reverses the generated dependency lists into dependents lists (a counting sort, O(n + edges)). */
export function buildKahnGraph(graph: CompactDag): KahnGraph {
  const { size, depStart, depTargets } = graph;
  const inDegree = new Int32Array(size);
  const dependentStart = new Int32Array(size + 1);
  for (let i = 0; i < size; i++) inDegree[i] = depStart[i + 1]! - depStart[i]!;
  for (let e = 0; e < depTargets.length; e++) dependentStart[depTargets[e]! + 1]!++;
  for (let i = 0; i < size; i++) dependentStart[i + 1]! += dependentStart[i]!;
  const fill = dependentStart.slice(0, size);
  const dependentTargets = new Int32Array(depTargets.length);
  for (let task = 0; task < size; task++) {
    for (let e = depStart[task]!; e < depStart[task + 1]!; e++) dependentTargets[fill[depTargets[e]!]!++] = task;
  }
  return { size, dependentStart, dependentTargets, inDegree };
}

/**
 * Runs every task synchronously in a topological order; returns how many ran. A concurrency
 * limit would be moot: a synchronous task ends before the next one starts.
 */
export function runKahnSync(graph: KahnGraph, task: (index: number) => void): number {
  const { size, dependentStart, dependentTargets } = graph;
  const remaining = graph.inDegree.slice();
  // Every task enters the queue exactly once, so a flat array with two cursors is the whole FIFO.
  const ready = new Int32Array(size);
  let tail = 0;
  for (let i = 0; i < size; i++) if (remaining[i] === 0) ready[tail++] = i;
  let head = 0;
  while (head < tail) {
    const current = ready[head++]!;
    task(current);
    for (let e = dependentStart[current]!; e < dependentStart[current + 1]!; e++) {
      const dependent = dependentTargets[e]!;
      if (--remaining[dependent] === 0) ready[tail++] = dependent;
    }
  }
  return head;
}

/**
 * Runs promise tasks with at most `limit` running at once: a task's dependents are released in
 * the same callback that sees its promise settle, and free slots are refilled at once. Rejects
 * with the first task error; resolves when every task has finished.
 */
export function runKahnAsync(graph: KahnGraph, task: (index: number) => PromiseLike<unknown>, limit = 64): Promise<void> {
  const { size, dependentStart, dependentTargets } = graph;
  if (size === 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const remaining = graph.inDegree.slice();
    const ready = new Int32Array(size);
    let head = 0;
    let tail = 0;
    let running = 0;
    let finished = 0;
    let failed = false;
    for (let i = 0; i < size; i++) if (remaining[i] === 0) ready[tail++] = i;

    const onFinished = (current: number): void => {
      if (failed) return;
      running--;
      finished++;
      for (let e = dependentStart[current]!; e < dependentStart[current + 1]!; e++) {
        const dependent = dependentTargets[e]!;
        if (--remaining[dependent] === 0) ready[tail++] = dependent;
      }
      if (finished === size) resolve();
      else startReady();
    };
    const onFailed = (error: unknown): void => {
      failed = true;
      reject(error);
    };
    const startReady = (): void => {
      while (running < limit && head < tail) {
        const current = ready[head++]!;
        running++;
        task(current).then(() => onFinished(current), onFailed);
      }
    };
    startReady();
  });
}
