import type { Dag } from '../dag/defineDag';
import { headerOfDag } from '../journal/headerText';
import type { JournaledOptions, JournalHeader } from '../journal/journal';
import type { ResolvedRunOptions, ResolvedSchedulerOptions, RunOptions } from './options';

/**
 * What a durable run keeps and gets back: the header a journal stores for a new run (its DAG
 * as a spec and the run options that are data), the options a resumed run takes from it, and a
 * way to go on once a backend answers, at once or later, with the answers still awaited
 * counted (a shutdown waits for them). It talks to no journal itself.
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

/**
 * The run options of a resumed run: its journaled ones, then what the caller overrides. An option
 * the caller gives as `undefined` is not given: the journaled one stays. Its `metadata` is only
 * what the resume is given (noted in its `run.resumed`): the header keeps the run's first.
 */
export function resumedOptions(header: JournalHeader, given: RunOptions | undefined): RunOptions {
  const { failurePolicy, contextInjection, taskTimeoutMs } = header.options;
  return {
    failurePolicy,
    contextInjection,
    ...(taskTimeoutMs === undefined ? {} : { taskTimeoutMs }),
    ...Object.fromEntries(Object.entries(given ?? {}).filter(([, value]) => value !== undefined)),
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

/**
 * The answers a scheduler still awaits from its journal (a database's take a round trip): each
 * counted from the question until its `then` (or `fail`) ran, so a shutdown can wait for the
 * runs whose record is still being made, and a second run of such a run's id is refused as active.
 */
export class JournalAnswers {
  private pending = 0;
  private waiters: (() => void)[] = [];
  // the runs whose record is being made or taken up
  private readonly runIds = new Set<string>();

  /** {@link whenAnswered} for the record of run `runId`, counted until `then` or `fail` ran. */
  track<T>(runId: string, answer: () => T | Promise<T>, then: (value: T) => void, fail: (error: unknown) => void): void {
    this.pending += 1;
    this.runIds.add(runId);
    let done = false;
    const settled = () => {
      if (done) return;
      done = true;
      this.runIds.delete(runId);
      if (--this.pending === 0) for (const resolve of this.waiters.splice(0)) resolve();
    };
    whenAnswered(
      answer,
      (value) => {
        try {
          then(value);
        } finally {
          settled();
        }
      },
      (error) => {
        settled();
        fail(error);
      },
    );
  }

  /** Whether the record of run `runId` is being made or taken up. */
  awaits(runId: string): boolean {
    return this.runIds.has(runId);
  }

  /** Resolves once no answer is awaited (at once when none is). */
  whenAll(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}
