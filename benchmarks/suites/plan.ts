import type { BennyCase, IdleCpuCase, LatencyCase, ThroughputCase, TotalsCase } from '../cases';
import type { ExecutorSpec } from '../executors';
import type { BenchProfile } from '../profiles';

/**
 * The cases of each suite for a profile, as data. Pure: what runs is decided here, how and
 * where it runs is the runner's business.
 */

const SEED = 42;
const RXDAG_EVENT: ExecutorSpec = { kind: 'rxdag', mode: 'event' };
const KAHN_ASYNC: ExecutorSpec = { kind: 'kahn-async' };
const P_GRAPH: ExecutorSpec = { kind: 'p-graph' };

function pollingExecutors(profile: BenchProfile): ExecutorSpec[] {
  return profile.pollIntervalsMs.map((pollIntervalMs) => ({ kind: 'rxdag', mode: 'polling', pollIntervalMs }));
}

/**
 * Suite 2 and 3: every executor on every shape and size. Ordered size by size, shape by shape,
 * so the executors compared in one table row run minutes apart at most.
 */
export function throughputCases(profile: BenchProfile): ThroughputCase[] {
  const { shapes, sizes, pGraphMaxSize, runs, warmupSize, warmupTasks } = profile.executors;
  const cases: ThroughputCase[] = [];
  for (const size of sizes) {
    for (const shape of shapes) {
      const executors: ExecutorSpec[] = [RXDAG_EVENT, { kind: 'kahn-sync' }, KAHN_ASYNC];
      if (size <= pGraphMaxSize) executors.push(P_GRAPH);
      for (const executor of executors) {
        cases.push({ kind: 'throughput', executor, shape, size, seed: SEED, runs: runs(size), warmupSize: warmupSize(size), warmupTasks });
      }
    }
  }
  return cases;
}

/** Suite 1a: dependent-dispatch latency, event-driven and polling, with p-graph and the floor as references. */
export function latencyCases(profile: BenchProfile): { readonly direct: LatencyCase[]; readonly polling: LatencyCase[] } {
  const { chainLength, runs, pollingChainLength } = profile.latency;
  return {
    direct: [RXDAG_EVENT, P_GRAPH, KAHN_ASYNC].map((executor) => ({ kind: 'latency', executor, chainLength, runs })),
    polling: pollingExecutors(profile).map((executor) => ({ kind: 'latency', executor, chainLength: pollingChainLength, runs: 1 })),
  };
}

/** Suite 1b: total time of small DAGs per mode. */
export function totalsCases(profile: BenchProfile): TotalsCase[] {
  const { graphs, runs, pollingRuns } = profile.totals;
  return [
    ...[RXDAG_EVENT, P_GRAPH, KAHN_ASYNC].map((executor): TotalsCase => ({ kind: 'totals', executor, graphs, runs })),
    ...pollingExecutors(profile).map((executor): TotalsCase => ({ kind: 'totals', executor, graphs, runs: pollingRuns })),
  ];
}

/** Suite 1c: CPU while the only task waits. */
export function idleCpuCases(profile: BenchProfile): IdleCpuCase[] {
  const { waitMs, repeats } = profile.idleCpu;
  const executors: IdleCpuCase['executor'][] = [{ kind: 'bare-await' }, RXDAG_EVENT, ...pollingExecutors(profile), P_GRAPH, KAHN_ASYNC];
  return executors.map((executor) => ({ kind: 'idle-cpu', executor, waitMs, repeats }));
}

/** benny: whole runs per second of small DAGs. */
export function bennyCase(profile: BenchProfile, folder: string): BennyCase {
  const { graphs, minTime, maxTime } = profile.benny;
  return { kind: 'benny', graphs, executors: [RXDAG_EVENT, KAHN_ASYNC, P_GRAPH], minTime, maxTime, folder };
}
