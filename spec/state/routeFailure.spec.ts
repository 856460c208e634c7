import type { RetryPolicy } from '../../src/dag/defineDag';
import type { Severity } from '../../src/events';
import type { FailurePolicy } from '../../src/state/runState';
import { backoffDelay, type FailureRoute, routeFailure } from '../../src/state/routeFailure';

/** Three attempts in all; waits of 100, 200, 400… ms, never more than 1 s. */
const retry: RetryPolicy = { attempts: 3, backoffMs: 100, backoffFactor: 2, maxBackoffMs: 1_000 };
const noRetry: RetryPolicy = { attempts: 1, backoffMs: 100, backoffFactor: 2, maxBackoffMs: 1_000 };
const POLICIES: readonly FailurePolicy[] = ['skip-dependents', 'fail-fast', 'continue'];

describe('routeFailure', () => {
  it.each<[string, Severity, number, RetryPolicy, FailurePolicy, FailureRoute]>([
    // a warning: the task still completes, whatever the attempt and the policies
    ['a warning on the first attempt', 'warning', 1, retry, 'skip-dependents', { kind: 'warn' }],
    ['a warning on the last attempt', 'warning', 3, retry, 'fail-fast', { kind: 'warn' }],
    ['a warning past the last attempt', 'warning', 4, retry, 'continue', { kind: 'warn' }],
    ['a warning without retries', 'warning', 1, noRetry, 'fail-fast', { kind: 'warn' }],
    // an error with attempts left: retry after the backoff of the attempt that failed
    ['an error on attempt 1 of 3', 'error', 1, retry, 'skip-dependents', { kind: 'retry', severity: 'error', backoffMs: 100, asked: false }],
    ['an error on attempt 2 of 3', 'error', 2, retry, 'fail-fast', { kind: 'retry', severity: 'error', backoffMs: 200, asked: false }],
    [
      'an error with attempts left, capped wait',
      'error',
      5,
      { ...retry, attempts: 10 },
      'continue',
      { kind: 'retry', severity: 'error', backoffMs: 1_000, asked: false },
    ],
    // an error on the last attempt (the boundary) or later: fail, then the run's failure policy
    [
      'an error on attempt 3 of 3, skip-dependents',
      'error',
      3,
      retry,
      'skip-dependents',
      { kind: 'fail', severity: 'error', then: 'skip-dependents' },
    ],
    [
      'an error on attempt 3 of 3, continue',
      'error',
      3,
      retry,
      'continue',
      { kind: 'fail', severity: 'error', then: 'release-dependents' },
    ],
    ['an error on attempt 3 of 3, fail-fast', 'error', 3, retry, 'fail-fast', { kind: 'fail', severity: 'error', then: 'end-run' }],
    ['an error past the last attempt', 'error', 4, retry, 'skip-dependents', { kind: 'fail', severity: 'error', then: 'skip-dependents' }],
    [
      'an error without retries, skip-dependents',
      'error',
      1,
      noRetry,
      'skip-dependents',
      { kind: 'fail', severity: 'error', then: 'skip-dependents' },
    ],
    [
      'an error without retries, continue',
      'error',
      1,
      noRetry,
      'continue',
      { kind: 'fail', severity: 'error', then: 'release-dependents' },
    ],
    ['an error without retries, fail-fast', 'error', 1, noRetry, 'fail-fast', { kind: 'fail', severity: 'error', then: 'end-run' }],
    // critical: fails at once and ends the run, attempts left or not, whatever the policy
    [
      'a critical error on attempt 1 of 3',
      'critical',
      1,
      retry,
      'skip-dependents',
      { kind: 'fail', severity: 'critical', then: 'end-run' },
    ],
    ['a critical error under continue', 'critical', 2, retry, 'continue', { kind: 'fail', severity: 'critical', then: 'end-run' }],
    ['a critical error on the last attempt', 'critical', 3, retry, 'fail-fast', { kind: 'fail', severity: 'critical', then: 'end-run' }],
    [
      'a critical error without retries',
      'critical',
      1,
      noRetry,
      'skip-dependents',
      { kind: 'fail', severity: 'critical', then: 'end-run' },
    ],
  ])('should route %s', (_, severity, attempt, retryPolicy, failurePolicy, route) => {
    expect(routeFailure({ severity, attempt, retry: retryPolicy, failurePolicy })).toEqual(route);
  });

  it.each(POLICIES)('should never retry a critical error nor fail a warning (failure policy %s)', (failurePolicy) => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const retryPolicy = { ...retry, attempts: 10 };
      expect(routeFailure({ severity: 'critical', attempt, retry: retryPolicy, failurePolicy })).toEqual({
        kind: 'fail',
        severity: 'critical',
        then: 'end-run',
      });
      expect(routeFailure({ severity: 'warning', attempt, retry: retryPolicy, failurePolicy })).toEqual({ kind: 'warn' });
    }
  });

  it.each(POLICIES)('should retry an error exactly while attempts are left (failure policy %s)', (failurePolicy) => {
    const kinds = [1, 2, 3, 4, 5].map((attempt) => routeFailure({ severity: 'error', attempt, retry, failurePolicy }).kind);
    expect(kinds).toEqual(['retry', 'retry', 'fail', 'fail', 'fail']);
  });

  describe('with what the error asked for', () => {
    it('should wait retryAfterMs instead of the backoff, longer or shorter, 0 included', () => {
      for (const retryAfterMs of [5_000, 10, 0]) {
        expect(routeFailure({ severity: 'error', attempt: 2, retry, failurePolicy: 'skip-dependents', retryAfterMs })).toEqual({
          kind: 'retry',
          severity: 'error',
          backoffMs: retryAfterMs,
          asked: true,
        });
      }
    });

    it('should not give another attempt for retryAfterMs past the policy, nor make a warning or a critical error retry', () => {
      expect(routeFailure({ severity: 'error', attempt: 3, retry, failurePolicy: 'continue', retryAfterMs: 10 })).toEqual({
        kind: 'fail',
        severity: 'error',
        then: 'release-dependents',
      });
      expect(routeFailure({ severity: 'warning', attempt: 1, retry, failurePolicy: 'continue', retryAfterMs: 10 })).toEqual({ kind: 'warn' });
      expect(routeFailure({ severity: 'critical', attempt: 1, retry, failurePolicy: 'continue', retryAfterMs: 10 }).kind).toBe('fail');
    });

    it.each(POLICIES)('should fail an error that asks for no retry at once, attempts left, then apply %s', (failurePolicy) => {
      const asked = routeFailure({ severity: 'error', attempt: 1, retry, failurePolicy, noRetry: true, retryAfterMs: 10 });
      expect(asked).toEqual(routeFailure({ severity: 'error', attempt: 3, retry, failurePolicy }));
      expect(asked.kind).toBe('fail');
    });
  });
});

describe('backoffDelay', () => {
  it.each<[string, RetryPolicy, number, number]>([
    ['wait backoffMs after the first attempt', retry, 1, 100],
    ['multiply each later wait by the factor', retry, 2, 200],
    ['multiply it again after the third attempt', retry, 3, 400],
    ['multiply it again after the fourth attempt', retry, 4, 800],
    ['cap the first wait past maxBackoffMs', retry, 5, 1_000],
    ['cap a wait far past maxBackoffMs', retry, 30, 1_000],
    ['keep a wait exactly at the cap', { ...retry, maxBackoffMs: 400 }, 3, 400],
    ['keep the wait constant with a factor of 1', { ...retry, backoffFactor: 1 }, 7, 100],
    ['multiply by a factor of 3', { ...retry, backoffFactor: 3, maxBackoffMs: Number.POSITIVE_INFINITY }, 3, 900],
    ['let the wait grow without a cap (Infinity)', { ...retry, maxBackoffMs: Number.POSITIVE_INFINITY }, 11, 102_400],
    ['cap the first wait too when the cap is below backoffMs', { ...retry, maxBackoffMs: 50 }, 1, 50],
    ['not wait with a backoffMs of 0', { ...retry, backoffMs: 0 }, 4, 0],
    ['shrink the waits with a factor below 1', { ...retry, backoffFactor: 0.5 }, 3, 25],
  ])('should %s', (_, retryPolicy, attempt, delay) => {
    expect(backoffDelay(retryPolicy, attempt)).toBe(delay);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('should refuse attempt %p: attempts count from 1', (attempt) => {
    expect(() => backoffDelay(retry, attempt)).toThrow(
      new TypeError(`rxdag: backoffDelay needs the number of the attempt that failed, an integer >= 1 (got ${attempt})`),
    );
  });

  it('should never exceed the cap and never decrease with a factor of at least 1', () => {
    for (const backoffFactor of [1, 1.5, 2, 10]) {
      let previous = 0;
      for (let attempt = 1; attempt <= 40; attempt++) {
        const delay = backoffDelay({ ...retry, backoffFactor }, attempt);
        expect(delay).toBeLessThanOrEqual(retry.maxBackoffMs);
        expect(delay).toBeGreaterThanOrEqual(previous);
        previous = delay;
      }
    }
  });
});
