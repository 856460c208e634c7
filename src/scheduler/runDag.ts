import type { Dag } from '../dag/defineDag';
import { describeValue } from '../dag/text';
import type { DagSpec } from '../dag/schema';
import type { Journal } from '../journal/journal';
import { type DagRun, resolveSchedulerOptions, type RunEvents, schedulerWith } from './createScheduler';
import type { RunOptions, SchedulerOptions } from './options';

/**
 * `runDag` and `resumeRun`: one run on a private scheduler of its own, disposed of when the run
 * ends. Thin wrappers over `createScheduler`'s engine; no behaviour of their own.
 */

/**
 * Runs a DAG: a cold Observable of its events. Subscribing starts the run; unsubscribing
 * cancels it (running agents get their `AbortSignal`). `dag.completed` is always the last event.
 * Options and agent names are checked at once: a `TypeError` for a bad option, a
 * `DagValidationError` for a spec that is invalid or names an agent that is not given. With a
 * `journal`, the run is durable and can be resumed after a crash with {@link resumeRun}.
 *
 * @example
 * runDag(dag, { agents: { fn: async ({ input }) => work(input) }, maxConcurrency: 8 })
 *   .subscribe((event) => console.log(event.type));
 */
export function runDag(dag: Dag | DagSpec, options?: SchedulerOptions): DagRun {
  return schedulerWith(resolveSchedulerOptions(options), true).submit(dag);
}

/**
 * Continues a journaled run whose process died, in this process: cold like `runDag`. The run's
 * DAG and data options come from the journal; agents are given again by name. Its events go on
 * in the same `seq` sequence, starting with `run.resumed`; attempts that were in flight run again
 * under the same attempt number, retries wait for what is left of their backoff, completed
 * tasks are not run again. Errors when subscribed (nothing runs): `RunLockedError` (a live
 * process owns it), `RunNotResumableError` (unknown, or ended), `JournalCorruptError`, or
 * `DagValidationError` (an agent the run uses is missing). The run keeps the named limits its
 * journal holds, unless `options.limits` declares them anew.
 *
 * @example
 * resumeRun(fileJournal('.rxdag'), 'nightly-42', { agents }).subscribe(log);
 */
export function resumeRun(journal: Journal, runId: string, options?: Omit<SchedulerOptions, 'journal' | 'runId'>): RunEvents {
  if (typeof runId !== 'string' || runId === '') {
    throw new TypeError(`rxdag: resumeRun needs the id of a run, a non-empty string (got ${describeValue(runId)})`);
  }
  for (const given of ['journal', 'runId'] as const) {
    // one given as `undefined` (a spread of options that had it) is no option
    if (options !== undefined && (options as Readonly<Record<string, unknown>>)[given] !== undefined) {
      throw new TypeError(`rxdag: resumeRun takes the journal and the run id as its first two arguments, not \`${given}\` in its options`);
    }
  }
  const { agents, taskTimeoutMs, contextInjection, failurePolicy, ...scheduling } = options ?? {};
  const runOptions: RunOptions = {
    ...(agents === undefined ? {} : { agents }),
    ...(taskTimeoutMs === undefined ? {} : { taskTimeoutMs }),
    ...(contextInjection === undefined ? {} : { contextInjection }),
    ...(failurePolicy === undefined ? {} : { failurePolicy }),
  };
  return schedulerWith(resolveSchedulerOptions({ ...scheduling, journal }), true).resume(runId, runOptions);
}
