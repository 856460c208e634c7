import fc from 'fast-check';
import { positiveIntegerSetting } from '../../support/seeded';

/**
 * How much the property suites try. `RXDAG_PROPERTY_RUNS` is the number of generated DAG runs
 * the whole property suite aims at (default 700, sized for `npm test`'s time on 2 cores: each CI
 * run draws new ones; `npm run test:deep` sets 10,000); each property takes its share.
 * `RXDAG_PROPERTY_SEED` (and `RXDAG_PROPERTY_PATH`) replay a failure that fast-check reported.
 */
export const TARGET_RUNS = positiveIntegerSetting('RXDAG_PROPERTY_RUNS', 700);

/** Ratio of the target to the default: every property's case count scales with it. */
export const SCALE = TARGET_RUNS / 1000;

/**
 * fast-check parameters for a property that tries `cases` cases at the default scale. With
 * `timeLimitMs` (scaled too) the property fails when it has not finished by then: that bounds a
 * shrink of a slow counterexample, which still reports its seed and best counterexample so far.
 */
export function propertyParameters<T>(cases: number, timeLimitMs?: number): fc.Parameters<T> {
  const seed = process.env.RXDAG_PROPERTY_SEED;
  const path = process.env.RXDAG_PROPERTY_PATH;
  return {
    numRuns: Math.max(1, Math.round(cases * SCALE)),
    // the violations are the point: show them in the failure message, next to seed and counterexample
    includeErrorInReport: true,
    ...(seed === undefined || seed === '' ? {} : { seed: Number(seed) }),
    ...(path === undefined || path === '' ? {} : { path }),
    ...(timeLimitMs === undefined ? {} : { plugins: [fc.interruptAfterTimeLimit(scaled(timeLimitMs), { failOnInterrupt: true })] }),
  };
}

/** A real-time limit scaled with the number of runs. */
export function scaled(ms: number): number {
  return Math.round(ms * Math.max(1, SCALE));
}

/** The jest timeout of a property with a fast-check time limit: enough for fast-check to report first. */
export function testTimeout(timeLimitMs: number): number {
  return scaled(timeLimitMs) + 60_000;
}
