/**
 * Problems found in a DAG spec, worded as `DagIssue`s: zod's issues under the spec's paths with
 * the value given, unknown fields with the field most likely meant, a trigger rule with the rule
 * most likely meant (`all_done`, another tool's `one_failed`), a task without an agent, a cycle
 * as a readable path, and the DAG id an error can name. Finds nothing itself: the schemas and
 * the checks (`validateTasks`, `buildDepsGraph`, `topologicalOrder`) decide what is wrong.
 */
import { z } from 'zod';
import { type DagIssue, quoted } from './errors';
import { MAX_TIMER_MS, TRIGGER_RULES, type TriggerRule, taskSpecSchema } from './schema';
import { closestName, describeValue, escapeControls, invisibleIn, oddSpaceIn, unknownFieldMessage } from './text';

/**
 * Zod's issues of `schema` parsing `input`, with `prefix` in front of their paths. Each names
 * the value it got (`must be > 0 (got -5)`), and a trigger rule the rule meant; each unknown
 * field is its own issue, at the object holding it, with the known field it most likely stands for.
 */
export function zodIssues(error: z.ZodError, prefix: readonly (string | number)[], input: unknown, schema: z.ZodType): DagIssue[] {
  const misspelt = misspeltFields(error, schema);
  return error.issues.flatMap((issue): DagIssue[] => {
    const at = issuePath(issue);
    const path = [...prefix, ...at];
    if (issue.code === 'unrecognized_keys') {
      const known = fieldsAt(schema, at);
      return issue.keys.map((field) => ({ path, code: 'invalid-value', message: unknownFieldMessage(field, known), field }));
    }
    if (isMissingButMisspelt(issue, input, misspelt)) return [];
    const value = valueAt(input, at);
    const hints = `${quoteHint(issue, value)}${ruleHint(issue, value)}${retryHint(issue, value)}${millisecondsHint(issue, value)}${oddSpaceHint(issue, value)}`;
    return [{ path, code: 'invalid-value', message: `${issue.message} (got ${describeValue(value)}${hints})` }];
  });
}

/** A zod issue's path inside the value it checked, symbols as their names. */
export function issuePath(issue: z.core.$ZodIssue): (string | number)[] {
  return issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part));
}

/** Whether the field `field` of the object at `at` is what an unknown field of that object most likely meant. */
export type Misspelt = (at: readonly (string | number)[], field: string) => boolean;

/**
 * The fields the unknown fields of `error` most likely meant (`attemps` → `attempts`; `meaning`
 * says which field of those `known` where an unknown one stands, by default the closest name):
 * that such a field is missing is the same mistake as the unknown one, said once.
 */
export function misspeltFields(
  error: z.ZodError,
  schema: z.ZodType,
  meaning: (unknown: string, known: readonly string[]) => string | undefined = closestName,
): Misspelt {
  const meant = new Set<string>();
  for (const issue of error.issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const at = issuePath(issue);
    const known = fieldsAt(schema, at);
    for (const key of issue.keys) {
      const field = meaning(key, known);
      if (field !== undefined) meant.add(JSON.stringify([...at, field]));
    }
  }
  return (at, field) => meant.size > 0 && meant.has(JSON.stringify([...at, field]));
}

/** Whether `issue` says that a field of `input` is missing which an unknown field beside it stood for. */
export function isMissingButMisspelt(issue: z.core.$ZodIssue, input: unknown, misspelt: Misspelt): boolean {
  if (issue.code !== 'invalid_type') return false;
  const at = issuePath(issue);
  const field = at[at.length - 1];
  return typeof field === 'string' && valueAt(input, at) === undefined && misspelt(at.slice(0, -1), field);
}

/**
 * `; write it in quotes to make it text` when text was expected and a number or a boolean came:
 * `id: 01` is the number 1 to YAML, `1e3` is 1000, `true` a boolean. Else nothing.
 */
export function quoteHint(issue: z.core.$ZodIssue, value: unknown): string {
  const unquoted = typeof value === 'number' || typeof value === 'boolean';
  return issue.code === 'invalid_type' && issue.expected === 'string' && unquoted ? '; write it in quotes to make it text' : '';
}

/** `; did you mean "all-done"?` when a task's `when` is text that stands for a trigger rule ({@link meantRule}). Else nothing. */
function ruleHint(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code !== 'invalid_value' || issue.path[issue.path.length - 1] !== 'when' || typeof value !== 'string') return '';
  if (isRuleWithoutCounterpart(value)) return '; no rule here means what that rule means in other tools';
  const rule = meantRule(value);
  return rule === undefined ? '' : `; did you mean ${quoted(rule)}?`;
}

/**
 * `; write { attempts: 3 }` when a task's `retry` (or the defaults') is a count: what other tools
 * write as `retries: 3` or `retry: 3` is a policy here. Else nothing.
 */
function retryHint(issue: z.core.$ZodIssue, value: unknown): string {
  const attempts = attemptsFor(value);
  if (issue.path[issue.path.length - 1] !== 'retry' || attempts === undefined || attempts < 2) return '';
  return `; write { attempts: ${attempts} } for the first attempt and ${retriesText(attempts - 1)}`;
}

/** The attempts of a task that `retries` retries (the first attempt and the retries), when it is a count. */
export function attemptsFor(retries: unknown): number | undefined {
  return typeof retries === 'number' && Number.isSafeInteger(retries) && retries >= 0 ? retries + 1 : undefined;
}

/** `3 retries`, `1 retry`. */
export function retriesText(retries: number): string {
  return `${retries} ${retries === 1 ? 'retry' : 'retries'}`;
}

/** Milliseconds in each unit a duration may be written in, by each name of the unit. */
const UNIT_MS: Readonly<Record<string, number>> = Object.fromEntries(
  (
    [
      [1, ['ms', 'msec', 'msecs', 'millisecond', 'milliseconds']],
      [1000, ['s', 'sec', 'secs', 'second', 'seconds']],
      [60_000, ['m', 'min', 'mins', 'minute', 'minutes']],
      [3_600_000, ['h', 'hr', 'hrs', 'hour', 'hours']],
      [86_400_000, ['d', 'day', 'days']],
    ] as const
  ).flatMap(([ms, names]) => names.map((name) => [name, ms])),
);

/** The longest text read as a duration: a hint for a slip, not a parser for any length (its pattern is not linear in it). */
const MAX_DURATION_TEXT = 64;

/**
 * The milliseconds a text written as a duration stands for: amounts with units (`30m`, `1.5s`,
 * `5 mins`, `1h30m`, `2h 5m`), an ISO 8601 duration (`PT30S`) or a clock time (`00:00:30`);
 * `undefined` for any other text.
 *
 * @example
 * durationMs('1h30m') // 5400000
 */
export function durationMs(text: string): number | undefined {
  if (text.length > MAX_DURATION_TEXT) return undefined;
  const written = text.trim().toLowerCase();
  const clock = /^(\d+):([0-5]\d):([0-5]\d(?:\.\d+)?)$/.exec(written);
  if (clock !== null) return finite((Number(clock[1]) * 3600 + Number(clock[2]) * 60 + Number(clock[3])) * 1000);
  const iso = /^p(?:(\d+(?:\.\d+)?)d)?(?:t(?=\d)(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?)?$/.exec(written);
  if (iso !== null && written !== 'p') {
    const [, d = '0', h = '0', m = '0', sec = '0'] = iso;
    return finite(Number(d) * 86_400_000 + Number(h) * 3_600_000 + Number(m) * 60_000 + Number(sec) * 1000);
  }
  const parts = [...written.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+)\s*,?\s*/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== written) return undefined;
  let total = 0;
  for (const [, amount, unit] of parts) {
    const ms = UNIT_MS[unit!];
    if (ms === undefined) return undefined;
    total += Number(amount) * ms;
  }
  return finite(total);
}

/** `ms` rounded, when it is a number a timer could be given at all. */
function finite(ms: number): number | undefined {
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/**
 * `; in milliseconds that is 1800000` when a field of milliseconds (`timeoutMs`, `backoffMs`…) is text
 * that says a duration (`"30m"`, `"1.5s"`), `; write it without quotes` when it is a number in
 * quotes. Else nothing.
 */
export function millisecondsHint(issue: z.core.$ZodIssue, value: unknown): string {
  const field = issue.path[issue.path.length - 1];
  const ofMs = typeof field === 'string' && (field.endsWith('Ms') || field === 'sleep');
  if (issue.code !== 'invalid_type' || !ofMs || typeof value !== 'string') return '';
  // a number beside a pasted no-break space or a BOM: {@link oddSpaceHint} says it (`\s` takes them too)
  if (oddSpaceIn(value) !== undefined || invisibleIn(value) !== undefined) return '';
  // a number written as text: in quotes, or a YAML block (`sleep: >` with the number below)
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return /\n$/.test(value) ? '; write the number after the colon' : '; write it without quotes';
  const ms = durationMs(value);
  if (ms === undefined || ms < 1) return '';
  return ms <= MAX_TIMER_MS ? `; in milliseconds that is ${ms}` : `; that is ${ms} ms, longer than the longest timer Node keeps`;
}

/**
 * `; it holds U+00A0, …: write 1000` when the value is a number but for a space that is not the
 * plain one (`weight: 4\u{a0}`, pasted; `1\u{202f}000`, thousands set apart) or a character that
 * shows as nothing (a zero-width space, a BOM): YAML reads it as text, quoted or not.
 */
export function oddSpaceHint(issue: z.core.$ZodIssue, value: unknown): string {
  // where a number was expected (a limit's count, `limits: { api: 2 }`, is checked by hand): not a rule's name, nor a limit's
  const count = issue.code === 'custom' && issue.path.at(-2) === 'limits' && typeof issue.path.at(-1) === 'string';
  const number = (issue.code === 'invalid_type' && issue.expected === 'number') || count;
  if (!number || typeof value !== 'string') return '';
  const space = oddSpaceIn(value);
  const odd = space ?? invisibleIn(value);
  const bare = value.replace(/[\s\p{Cf}]/gu, '');
  if (odd === undefined || !/^[-+]?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(bare)) return '';
  const what = space === undefined ? 'a character that does not show' : 'a space that is not the plain one';
  return `; it holds ${odd}, ${what}, as text copied from a web page or a chat often has: write ${bare}`;
}

/** Trigger rules of other tools, lower case with hyphens, by the rule they stand for. */
const RULE_SYNONYMS: ReadonlyMap<string, string> = new Map([
  ['one-failed', 'any-failed'],
  ['all-success', 'all-succeeded'],
  ['all-successful', 'all-succeeded'],
  ['on-success', 'all-succeeded'],
  ['on-failure', 'any-failed'],
  ['always', 'all-done'],
  ['all-finished', 'all-done'],
  ['none-failed-min-one-success', 'none-failed'],
  // GitHub Actions' status checks (`if: failure()`)
  ['failure()', 'any-failed'],
  ['always()', 'all-done'],
  ['success()', 'all-succeeded'],
]);

/**
 * Trigger rules of other tools that no rule here stands for, lower case with hyphens: each is
 * close in spelling to a rule that means something else (`all-failed` is not `any-failed`).
 */
const RULES_WITHOUT_COUNTERPART: ReadonlySet<string> = new Set([
  'all-failed',
  'all-skipped',
  'none-skipped',
  'one-success',
  'one-done',
  'all-done-min-one-success',
  'all-done-setup-success',
]);

/**
 * The trigger rule `value` stands for when it is not one: the rule in another case or with
 * underscores (`ALL_DONE`), another tool's name for it (`one_failed`), else the closest rule
 * (`all-sucess`); none for another tool's rule that no rule here stands for (`all_failed`).
 */
export function meantRule(value: string): TriggerRule | undefined {
  const written = value
    .trim()
    .replace(/^\$\{\{\s*(.*?)\s*\}\}$/, '$1')
    .toLowerCase()
    .replace(/_/g, '-');
  const meant = RULE_SYNONYMS.get(written) ?? written;
  if ((TRIGGER_RULES as readonly string[]).includes(meant)) return meant !== value ? (meant as TriggerRule) : undefined;
  if (RULES_WITHOUT_COUNTERPART.has(written)) return undefined;
  return closestName(written, TRIGGER_RULES) as TriggerRule | undefined;
}

/** Whether `value` is another tool's trigger rule that no rule here stands for (`all_failed`). */
function isRuleWithoutCounterpart(value: string): boolean {
  return RULES_WITHOUT_COUNTERPART.has(value.trim().toLowerCase().replace(/_/g, '-'));
}

/** The value at `path` inside `value`, or `undefined` where there is none. */
export function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** The field names of the object schema found at `path` inside `schema` (none where there is no object). */
export function fieldsAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = schema;
  for (const key of path) {
    current = unwrap(current);
    if (current instanceof z.ZodObject) current = (current.shape as Record<PropertyKey, z.ZodType>)[key];
    else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
    else if (current instanceof z.ZodRecord) current = current.valueType as z.ZodType;
    else if (current instanceof z.ZodUnion)
      current = (current.options as z.ZodType[]).map(unwrap).find((option) => option instanceof z.ZodObject && key in option.shape);
    else current = undefined;
    if (current === undefined) return [];
  }
  current = unwrap(current);
  if (current instanceof z.ZodObject) return Object.keys(current.shape);
  if (current instanceof z.ZodUnion) return (current.options as z.ZodType[]).map(unwrap).flatMap((option) => fieldsAt(option, []));
  return [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodOptional) current = current.unwrap() as z.ZodType;
    // a preprocess (`limitsRecord`): the schema it hands the value on to
    else if (current instanceof z.ZodPipe) current = current.out as z.ZodType;
    else return current;
  }
}

/**
 * The issue for a task that names no agent, and whose DAG has no default one; none when the task
 * as `written` has an unknown field spelt closest to `agent` (`agnet`): that field is the mistake, said once.
 */
export function noAgentIssues(path: readonly (string | number)[], taskId: string, written: unknown): DagIssue[] {
  if (typeof written === 'object' && written !== null) {
    const known = fieldsAt(taskSpecSchema, []);
    if (Object.keys(written).some((field) => !known.includes(field) && closestName(field, known) === 'agent')) return [];
  }
  return [
    {
      path,
      code: 'invalid-value',
      message: `task ${quoted(taskId)} names no agent: set \`agent\` on the task or \`defaults.agent\``,
    },
  ];
}

/** The issue for a cycle through `names` (each depending on the next), at the deps of `tasks[specIndex]`. */
export function cycleIssue(names: string[], specIndex: number): DagIssue {
  return {
    path: ['tasks', specIndex, 'deps'],
    code: 'cycle',
    message: `cycle: ${cyclePath(names)} (each task depends on the next)`,
    cycle: Object.freeze(names),
  };
}

/** The spec's id when it is a string, for the error to name; whatever the spec is. */
export function dagIdOf(spec: unknown): string | undefined {
  const id: unknown = (spec as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

/** Most tasks a cycle message names; a 100,000-task cycle shows its ends and its length. */
const CYCLE_NAMES_SHOWN = 60;

/** `a -> b -> c -> a`, shortened in the middle for long cycles. */
function cyclePath(names: readonly string[]): string {
  const ids = names.map((name) => (name.length <= 80 ? escapeControls(name) : quoted(name)));
  if (ids.length <= CYCLE_NAMES_SHOWN) return [...ids, ids[0]].join(' -> ');
  const half = CYCLE_NAMES_SHOWN / 2;
  return (
    [...ids.slice(0, half), `… ${ids.length - CYCLE_NAMES_SHOWN} more …`, ...ids.slice(-half), ids[0]].join(' -> ') +
    ` (${ids.length} tasks)`
  );
}
