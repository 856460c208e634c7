import type { Dag } from '../dag/defineDag';
import type { DagSpec } from '../dag/schema';
import { type DagRun, schedulerWith } from './createScheduler';
import { resolveSchedulerOptions, type SchedulerOptions } from './options';

/**
 * `runDag`: one run on a private scheduler of its own, disposed of when the run ends. A thin
 * wrapper over `createScheduler`'s engine; no behaviour of its own.
 */

/**
 * Runs a DAG: a cold Observable of its events. Subscribing starts the run; unsubscribing
 * cancels it (running agents get their `AbortSignal`). `dag.completed` is always the last event.
 * Options and agent names are checked at once: a `TypeError` for a bad option, a
 * `DagValidationError` for a spec that is invalid or names an agent that is not given.
 *
 * @example
 * runDag(dag, { agents: { fn: async ({ input }) => work(input) }, maxConcurrency: 8 })
 *   .subscribe((event) => console.log(event.type));
 */
export function runDag(dag: Dag | DagSpec, options?: SchedulerOptions): DagRun {
  return schedulerWith(resolveSchedulerOptions(options), true).submit(dag);
}
