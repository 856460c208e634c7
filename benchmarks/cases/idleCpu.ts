import { generateDag } from '../dagGenerator';
import { createExecutor, executorKey, executorLabel } from '../executors';
import { collectGarbage, peakRssBytes, sleep } from './measure';
import type { IdleCpuCase, IdleCpuResult } from './types';

/** Warm-up wait: long enough for a few polls, short next to the measured wait. */
const WARMUP_WAIT_MS = 60;

/**
 * CPU burnt (`process.cpuUsage`, user + system) while a one-task DAG waits `waitMs` in its only
 * task, after an untimed warm-up run; `bare-await` measures the same `await` with no scheduler.
 */
export async function runIdleCpuCase(spec: IdleCpuCase, isolated: boolean): Promise<IdleCpuResult> {
  let wait: () => Promise<void>;
  let key: string;
  let label: string;
  if (spec.executor.kind === 'bare-await') {
    wait = () => sleep(spec.waitMs);
    key = 'bare-await';
    label = 'bare await';
    await sleep(WARMUP_WAIT_MS);
  } else {
    const runnable = createExecutor(spec.executor).load(generateDag({ shape: 'parallel', size: 1 }))();
    await runnable.run(() => sleep(WARMUP_WAIT_MS));
    wait = () => runnable.run(() => sleep(spec.waitMs));
    key = executorKey(spec.executor);
    label = executorLabel(spec.executor);
  }
  collectGarbage();
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  await wait();
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  return {
    kind: 'idle-cpu',
    executor: key,
    label,
    waitMs: spec.waitMs,
    wallMs,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssBytes: isolated ? peakRssBytes() : null,
  };
}
