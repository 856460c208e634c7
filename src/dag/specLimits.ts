/**
 * The values a DAG spec is held to: id length, attempts, weights, the trigger rules, and times no
 * longer than the longest timer Node keeps. Constants only; the zod schemas that hold a spec to
 * them are `schema.ts`'s (which re-exports them). Why apart: the CLI's option checks and the
 * journal's readers use them without loading zod.
 */

/** Longest task or DAG id accepted, in characters (code points, as the schema counts); ids are names, not payloads. */
export const MAX_ID_LENGTH = 256;
/** Most attempts a retry policy may ask for. */
export const MAX_ATTEMPTS = 1000;
/**
 * Longest time a Node timer keeps: 2^31 − 1 ms, about 24.8 days. Node fires a longer timer
 * after 1 ms (with a `TimeoutOverflowWarning`), so every time that becomes a timer (timeouts,
 * backoffs, sleeps, poll and health periods) is refused above it.
 */
export const MAX_TIMER_MS = 2_147_483_647;
/** What is said of a time above {@link MAX_TIMER_MS} (followed by the value given). */
export const TIMER_LIMIT_MESSAGE = `must be at most ${MAX_TIMER_MS} ms (about 24.8 days), the longest timer Node keeps`;

/**
 * What a task's dependencies must have done for it to run (`when` on a task): `all-succeeded`
 * (each completed), `all-done` (each ended, however), `any-failed` (each ended and at least one
 * failed for good) and `none-failed` (each completed or was skipped, none failed). A dependency
 * skipped because of a failure further up counts as failed; one skipped by its rule while
 * nothing failed, as skipped.
 */
export const TRIGGER_RULES = ['all-succeeded', 'all-done', 'any-failed', 'none-failed'] as const;
export type TriggerRule = (typeof TRIGGER_RULES)[number];

/** The heaviest weight a task may have: far above any real concurrency limit. */
export const MAX_WEIGHT = 1_000_000;
