import type { CompactDag } from '../dagGenerator';

/**
 * What the suites need from anything that runs a DAG: turn the generated graph into its own
 * input, build (validate, index) it, and run it any number of times.
 */

/**
 * The work of one task, given the task's index. Absent means a no-op: each executor then uses
 * its cheapest no-op (an already resolved promise, or nothing for synchronous executors) and
 * skips mapping ids back to indexes, so only scheduling is measured.
 */
export type TaskBody = (index: number) => PromiseLike<unknown> | void;

/** A graph built by an executor, ready to run. */
export interface Runnable {
  /** Runs every task once; rejects when the run did not end with every task done. */
  run(body?: TaskBody): Promise<void>;
}

/** An executor under test. */
export interface Executor {
  /** Name in result tables. */
  readonly label: string;
  /**
   * Converts the graph into this executor's input (the caller's job, so not timed) and returns
   * the build step (timed as the executor's set-up cost), to be called once: it may release the input.
   */
  load(graph: CompactDag): () => Runnable;
}

/** Options of the rxdag executor: its mode, and `maxConcurrency` when not {@link CONCURRENCY}. */
export type RxdagMode = ({ readonly mode: 'event' } | { readonly mode: 'polling'; readonly pollIntervalMs: number }) & {
  readonly maxConcurrency?: number;
};

/** Every executor the suites compare, as plain data (it crosses process boundaries). */
export type ExecutorSpec =
  | ({ readonly kind: 'rxdag' } & RxdagMode)
  | { readonly kind: 'kahn-sync' }
  | { readonly kind: 'kahn-async' }
  | { readonly kind: 'p-graph' };

/** Concurrency limit of every comparison (the executors compared all get the same). */
export const CONCURRENCY = 64;

/** A readable name of an executor. */
export function executorLabel(spec: ExecutorSpec): string {
  switch (spec.kind) {
    case 'rxdag':
      return (
        (spec.mode === 'event' ? 'rxdag event' : `rxdag polling ${spec.pollIntervalMs} ms`) + inFlight(spec, (n) => `, ${n} in flight`)
      );
    case 'kahn-sync':
      return 'Kahn floor (sync)';
    case 'kahn-async':
      return 'Kahn floor (promise)';
    case 'p-graph':
      return 'p-graph 2.0';
  }
}

/** A stable short key of an executor, for JSON and lookups. */
export function executorKey(spec: ExecutorSpec): string {
  switch (spec.kind) {
    case 'rxdag':
      return (spec.mode === 'event' ? 'rxdag-event' : `rxdag-polling-${spec.pollIntervalMs}`) + inFlight(spec, (n) => `-${n}`);
    default:
      return spec.kind;
  }
}

/** How a label or key names an rxdag executor's own `maxConcurrency` (nothing when it is the common one). */
function inFlight(mode: RxdagMode, name: (maxConcurrency: number) => string): string {
  return mode.maxConcurrency === undefined || mode.maxConcurrency === CONCURRENCY ? '' : name(mode.maxConcurrency);
}

/** The no-op task of every executor: a fresh, already resolved promise, as a trivial async agent returns. */
export function noopPromise(): Promise<void> {
  return Promise.resolve();
}
