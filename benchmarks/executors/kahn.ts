import type { CompactDag } from '../dagGenerator';
import type { Executor, Runnable, TaskBody } from './executor';
import { CONCURRENCY, noopPromise } from './executor';
import { buildKahnGraph, runKahnAsync, runKahnSync } from './kahnFloor';

/** The floor with promise tasks, `CONCURRENCY` at once. */
export const kahnAsyncExecutor: Executor = {
  label: 'Kahn floor (promise)',
  load: (graph: CompactDag) => () => {
    const kahn = buildKahnGraph(graph);
    return {
      run: (body?: TaskBody) =>
        runKahnAsync(kahn, body === undefined ? noopPromise : (index) => body(index) ?? Promise.resolve(), CONCURRENCY),
    };
  },
};

/** The floor with synchronous tasks: the cost of the algorithm alone. */
export const kahnSyncExecutor: Executor = {
  label: 'Kahn floor (sync)',
  load: (graph: CompactDag) => () => {
    const kahn = buildKahnGraph(graph);
    const runnable: Runnable = {
      run: (body?: TaskBody) => {
        const task =
          body === undefined
            ? noop
            : (index: number) => {
                if (body(index) !== undefined) throw new TypeError('the synchronous floor runs only synchronous task bodies');
              };
        const ran = runKahnSync(kahn, task);
        return ran === graph.size ? Promise.resolve() : Promise.reject(new Error(`Kahn floor ran ${ran} of ${graph.size} tasks`));
      },
    };
    return runnable;
  },
};

function noop(): void {}
