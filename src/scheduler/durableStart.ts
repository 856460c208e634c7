import type { Dag } from '../dag/defineDag';
import { headerOfDag } from '../journal/headerText';
import type { JournaledOptions, JournalHeader } from '../journal/journal';
import type { ResolvedRunOptions, ResolvedSchedulerOptions, RunOptions } from './options';

/**
 * What a durable run keeps and gets back: the header a journal stores for a new run (its DAG
 * as a spec and the run options that are data), the options a resumed run takes from it, and a
 * way to go on once a backend answers, at once or later. It talks to no journal itself.
 */

/** The header of a new journaled run. */
export function journalHeader(runId: string, dag: Dag, options: ResolvedRunOptions, scheduler: ResolvedSchedulerOptions): JournalHeader {
  const { limits } = scheduler;
  const journaled: JournaledOptions = {
    failurePolicy: options.failurePolicy,
    contextInjection: options.contextInjection,
    ...(options.taskTimeoutMs === undefined ? {} : { taskTimeoutMs: options.taskTimeoutMs }),
    ...(Object.keys(limits).length === 0 ? {} : { limits }),
    maxConcurrency: scheduler.maxConcurrency,
    mode: scheduler.mode,
    ...(scheduler.mode === 'polling' ? { pollIntervalMs: scheduler.pollIntervalMs } : {}),
    ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
  };
  return headerOfDag({ runId, dagId: dag.id, options: journaled, createdAt: Date.now() }, dag);
}

/** The run options of a resumed run: its journaled ones, then what the caller overrides. */
export function resumedOptions(header: JournalHeader, given: RunOptions | undefined): RunOptions {
  const { failurePolicy, contextInjection, taskTimeoutMs, metadata } = header.options;
  return {
    failurePolicy,
    contextInjection,
    ...(taskTimeoutMs === undefined ? {} : { taskTimeoutMs }),
    ...(metadata === undefined ? {} : { metadata }),
    ...given,
    runId: header.runId,
  };
}

/** Calls `then` with a backend's answer, synchronously when it gave one, else when it arrives. */
export function whenAnswered<T>(answer: () => T | Promise<T>, then: (value: T) => void, fail: (error: unknown) => void): void {
  let value: T | Promise<T>;
  try {
    value = answer();
  } catch (error) {
    fail(error);
    return;
  }
  if (!(value instanceof Promise)) {
    then(value);
    return;
  }
  value.then((answered) => {
    try {
      then(answered);
    } catch (error) {
      fail(error);
    }
  }, fail);
}
