import { generateDag } from '../dagGenerator';
import { createExecutor, executorKey, executorLabel, type TaskBody } from '../executors';
import { distribution } from '../stats';
import { peakRssBytes } from './measure';
import type { LatencyCase, LatencyResult } from './types';

/**
 * Dependent-dispatch latency on a chain: for each task after the first, the time from the moment
 * its dependency's promise was resolved to the moment its own agent was called, both read with
 * `performance.now()` inside the task bodies, so every executor is timed by the same code.
 */
export async function runLatencyCase(spec: LatencyCase, isolated: boolean): Promise<LatencyResult> {
  const executor = createExecutor(spec.executor);
  const polling = spec.executor.kind === 'rxdag' && spec.executor.mode === 'polling';
  // Steady state, as the throughput cases measure it: every executor first runs five chains of
  // the same length (an optimizing JIT needs a few thousand dispatches to settle on a larger
  // pipeline). A polled chain costs an interval per task: warm it up on a few tasks only.
  const warmupSize = polling ? 5 : spec.chainLength;
  for (let w = 0; w < (polling ? 1 : 5); w++) {
    const warmup = executor.load(generateDag({ shape: 'chain', size: warmupSize }))();
    await warmup.run(timedBody(new Float64Array(warmupSize), new Float64Array(warmupSize)));
  }

  const runnable = executor.load(generateDag({ shape: 'chain', size: spec.chainLength }))();
  const samples: number[] = [];
  for (let r = 0; r < spec.runs; r++) {
    const calledAt = new Float64Array(spec.chainLength);
    const resolvedAt = new Float64Array(spec.chainLength);
    await runnable.run(timedBody(calledAt, resolvedAt));
    for (let i = 1; i < spec.chainLength; i++) samples.push((calledAt[i]! - resolvedAt[i - 1]!) * 1000);
  }
  return {
    kind: 'latency',
    executor: executorKey(spec.executor),
    label: executorLabel(spec.executor),
    chainLength: spec.chainLength,
    runs: spec.runs,
    latencyUs: distribution(samples),
    peakRssBytes: isolated ? peakRssBytes() : null,
  };
}

/**
 * A task that records when it was called, then resolves from a later macrotask (as real I/O
 * would), recording the moment just before resolving.
 */
function timedBody(calledAt: Float64Array, resolvedAt: Float64Array): TaskBody {
  return (index) => {
    calledAt[index] = performance.now();
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        resolvedAt[index] = performance.now();
        resolve();
      }),
    );
  };
}
