import type { RetryPolicy } from '../dag/defineDag';
import { describeValue } from '../dag/text';
import type { Severity } from '../events';
import type { FailurePolicy } from './runState';

/**
 * Failure routing: what a failed attempt leads to, decided from its severity, the task's retry
 * policy and the run's failure policy. A pure step in the XState manner: it returns what to do
 * and does none of it; the run controller carries the route out (events, timers, skips).
 * It does not look at the error itself (severity is read from it by the caller) nor at time.
 */

/**
 * Wait before attempt `attempt + 1`: `backoffMs × backoffFactor^(attempt-1)`, capped by `maxBackoffMs`.
 * `attempt` counts from 1; anything else is a `TypeError`.
 */
export function backoffDelay(retry: RetryPolicy, attempt: number): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new TypeError(`rxdag: backoffDelay needs the number of the attempt that failed, an integer >= 1 (got ${describeValue(attempt)})`);
  }
  return Math.min(retry.backoffMs * retry.backoffFactor ** (attempt - 1), retry.maxBackoffMs);
}

/** What happens to the rest of the run once a task failed for good. */
export type AfterFailure = 'skip-dependents' | 'release-dependents' | 'end-run';

/** Where a failed attempt goes. */
export type FailureRoute =
  /** A `warning`: recorded on the task, which still completes. */
  | { readonly kind: 'warn' }
  /**
   * `task.failed` with `willRetry: true`, then another attempt after `backoffMs`: the policy's
   * backoff, or the wait the agent asked for (`asked`).
   */
  | { readonly kind: 'retry'; readonly severity: 'error'; readonly backoffMs: number; readonly asked: boolean }
  /** `task.failed` with `willRetry: false`: the task's terminal event, then `then`. */
  | { readonly kind: 'fail'; readonly severity: 'error' | 'critical'; readonly then: AfterFailure };

/** What {@link routeFailure} decides from. */
export interface FailedAttempt {
  readonly severity: Severity;
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  readonly retry: RetryPolicy;
  readonly failurePolicy: FailurePolicy;
  /** The error asked for no other attempt (an agent's `retry: false`). */
  readonly noRetry?: boolean;
  /** The wait the error asked for before the next attempt, instead of the backoff. */
  readonly retryAfterMs?: number | undefined;
}

const WARN: FailureRoute = Object.freeze({ kind: 'warn' });
const CRITICAL: FailureRoute = Object.freeze({ kind: 'fail', severity: 'critical', then: 'end-run' });
const AFTER_POLICY: Readonly<Record<FailurePolicy, FailureRoute>> = Object.freeze({
  'fail-fast': Object.freeze({ kind: 'fail', severity: 'error', then: 'end-run' }),
  continue: Object.freeze({ kind: 'fail', severity: 'error', then: 'release-dependents' }),
  'skip-dependents': Object.freeze({ kind: 'fail', severity: 'error', then: 'skip-dependents' }),
});

/**
 * Routes a failed attempt: a `warning` lets the task succeed; `critical` fails it and ends the
 * run; an `error` retries while attempts are left (after the wait it asked for, else the
 * backoff), unless it asked for no retry, then fails the task and applies the run's failure
 * policy.
 *
 * @example
 * routeFailure({ severity: 'error', attempt: 1, retry: { attempts: 3, backoffMs: 100, backoffFactor: 2, maxBackoffMs: Infinity }, failurePolicy: 'skip-dependents' })
 * // { kind: 'retry', severity: 'error', backoffMs: 100, asked: false }
 */
export function routeFailure({ severity, attempt, retry, failurePolicy, noRetry, retryAfterMs }: FailedAttempt): FailureRoute {
  if (severity === 'warning') return WARN;
  if (severity === 'critical') return CRITICAL;
  if (attempt < retry.attempts && noRetry !== true) {
    const asked = retryAfterMs !== undefined;
    return { kind: 'retry', severity: 'error', backoffMs: asked ? retryAfterMs : backoffDelay(retry, attempt), asked };
  }
  return AFTER_POLICY[failurePolicy];
}
