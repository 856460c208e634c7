/**
 * The zod schemas of a DAG spec (the DAG, its tasks, their retry policy, the defaults) and the
 * limits they hold values to: id length and characters, attempts, and times no longer than the
 * longest timer Node keeps. Shapes and single values only: what needs the whole DAG (duplicate
 * ids, dependencies, cycles) is checked by `validateTasks`, `buildDepsGraph` and `topologicalOrder`.
 */
import { z } from 'zod';
import type { TaskLimits } from './taskLimits';
import { characterCount, controlCharacterIn, hasControlCharacters, quoted } from './text';
import { MAX_ATTEMPTS, MAX_ID_LENGTH, MAX_TIMER_MS, MAX_WEIGHT, TIMER_LIMIT_MESSAGE, TRIGGER_RULES, type TriggerRule } from './specLimits';

export { MAX_ATTEMPTS, MAX_ID_LENGTH, MAX_TIMER_MS, MAX_WEIGHT, TIMER_LIMIT_MESSAGE, TRIGGER_RULES, type TriggerRule };

/** `name` refused with a control character in it, which is named. */
export function withoutControlCharacters(name: z.ZodString) {
  // a line feed or an escape in a name would break every line that prints it, and the graph exports
  return name.refine((value) => !hasControlCharacters(value), {
    error: (issue) => `must not contain control characters: ${controlCharacterIn(issue.input as string)}`,
  });
}

/** An id, with `expected` said of anything but text. */
function idOf(expected: string) {
  return withoutControlCharacters(
    z
      .string({ error: expected })
      .min(1, { error: 'must not be empty' })
      .max(MAX_ID_LENGTH, { error: `must be at most ${MAX_ID_LENGTH} characters` }),
  );
}

const id = idOf('expected a string id');

/** Whether `id` is no longer than an id may be: {@link MAX_ID_LENGTH} characters, counted as the schema counts them (code points). */
export function idLengthFits(id: string): boolean {
  return id.length <= MAX_ID_LENGTH || characterCount(id) <= MAX_ID_LENGTH;
}

/** What an id of a task, a DAG or an agent must be. */
export const idSchema = id;

/**
 * A finite number, with `expected` said of anything else: zod's number type refuses Infinity
 * and NaN itself, so they are named here as not finite.
 */
function number(expected: string) {
  return z.number({ error: (issue) => (typeof issue.input === 'number' ? 'must be a finite number' : expected) });
}

const nonNegativeMs = number('expected a number of milliseconds')
  .nonnegative({ error: 'must be >= 0' })
  .max(MAX_TIMER_MS, { error: TIMER_LIMIT_MESSAGE });

const positiveMs = number('expected a number of milliseconds')
  .positive({ error: 'must be > 0' })
  .max(MAX_TIMER_MS, { error: TIMER_LIMIT_MESSAGE });

/**
 * An estimate is not a timer: any duration will do, up to one whose sums along a path stay
 * finite (the critical path's order compares them).
 */
const estimate = number('expected a number of milliseconds')
  .nonnegative({ error: 'must be >= 0' })
  .max(Number.MAX_SAFE_INTEGER, { error: `must be at most ${Number.MAX_SAFE_INTEGER} ms` });

const priority = number('expected a number');

// the most first, and alone: past 2^53 a number skips integers, and would also be said to be none
const weight = number('expected a positive integer weight')
  .max(MAX_WEIGHT, { error: `must be at most ${MAX_WEIGHT}`, abort: true })
  .int({ error: 'must be an integer' })
  .min(1, { error: 'must be at least 1' });

const limitNames = z
  .array(idOf('expected a string, the name of a limit'), { error: 'expected an array of limit names' })
  .superRefine((names, context) => {
    if (new Set(names).size === names.length) return;
    names.forEach((name, k) => {
      // each repeated name once, where it is named the second time
      if (names.indexOf(name, names.indexOf(name) + 1) !== k) return;
      const times = names.filter((other) => other === name).length;
      context.addIssue({ code: 'custom', path: [k], message: `names limit ${quoted(name)} ${times === 2 ? 'twice' : `${times} times`}` });
    });
  });

/** The most units a task may take of one limit by its own count: past it a number skips integers. */
export const MAX_LIMIT_UNITS = Number.MAX_SAFE_INTEGER;

const limitUnits = number('expected a positive integer number of units')
  .max(MAX_LIMIT_UNITS, { error: `must be at most ${MAX_LIMIT_UNITS}`, abort: true })
  .int({ error: 'must be an integer' })
  .min(1, { error: 'must be at least 1 (leave out a limit the task does not need)' });

/** The mapping form of a task's `limits`: each limit's name with the units the task takes of it. */
const limitUnitsMapping = z
  .custom<Readonly<Record<string, number>>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
    error:
      'expected a list of limit names (`[api]`) or a mapping of limit names to the units the task takes of each (`{ api: 1, tokens: 3000 }`)',
  })
  .superRefine((mapping, context) => {
    // own keys, read as given: a limit may be called `__proto__`
    for (const name of Object.keys(mapping)) {
      const parsed = id.safeParse(name);
      if (!parsed.success)
        context.addIssue({
          code: 'custom',
          path: [name],
          message: `invalid limit name ${quoted(name)}: ${parsed.error.issues[0]!.message}`,
        });
      const units = limitUnits.safeParse(Object.getOwnPropertyDescriptor(mapping, name)!.value);
      if (!units.success) context.addIssue({ code: 'custom', path: [name], message: units.error.issues[0]!.message });
    }
  });

/** A task's `limits`: a list of names (each takes the task's weight) or a mapping of names to units. */
const taskLimits = z.custom<TaskLimits>().superRefine((value, context) => {
  const parsed = (Array.isArray(value) ? limitNames : limitUnitsMapping).safeParse(value);
  if (!parsed.success) for (const issue of parsed.error.issues) context.addIssue({ ...issue });
});

const when = z.enum(TRIGGER_RULES, { error: `must be one of ${TRIGGER_RULES.map((rule) => `"${rule}"`).join(', ')}` });

/** A retry policy: `attempts` counts every attempt, the first included. */
export const retrySchema = z.strictObject(
  {
    /** Attempts in all, the first included (1: no retry), at most 1,000. */
    attempts: number('expected an integer number of attempts')
      // first, and alone: past 2^53 a number skips integers, and would also be said to be none
      .max(MAX_ATTEMPTS, { error: `must be at most ${MAX_ATTEMPTS}`, abort: true })
      .int({ error: 'must be an integer' })
      .min(1, { error: 'must be at least 1 (the first attempt counts)' }),
    /** The wait before the second attempt, in ms; before attempt n+1 it is `backoffMs × backoffFactor^(n-1)`. @default 0 */
    backoffMs: nonNegativeMs.optional(),
    /** How much each wait grows on the one before, at least 1. @default 2 */
    backoffFactor: number('expected a number').min(1, { error: 'must be >= 1' }).optional(),
    /** The longest wait, in ms. @default 2147483647 (the longest a timer waits) */
    maxBackoffMs: nonNegativeMs.optional(),
  },
  { error: 'expected a retry policy: an object with `attempts`' },
);

/** One task of a DAG spec, as a user writes it. */
export const taskSpecSchema = z.strictObject(
  {
    /** The task's id, unique in its DAG (at most 256 code points, no control characters). */
    id,
    deps: z.array(z.string({ error: 'expected a task id' }), { error: 'expected an array of task ids' }).optional(),
    /** The name of the agent that runs it, among the run's `agents`. @default the DAG's `defaults.agent` */
    agent: id.optional(),
    /** What its agent gets as `task.input` (JSON data when the run is journaled). */
    input: z.unknown().optional(),
    /** The time limit of each attempt, in ms: past it the attempt fails with a `TaskTimeoutError` (and may retry). @default none */
    timeoutMs: positiveMs.optional(),
    /** How it is tried again after a failure of severity `error`. @default one attempt, no retry */
    retry: retrySchema.optional(),
    /** Among ready tasks of its run, a higher one starts first (a task inherits the highest of what depends on it). @default 0 */
    priority: priority.optional(),
    /**
     * About how long it takes, in ms: ready tasks on the longest remaining path start first.
     * @default the mean of the given ones (1 when none is given); the CLI takes it from earlier runs
     */
    estimateMs: estimate.optional(),
    /** Units it takes of `maxConcurrency`, of its agent's capacity and of each of its `limits` (a list). @default 1 */
    weight: weight.optional(),
    limits: taskLimits.optional(),
    /**
     * When it runs, once its dependencies ended: `all-succeeded` (skipped when one failed or was
     * skipped), `all-done` (however they ended), `any-failed` (skipped when none failed),
     * `none-failed`. @default 'all-succeeded'
     */
    when: when.optional(),
  },
  { error: 'expected a task: an object with an `id` (and `agent`, `deps`, `input`…)' },
);

/** Defaults applied to every task that does not set the field itself. */
export const taskDefaultsSchema = z.strictObject(
  {
    agent: id.optional(),
    timeoutMs: positiveMs.optional(),
    retry: retrySchema.optional(),
    priority: priority.optional(),
    weight: weight.optional(),
    limits: taskLimits.optional(),
  },
  { error: 'expected an object of task defaults (`agent`, `timeoutMs`, `retry`, `priority`, `weight`, `limits`)' },
);

/**
 * A DAG spec's own fields: its id, an array of tasks (each checked on its own by `defineDag`,
 * which says every problem of every task at once, also on 100,000 of them) and its defaults.
 */
export const dagHeadSchema = z.strictObject(
  {
    // a file without one is the usual case: say what the id is for
    id: idOf('expected a string id naming the DAG, which its runs go by (`id: nightly`)'),
    tasks: z.array(z.unknown(), { error: 'expected an array of tasks' }),
    defaults: taskDefaultsSchema.optional(),
  },
  { error: 'expected a DAG spec: an object with `id` and `tasks`' },
);

/**
 * A whole DAG spec, each task's fields checked too: for tools that validate or extend specs.
 * What only the whole DAG shows (unknown dependencies, cycles, ids given twice) `defineDag` checks.
 */
export const dagSpecSchema = dagHeadSchema.extend({ tasks: z.array(taskSpecSchema, { error: 'expected an array of tasks' }) });

export type RetrySpec = z.input<typeof retrySchema>;
export type TaskSpec = Omit<z.input<typeof taskSpecSchema>, 'deps' | 'limits'> & {
  readonly deps?: readonly string[] | undefined;
  /**
   * The named limits it needs room in: a list of names, each taking its `weight` in units, or a
   * mapping of names to the units it takes of each (`{ openai: 1, 'openai-tokens': 3000 }`).
   */
  readonly limits?: TaskLimits | undefined;
};
export type TaskDefaults = Omit<z.input<typeof taskDefaultsSchema>, 'limits'> & {
  readonly limits?: TaskLimits | undefined;
};
/** The input of `defineDag`. */
export interface DagSpec {
  readonly id: string;
  readonly tasks: readonly TaskSpec[];
  readonly defaults?: TaskDefaults | undefined;
}
