import type { TaskEvent } from '../../../src';
import type { Behaviour, RetryHintGen, Thrown } from './scenario';

/**
 * The test's own reading of the retry hints a scripted error carries (`retry: false`,
 * `retryAfterMs`, `pauseLimits`, as `AgentError` documents them): what a failed attempt asks of
 * its task's retry policy and of its task's limits. The checks judge the events by it, never by
 * the scheduler's own reading (`limitPauses.ts` folds the pauses). Pure functions of behaviours.
 */

/** The longest wait a `retryAfterMs` may ask for (the longest timer); more is no hint. */
const MAX_WAIT_MS = 2 ** 31 - 1;

/** What a failed attempt's error asks for, the values that are no hint left out. */
export interface AskedHint {
  /** `retry: false`: no other attempt, whatever the policy allows. */
  readonly noRetry: boolean;
  /** The wait before the next attempt instead of the backoff. */
  readonly retryAfterMs: number | undefined;
  /** The task's limits start nothing for `retryAfterMs` (never without it). */
  readonly pauseLimits: boolean;
}

export const NO_HINT: AskedHint = Object.freeze({ noRetry: false, retryAfterMs: undefined, pauseLimits: false });
const UNSAFE_OUTPUT: AskedHint = Object.freeze({ noRetry: true, retryAfterMs: undefined, pauseLimits: false });

/** Whether `value` is a wait a `retryAfterMs` may ask for: a number of ms from 0 to the longest timer. */
export function isRetryWait(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value <= MAX_WAIT_MS;
}

/** Whether a thrown value of this kind can carry a hint: an object can, a primitive cannot. */
function carriesHint(thrown: Thrown): boolean {
  return thrown === 'error' || thrown === 'agentError' || thrown === 'object';
}

/**
 * The own properties a scripted error carries for `hint`: `retry`, `retryAfterMs` and
 * `pauseLimits` as generated, values that are no hint included (the scheduler must ignore them).
 */
export function hintProperties(hint: RetryHintGen): Record<string, unknown> {
  return {
    ...(hint.noRetry ? { retry: false } : {}),
    ...(hint.retryAfterMs === undefined ? {} : { retryAfterMs: hint.retryAfterMs }),
    ...(hint.pauseLimits ? { pauseLimits: true } : {}),
  };
}

/**
 * What an attempt that plays `behaviour` asks for when it fails by its own error: only an
 * `error` severity failure asks anything (a warning completes its task, a critical error ends the
 * run: both ignore what they carry), and only a thrown object carries it; an output that cannot
 * travel in an event fails its attempt with an error that asks for no retry.
 */
export function askedHint(behaviour: Behaviour): AskedHint {
  if (behaviour.kind === 'unsafe') return UNSAFE_OUTPUT; // its OutputNotJsonSafeError asks for no retry
  if (behaviour.kind !== 'fail' || behaviour.hint === undefined || !carriesHint(behaviour.thrown)) return NO_HINT;
  const { noRetry, retryAfterMs, pauseLimits } = behaviour.hint;
  const wait = isRetryWait(retryAfterMs) ? retryAfterMs : undefined;
  return { noRetry, retryAfterMs: wait, pauseLimits: pauseLimits && wait !== undefined };
}

/**
 * What the attempt a `task.failed` ends asked for, given the behaviour it played: nothing when
 * its time limit failed it (the scheduler's own error).
 */
export function hintOfFailure(played: Behaviour, failed: Extract<TaskEvent, { type: 'task.failed' }>): AskedHint {
  return failed.error.name === 'TaskTimeoutError' ? NO_HINT : askedHint(played);
}

/**
 * The longest an attempt playing `behaviour` can hold its task back besides the policy's
 * backoff: the wait it asks for, and as long again for the pause it may put on its task's limits
 * (which may hold back every task on them too).
 */
export function hintDelay(behaviour: Behaviour): number {
  const { retryAfterMs, pauseLimits } = askedHint(behaviour);
  return retryAfterMs === undefined ? 0 : pauseLimits ? 2 * retryAfterMs : retryAfterMs;
}
