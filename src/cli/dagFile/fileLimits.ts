/**
 * The named limits of a DAG file: the shape of its top-level `limits:` mapping (`name: {
 * concurrency?, rate?: { limit, intervalMs } }`, each name one a task's `limits` can name), and
 * the checks that need both the limits and the tasks: a task that names a limit the file does
 * not declare, or that weighs more than a limit it needs allows (a problem of the defaults said
 * once, at the defaults). The shape is checked where the file is read so that each problem is
 * placed at its line; the tasks' own `limits`, `weight` and `when` values are `defineDag`'s to
 * check. What a limit does when the run goes is the library's (the run's `limits` option).
 */
import { z } from 'zod';
import type { LimitSpec } from '../../index';
import {
  asCount,
  hasConcurrencyOrRate,
  type LimitCounts,
  limitNameProblem,
  limitsRecord,
  KeptFromStarting,
  THE_DEFAULTS,
  tooMuchOf,
  unlessFieldMisspelt,
} from '../../dag/declaredLimits';
import { MAX_LIMIT_UNITS, MAX_TIMER_MS, TIMER_LIMIT_MESSAGE } from '../../dag/schema';
import { MAX_WEIGHT } from '../../dag/specLimits';
import { meantHint, quoted } from '../../dag/text';
import type { Located } from './zodProblems';

/** Whether `value` is a weight or units a task may take: from 1 to `most`, whole. */
const isCount = (value: unknown, most: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= most;

/** A count of units (see `asCount`); `missing` is what is said when it is not there. */
const count = (missing: string) =>
  asCount(z.number({ error: (issue) => (issue.input === undefined ? missing : 'expected a positive integer') }));

const intervalMs = z
  .number({
    error: (issue) =>
      issue.input === undefined
        ? 'a `rate` needs `intervalMs`: the length of its window in milliseconds'
        : 'expected a number of milliseconds',
  })
  .finite({ error: 'must be a finite number' })
  .positive({ error: 'must be > 0' })
  .max(MAX_TIMER_MS, { error: TIMER_LIMIT_MESSAGE });

/** The fields of a limit, each checked on its own too (see {@link weighableLimits}). */
const limitFields = {
  concurrency: count('expected a positive integer').optional(),
  rate: z
    .strictObject(
      { limit: count('a `rate` needs `limit`: the most units it lets start in each window'), intervalMs },
      { error: 'expected a rate: a mapping `{ limit, intervalMs }`' },
    )
    .optional(),
};

/** One limit as a file declares it. */
export const fileLimitSchema = z
  .strictObject(limitFields, { error: 'expected a limit: a mapping with `concurrency`, `rate: { limit, intervalMs }` or both' })
  .refine(hasConcurrencyOrRate, {
    error: 'a limit needs `concurrency`, `rate: { limit, intervalMs }` or both (it has neither)',
    when: unlessFieldMisspelt,
  });

/** A limit's name: one a task's `limits` can name (placed at its key, as an environment variable's). */
const limitName = z.string().superRefine((name, context) => {
  const problem = limitNameProblem(name);
  if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
});

/** The top-level `limits:` of a DAG file. */
export const fileLimitsSchema = limitsRecord(limitName, fileLimitSchema, {
  error: 'expected a mapping of limit names to limits (`api: { concurrency: 2 }`)',
});

/**
 * The limits of a file that are well formed, by name, as an object that keeps any name (a limit
 * called `__proto__` or `constructor` included): what the run's `limits` option is given. A
 * limit that failed {@link fileLimitsSchema}, in its name or its value, is left out (the schema
 * reports it).
 */
export function usableLimits(limits: unknown): Readonly<Record<string, LimitSpec>> {
  const usable = Object.create(null) as Record<string, LimitSpec>;
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) return usable;
  for (const name of Object.keys(limits)) {
    const spec: unknown = Object.getOwnPropertyDescriptor(limits, name)?.value;
    if (limitNameProblem(name) === undefined && fileLimitSchema.safeParse(spec).success) {
      Object.defineProperty(usable, name, { value: spec, enumerable: true });
    }
  }
  return usable;
}

/**
 * What each limit of a file, well named, holds a task's weight to while the rest of it is
 * reported: its `concurrency` and its `rate` where each is well formed on its own (a bad
 * `rate.limit` hides no weight above a good `concurrency`); a limit with neither is left out.
 */
function weighableLimits(limits: unknown): ReadonlyMap<string, LimitCounts> {
  const weighable = new Map<string, LimitCounts>();
  if (!isMapping(limits)) return weighable;
  for (const name of Object.keys(limits)) {
    const spec: unknown = Object.getOwnPropertyDescriptor(limits, name)?.value;
    if (limitNameProblem(name) !== undefined || !isMapping(spec)) continue;
    const concurrency = limitFields.concurrency.safeParse(spec['concurrency']);
    const rate = limitFields.rate.safeParse(spec['rate']);
    const counts: LimitCounts = {
      ...(concurrency.success && concurrency.data !== undefined ? { concurrency: concurrency.data } : {}),
      ...(rate.success && rate.data !== undefined ? { rate: rate.data } : {}),
    };
    if (hasConcurrencyOrRate(counts)) weighable.set(name, counts);
  }
  return weighable;
}

/**
 * What the tasks of a file ask of its limits that the limits cannot give: a limit name the file
 * does not declare (at `tasks[i].limits[k]` or `tasks[i].limits.<name>`, or once in the defaults'
 * `limits` for the names the defaults give, with the names it does declare and the one most
 * likely meant), and a task that takes more of a limit than it allows (at `tasks[i].weight` for
 * a list of names, at the limit's key for a mapping of units, naming the task, the limit and what
 * it allows: it could never start). `declared` is the file's `limits:` as written; a limit
 * declared but malformed counts as declared (its own problem is reported), and is weighed by its
 * well-formed parts. A task's own `limits` and `weight` stand in for the defaults', as in the
 * run; when the units too many are the defaults' (the task does not set the field), the problem is
 * said once at `defaults.weight` or `defaults.limits.<name>`, with the tasks it keeps from
 * starting, in the words of the run's check.
 */
export function limitProblems(tasks: readonly unknown[], declared: unknown, defaults?: unknown): Located[] {
  const names = isMapping(declared) ? Object.keys(declared) : [];
  const known = new Set(names);
  // listed as declared: an empty name is a problem of its own, no name to use
  const named = names.filter((name) => name.trim() !== '');
  const weighable = weighableLimits(declared);
  const problems: Located[] = [];
  const unknownName = (name: string, path: Located['path'], who: string) => {
    // `limits:` written, but not as a mapping: its own problem says so, and names in it are not "undeclared"
    if (declared !== undefined && declared !== null && !isMapping(declared)) return;
    const list =
      named.length === 0 ? 'the file declares none (add a top-level `limits:` mapping)' : `declared: ${named.map(quoted).join(', ')}`;
    problems.push({
      path,
      message: `${who} limit ${quoted(name)}, which is not declared in \`limits:\`${meantHint(name, named)}; ${list}`,
    });
  };
  const defaultLimits = isMapping(defaults) ? namedLimits(defaults['limits']) : undefined;
  const defaultWeight = isMapping(defaults) ? defaults['weight'] : undefined;
  defaultLimits?.forEach(({ name, at }) => {
    if (!known.has(name)) unknownName(name, ['defaults', 'limits', at], 'the defaults need');
  });
  // the defaults' problems, by where they are and what they say: the tasks each keeps from starting
  const ofDefaults = new Map<string, { readonly problem: Located; readonly kept: KeptFromStarting }>();
  tasks.forEach((task, i) => {
    if (!isMapping(task)) return;
    const own = namedLimits(task['limits']);
    const limits = own ?? defaultLimits;
    if (limits === undefined) return;
    const id = typeof task['id'] === 'string' ? quoted(task['id']) : `tasks[${i}]`;
    const weight = task['weight'] ?? defaultWeight ?? 1;
    for (const { name, at, units } of limits) {
      if (!known.has(name)) {
        if (own !== undefined) unknownName(name, ['tasks', i, 'limits', at], `task ${id} needs`);
        continue;
      }
      const limit = weighable.get(name);
      const taken = units ?? weight;
      // a weight or units with a problem of their own (not a count, past the most) have it said alone
      if (limit === undefined || !isCount(taken, units === undefined ? MAX_WEIGHT : MAX_LIMIT_UNITS)) continue;
      // the units are the weight for a list of names, the mapping's own for a mapping
      const field = units === undefined ? 'weight' : 'limits';
      const ofTheDefaults = field === 'weight' ? task['weight'] === undefined && defaultWeight !== undefined : own === undefined;
      const tooMuch = tooMuchOf(ofTheDefaults ? THE_DEFAULTS : `task ${id}`, taken, name, limit, units !== undefined);
      if (tooMuch === undefined) continue;
      if (!ofTheDefaults) {
        problems.push({
          path: ['tasks', i, ...(units === undefined ? ['weight'] : ['limits', name])],
          message: `${tooMuch}: it could never start`,
        });
        continue;
      }
      const path = field === 'weight' ? ['defaults', 'weight'] : ['defaults', 'limits', name];
      const key = `${JSON.stringify(path)}\n${tooMuch}`;
      let found = ofDefaults.get(key);
      if (found === undefined) ofDefaults.set(key, (found = { problem: { path, message: tooMuch }, kept: new KeptFromStarting(field) }));
      found.kept.add(id);
    }
  });
  for (const { problem, kept } of ofDefaults.values()) problems.push({ ...problem, message: problem.message + kept.ending() });
  return problems;
}

/** A limit a task or the defaults name: where (index in a list, key in a mapping), and its own units in a mapping. */
interface NamedLimit {
  readonly name: string;
  readonly at: number | string;
  readonly units?: unknown;
}

/**
 * The limits a `limits` value names, each once (a repeated or non-text name is defineDag's to
 * report); `undefined` when it is neither a list nor a mapping.
 */
function namedLimits(limits: unknown): NamedLimit[] | undefined {
  if (Array.isArray(limits)) {
    return limits.flatMap((name: unknown, k) => (typeof name === 'string' && limits.indexOf(name) === k ? [{ name, at: k }] : []));
  }
  if (!isMapping(limits)) return undefined;
  return Object.keys(limits).map((name) => ({ name, at: name, units: Object.getOwnPropertyDescriptor(limits, name)!.value as unknown }));
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
