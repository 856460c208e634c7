import { generateDag } from '../dagGenerator';
import { createExecutor, executorKey, executorLabel } from '../executors';
import { median } from '../stats';
import { collectGarbage, peakRssBytes, sleep } from './measure';
import type { IdleCpuCase, IdleCpuResult } from './types';

/** Warm-up wait: long enough for a few polls, short next to the measured wait. */
const WARMUP_WAIT_MS = 60;
/** Quiet time before each measurement. */
const SETTLE_MS = 100;

interface CpuSample {
  readonly wallMs: number;
  readonly userMs: number;
  readonly systemMs: number;
}

/**
 * CPU burnt (`process.cpuUsage`, user + system) while a one-task DAG waits `waitMs` in its only
 * task, after untimed warm-up runs; `bare-await` measures the same `await` with no scheduler.
 * Each of `repeats` rounds also measures the same run with a 0 ms wait, which splits the total
 * into the run's fixed cost (set-up, events, teardown) and what the waiting itself costs.
 * Medians are reported.
 */
/** Untimed zero-wait runs before measuring (the same for every executor). */
const WARMUP_RUNS = 300;

export async function runIdleCpuCase(spec: IdleCpuCase, isolated: boolean): Promise<IdleCpuResult> {
  let runWith: (waitMs: number) => Promise<void>;
  let key: string;
  let label: string;
  if (spec.executor.kind === 'bare-await') {
    runWith = (waitMs) => sleep(waitMs);
    key = 'bare-await';
    label = 'bare await';
  } else {
    const runnable = createExecutor(spec.executor).load(generateDag({ shape: 'parallel', size: 1 }))();
    runWith = (waitMs) => runnable.run(() => sleep(waitMs));
    key = executorKey(spec.executor);
    label = executorLabel(spec.executor);
  }
  // Steady state, as the throughput cases measure it: a few hundred zero-wait runs let V8
  // optimize the run's set-up and teardown before one is timed, then one run with a real wait.
  // (A polled run costs a poll interval even with nothing to wait for: one is enough there.)
  const polled = spec.executor.kind === 'rxdag' && spec.executor.mode === 'polling';
  for (let k = 0; k < (polled ? 1 : WARMUP_RUNS); k++) await runWith(0);
  await runWith(WARMUP_WAIT_MS);

  const measure = async (waitMs: number): Promise<CpuSample> => {
    collectGarbage();
    // V8 finishes sweeping on background threads after a GC, and their CPU counts too: let it settle.
    await sleep(SETTLE_MS);
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await runWith(waitMs);
    const wallMs = performance.now() - start;
    const cpu = process.cpuUsage(cpuStart);
    return { wallMs, userMs: cpu.user / 1000, systemMs: cpu.system / 1000 };
  };
  const waits: CpuSample[] = [];
  const zeroWaits: CpuSample[] = [];
  for (let k = 0; k < spec.repeats; k++) {
    zeroWaits.push(await measure(0));
    waits.push(await measure(spec.waitMs));
  }
  // The median round by total CPU: a few ms per wait, where one stray V8 task (the memory
  // reducer's GC after a few idle seconds) can add 30 ms.
  const total = (sample: CpuSample) => sample.userMs + sample.systemMs;
  const typical = [...waits].sort((a, b) => total(a) - total(b))[(waits.length - 1) >> 1]!;
  return {
    kind: 'idle-cpu',
    executor: key,
    label,
    waitMs: spec.waitMs,
    repeats: spec.repeats,
    wallMs: typical.wallMs,
    cpuUserMs: typical.userMs,
    cpuSystemMs: typical.systemMs,
    cpuMs: total(typical),
    cpuMsSamples: waits.map(total),
    zeroWaitCpuMs: median(zeroWaits.map(total)),
    peakRssBytes: isolated ? peakRssBytes() : null,
  };
}
