/**
 * What a declared limit must be beyond its shape, shared by the two places that declare limits
 * (the scheduler's `limits` option, a DAG file's `limits:`) so that both refuse the same and say
 * it alike: a name a task's `limits` could name, counts a number holds exactly, and `concurrency`
 * or `rate` (said only when no misspelling of one says it better); and what a task that takes
 * more of a limit than it allows is told, in both. The schemas themselves, in
 * their own words ("object" or "mapping"), are the option's and the file's; what a limit does
 * in a run is `Limit`'s.
 */
import type { z } from 'zod';
import { idSchema } from './schema';
import { closestName, quoted } from './text';

/** The largest count a limit takes (`concurrency`, `rate.limit`): past it a number skips integers. */
export const MAX_COUNT = Number.MAX_SAFE_INTEGER;

const NOT_A_COUNT = 'must be a positive integer';

/**
 * `number` held to a count of units (`concurrency`, `rate.limit`): a positive integer of at most
 * {@link MAX_COUNT}. Zod refuses a larger one as not an integer; this says what the rule is.
 *
 * @example
 * asCount(z.number({ error: 'expected a positive integer' })).safeParse(2 ** 53)
 * // issue: 'must be a positive integer of at most 9007199254740991'
 */
export function asCount(number: z.ZodNumber): z.ZodNumber {
  return number
    .int({ error: (issue) => (issue.code === 'too_big' ? `${NOT_A_COUNT} of at most ${MAX_COUNT}` : NOT_A_COUNT) })
    .positive({ error: NOT_A_COUNT });
}

/**
 * What is wrong with `name` as the name of a declared limit, in the words a task's `limits` get
 * (`invalid limit name "": must not be empty`); `undefined` when nothing is. Tasks name limits
 * as ids: a limit with any other name could never be used.
 */
export function limitNameProblem(name: string): string | undefined {
  const parsed = idSchema.safeParse(name);
  return parsed.success ? undefined : `invalid limit name ${quoted(name)}: ${parsed.error.issues[0]!.message}`;
}

/** Whether a limit gives what it needs: `concurrency`, `rate` or both. */
export function hasConcurrencyOrRate(limit: { readonly concurrency?: unknown; readonly rate?: unknown }): boolean {
  return limit.concurrency !== undefined || limit.rate !== undefined;
}

const LIMIT_FIELDS = ['concurrency', 'rate'];

/**
 * When {@link hasConcurrencyOrRate} is worth checking, from the issues the limit's object has
 * already (a refinement's `when`): only when they are all unknown fields, none of them a
 * misspelling of `concurrency` or `rate`, whose own issue names the field meant and says it
 * all. Any other issue is about a field given, or about a value that is no object.
 */
export function unlessFieldMisspelt(payload: z.core.ParsePayload): boolean {
  return payload.issues.every(
    (issue) => issue.code === 'unrecognized_keys' && issue.keys.every((key) => closestName(key, LIMIT_FIELDS) === undefined),
  );
}

/** A declared limit's counts (the scheduler's `LimitSpec`, a DAG file's limit once checked). */
export interface LimitCounts {
  readonly concurrency?: number | undefined;
  readonly rate?: { readonly limit: number; readonly intervalMs: number } | undefined;
}

/** The most units one task may take of `limit`: its concurrency, and its rate's limit per window. */
export function roomOf(limit: LimitCounts): number {
  return Math.min(limit.concurrency ?? Number.POSITIVE_INFINITY, limit.rate?.limit ?? Number.POSITIVE_INFINITY);
}

/**
 * What is said of a task (`who`) that takes more `units` of limit `name` than it allows (it could
 * never start): by its weight when it names the limit in a list, by its own count in a mapping
 * (`ownCount`); `undefined` when they fit.
 *
 * @example
 * tooMuchOf('task "b"', 5, 'api', { concurrency: 2 }, false) // 'task "b" weighs 5, more than limit "api" allows (concurrency 2)'
 * tooMuchOf('task "c"', 6000, 'tokens', { rate: { limit: 5000, intervalMs: 60000 } }, true)
 * // 'task "c" takes 6000 units of limit "tokens", more than it allows (rate limit 5000 per 60000 ms)'
 */
export function tooMuchOf(who: string, units: number, name: string, limit: LimitCounts, ownCount: boolean): string | undefined {
  const room = roomOf(limit);
  if (units <= room) return undefined;
  const what = limit.concurrency === room ? `concurrency ${room}` : `rate limit ${room} per ${limit.rate!.intervalMs} ms`;
  return ownCount
    ? `${who} takes ${units} units of limit ${quoted(name)}, more than it allows (${what})`
    : `${who} weighs ${units}, more than limit ${quoted(name)} allows (${what})`;
}
