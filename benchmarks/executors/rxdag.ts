import { lastValueFrom } from 'rxjs';
import type { DagSpec } from '../../src/index';
import { type CompactDag, toDagSpec } from '../dagGenerator';
import { CONCURRENCY, type Executor, executorLabel, noopPromise, type RxdagMode, type TaskBody } from './executor';
import { loadRxdag } from './rxdagLib';

/**
 * rxdag through its public API: `defineDag` (the build step) and `runDag` with one agent, health
 * checks off, to the last event. A run that does not end `succeeded` with every task completed
 * rejects, so a broken core cannot post a good time.
 */
export function rxdagExecutor(mode: RxdagMode): Executor {
  const lib = loadRxdag();
  return {
    label: executorLabel({ kind: 'rxdag', ...mode }),
    load: (graph: CompactDag) => {
      // Dropped once built, as a user would: at 1M tasks these objects weigh ~146 MB of heap.
      let spec: DagSpec | undefined = toDagSpec(graph);
      return () => {
        if (spec === undefined) throw new Error('an rxdag graph is built once per load()');
        const dag = lib.defineDag(spec);
        spec = undefined;
        return {
          run: async (body?: TaskBody) => {
            const agent = body === undefined ? noopPromise : ({ id }: { readonly id: string }) => body(dag.taskIndex(id)!);
            const last = await lastValueFrom(
              lib.runDag(dag, {
                agents: { noop: agent },
                maxConcurrency: mode.maxConcurrency ?? CONCURRENCY,
                healthCheckIntervalMs: 0,
                ...(mode.mode === 'event' ? { mode: 'event' } : { mode: 'polling', pollIntervalMs: mode.pollIntervalMs }),
              }),
            );
            if (last.type !== 'dag.completed' || last.outcome !== 'succeeded' || last.counts.completed !== graph.size) {
              throw new Error(`rxdag run of ${dag.id} did not complete every task: ${JSON.stringify(last)}`);
            }
          },
        };
      };
    },
  };
}
