import { from, type Observable, type ObservableInput } from 'rxjs';
import type { Agent, TaskContext, UpstreamOutputs } from './agent';

/**
 * Typed adapters that say how an agent delivers its result. Any function works as an agent
 * (see {@link Agent}); these make the intent explicit and settle the edge cases one way:
 *
 * - {@link promiseAgent}: the resolved value is the output; a rejection fails the attempt.
 * - {@link observableAgent}: values before the last are progress, the last is the output; an
 *   error fails the attempt; completing without a value succeeds with no output and a
 *   `warning` on `task.completed`, so an agent that forgot to emit is visible.
 * - {@link syncAgent}: the returned value is the output as it is, even an array or a thenable;
 *   a throw fails the attempt.
 * They run nothing themselves: `runAttempt` calls them like any agent.
 */

/** An agent from an async function (or any function returning a promise). */
export function promiseAgent<T, Input = unknown, Upstream extends UpstreamOutputs = UpstreamOutputs>(
  run: (task: TaskContext<Input, Upstream>) => PromiseLike<T>,
): Agent<Input, Upstream> {
  return (task) => Promise.resolve().then(() => run(task));
}

/** An agent from a function returning an Observable (or any ObservableInput). */
export function observableAgent<T, Input = unknown, Upstream extends UpstreamOutputs = UpstreamOutputs>(
  run: (task: TaskContext<Input, Upstream>) => ObservableInput<T>,
): Agent<Input, Upstream> {
  return (task): Observable<T> => from(run(task));
}

/** Marks a value so the pipeline takes it as the output without unwrapping it. */
export class SyncResult {
  constructor(readonly value: unknown) {}
}

/** An agent from a synchronous function: its return value is the output, never unwrapped. */
export function syncAgent<T, Input = unknown, Upstream extends UpstreamOutputs = UpstreamOutputs>(
  run: (task: TaskContext<Input, Upstream>) => T,
): Agent<Input, Upstream> {
  return (task) => new SyncResult(run(task));
}
