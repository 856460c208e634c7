/**
 * What a declared limit must be beyond its shape, shared by the two places that declare limits
 * (the scheduler's `limits` option, a DAG file's `limits:`) so that both refuse the same and say
 * it alike: a name a task's `limits` could name, counts a number holds exactly, and `concurrency`
 * or `rate` (said only when no misspelling of one says it better); and what a task that takes
 * more of a limit than it allows is told, in both, or the defaults when the tasks take it from
 * them (said once, with the tasks it keeps from starting). The schemas themselves, in
 * their own words ("object" or "mapping"), are the option's and the file's; what a limit does
 * in a run is `Limit`'s.
 */
import { z } from 'zod';
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

/**
 * `z.record(key, value, params)` that also checks an entry named `__proto__`: zod's record leaves
 * such an entry out of its checks (and its copy), and a limit may have that name (the callers
 * read every own entry of the object given, not zod's copy). Its problems are said with the
 * other entries' (a refinement that runs whatever they are), from the object as given, which the
 * preprocess notes (a parse is synchronous: no other parse of this schema comes between).
 */
export function limitsRecord<Value extends z.ZodType>(key: z.ZodType<string>, value: Value, params: { readonly error: string }) {
  let given: unknown;
  return z
    .preprocess((input) => (given = input), z.record(key, value, params))
    .superRefine(
      (_, context) => {
        if (typeof given !== 'object' || given === null || !Object.hasOwn(given, '__proto__')) return;
        const checked = value.safeParse(Object.getOwnPropertyDescriptor(given, '__proto__')!.value);
        for (const issue of checked.error?.issues ?? []) context.addIssue({ ...issue, path: ['__proto__', ...issue.path] } as never);
      },
      { when: () => true },
    );
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
 * What is said of a task (`who`: `task "b"`, or {@link THE_DEFAULTS} for the tasks that take the
 * field from them) that takes more `units` of limit `name` than it allows (it could never
 * start): by its weight when it names the limit in a list, by its own count in a mapping
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
    ? `${who} ${who === THE_DEFAULTS ? 'take' : 'takes'} ${units} units of limit ${quoted(name)}, more than it allows (${what})`
    : `${who} ${weighs(who)} ${units}, more than limit ${quoted(name)} allows (${what})`;
}

/** Who a problem of the defaults is said of: the tasks that take the field from them share it. */
export const THE_DEFAULTS = 'the defaults';

/** `weighs`, or `weigh` said of {@link THE_DEFAULTS}. */
function weighs(who: string): string {
  return who === THE_DEFAULTS ? 'weigh' : 'weighs';
}

/** Most tasks a problem of the defaults names; the others are counted. */
const TASKS_NAMED = 3;

/**
 * The tasks a problem of the defaults' `field` keeps from starting (those that take the field
 * from them), as they are met: the first few named, all counted; {@link KeptFromStarting.ending}
 * ends the problem's message with them.
 */
export class KeptFromStarting {
  private readonly names: string[] = [];
  private count = 0;

  constructor(private readonly field: 'weight' | 'limits') {}

  /** One more task, by its name as a message shows it (quoted). */
  add(name: string): void {
    if (this.names.length < TASKS_NAMED) this.names.push(name);
    this.count++;
  }

  /**
   * @example
   * // one task: ': task "a", which takes the default weight, could never start'
   * // 200 tasks: ': the 200 tasks that take the default weight ("t0", "t1", "t2" and 197 more) could never start'
   */
  ending(): string {
    const { field, names, count } = this;
    if (count === 1) return `: task ${names[0]}, which takes the default ${field}, could never start`;
    const more = count - names.length;
    return `: the ${count} tasks that take the default ${field} (${names.join(', ')}${more > 0 ? ` and ${more} more` : ''}) could never start`;
  }
}
