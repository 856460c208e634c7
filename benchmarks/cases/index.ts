import { runIdleCpuCase } from './idleCpu';
import { runLatencyCase } from './latency';
import { runThroughputCase } from './throughput';
import { runTotalsCase } from './totals';
import type { CaseResult, CaseSpec } from './types';

export type * from './types';

/**
 * Runs one case in this process. `isolated` says the process runs nothing else (a fresh child),
 * so its peak RSS is the case's own and is reported.
 */
export function runCase(spec: CaseSpec, isolated: boolean): Promise<CaseResult> {
  switch (spec.kind) {
    case 'throughput':
      return runThroughputCase(spec, isolated);
    case 'latency':
      return runLatencyCase(spec, isolated);
    case 'totals':
      return runTotalsCase(spec, isolated);
    case 'idle-cpu':
      return runIdleCpuCase(spec, isolated);
    case 'benny':
      // Loaded only here: benny and benchmark.js would add ~10 MB to every other case's RSS.
      return import('./benny.js').then(({ runBennyCase }) => runBennyCase(spec));
  }
}
