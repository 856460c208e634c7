/**
 * The options of `runDag`, `createScheduler` and `submit`: their types, their defaults, and one
 * check of them all that throws a `TypeError` naming each bad option with the value given (and
 * the option most likely meant, for a misspelt one). Times that become timers are held to the
 * longest timer Node keeps. Does not check the DAG or its agent names: `defineDag` and the
 * unknown-agent check do.
 */
import type { SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { asCount, hasConcurrencyOrRate, limitNameProblem, limitsRecord, unlessFieldMisspelt } from '../dag/declaredLimits';
import { fieldsAt, valueAt } from '../dag/issues';
import { MAX_ID_LENGTH, MAX_TIMER_MS, TIMER_LIMIT_MESSAGE, withoutControlCharacters } from '../dag/schema';
import { describeValue, unknownFieldMessage } from '../dag/text';
import { type AgentDefinition, agentSpecSchema } from '../agents/agentSpec';
import { FAILURE_POLICIES, type FailurePolicy } from '../events';
import type { Journal } from '../journal/journal';
import { jsonSafetyProblem, toJsonSafe } from '../jsonSafe';
import type { LimitSpec } from './limits';

/** How the pipeline notices changes: at once (`event`) or at every poll (`polling`). */
export type SchedulingMode = 'event' | 'polling';

/** Options of one run; on `createScheduler` they are the defaults of every run. */
export interface RunOptions {
  /** Agents by name; a run's agents are added to (and override) the scheduler's. @default {} */
  readonly agents?: Readonly<Record<string, AgentDefinition>> | undefined;
  /** Time limit of an attempt for tasks without their own `timeoutMs`. @default undefined (none) */
  readonly taskTimeoutMs?: number | undefined;
  /** Give each agent its dependencies' outputs as `upstream`. @default true */
  readonly contextInjection?: boolean | undefined;
  /**
   * What a task that failed for good does to the rest of the run:
   * `skip-dependents` skips what depends on it while independent branches go on;
   * `fail-fast` cancels the run; `continue` runs its dependents anyway (without its output).
   * @default 'skip-dependents'
   */
  readonly failurePolicy?: FailurePolicy | undefined;
  /** The run's id in its events. @default `${dag.id}-` followed by the time, a counter and a random suffix (unique across processes and restarts) */
  readonly runId?: string | undefined;
  /**
   * JSON data kept with a journaled run (`header.options.metadata`) and never read by the
   * scheduler: what a tool wants to know about the run later (the CLI notes which estimates it
   * took from earlier runs). Given to a resume, it is kept in its `run.resumed` (the header keeps
   * the run's first). @default undefined (none)
   */
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
}

/** Options of `runDag` and `createScheduler`. */
export interface SchedulerOptions extends RunOptions {
  /** Most attempts running at once, over all runs of the scheduler. @default 8 */
  readonly maxConcurrency?: number | undefined;
  /** @default 'event' */
  readonly mode?: SchedulingMode | undefined;
  /** Poll period in `polling` mode. @default 50 */
  readonly pollIntervalMs?: number | undefined;
  /** Period of `health.checked`; 0 turns health checks off. @default 5000 */
  readonly healthCheckIntervalMs?: number | undefined;
  /** A running attempt older than this is reported once as `task.stuck` by the health check. @default 60000 */
  readonly stuckAfterMs?: number | undefined;
  /** Clock and timers of the whole scheduler; a `TestScheduler` makes it run in virtual time. @default asyncScheduler */
  readonly scheduler?: SchedulerLike | undefined;
  /**
   * Makes every run durable: its events are journaled before anything they release starts, and
   * a run whose process died can be resumed (`resumeRun`). @default undefined (runs live in memory)
   */
  readonly journal?: Journal | undefined;
  /**
   * Named limits shared by every run of the scheduler: `{ api: { concurrency: 2, rate: { limit: 60,
   * intervalMs: 60_000 } } }`. A task lists the ones it needs (`limits: ['api']`) and starts only
   * when each has room for its `weight`. A name is one a task can list (an id: not empty, no
   * control characters); a count is at most `Number.MAX_SAFE_INTEGER`. @default {}
   */
  readonly limits?: Readonly<Record<string, LimitSpec>> | undefined;
}

/** Scheduler options with every default filled in. */
export interface ResolvedSchedulerOptions {
  readonly agents: Readonly<Record<string, AgentDefinition>>;
  readonly taskTimeoutMs: number | undefined;
  readonly contextInjection: boolean;
  readonly failurePolicy: FailurePolicy;
  readonly runId: string | undefined;
  /** A frozen JSON-safe copy of the option. */
  readonly metadata: Readonly<Record<string, unknown>> | undefined;
  readonly maxConcurrency: number;
  readonly mode: SchedulingMode;
  readonly pollIntervalMs: number;
  readonly healthCheckIntervalMs: number;
  readonly stuckAfterMs: number;
  readonly scheduler: SchedulerLike;
  readonly journal: Journal | undefined;
  readonly limits: Readonly<Record<string, LimitSpec>>;
}

/** Units of work a scheduler runs at once when `maxConcurrency` is not given. */
export const DEFAULT_MAX_CONCURRENCY = 8;

/** Run options with every default filled in from the scheduler's. */
export type ResolvedRunOptions = Pick<
  ResolvedSchedulerOptions,
  'agents' | 'taskTimeoutMs' | 'contextInjection' | 'failurePolicy' | 'runId' | 'metadata'
>;

/** A time that becomes a timer: finite, `> 0` (or `>= 0` when 0 means something), at most {@link MAX_TIMER_MS}. */
function timerMs(min: 'positive' | 'nonnegative', what: string) {
  const number = z.number({ error: what }).finite({ error: what });
  return (min === 'positive' ? number.positive({ error: what }) : number.nonnegative({ error: what })).max(MAX_TIMER_MS, {
    error: TIMER_LIMIT_MESSAGE,
  });
}

const positiveInteger = z
  .number({ error: 'must be a positive integer' })
  .int({ error: 'must be a positive integer' })
  .positive({ error: 'must be a positive integer' });

// an object is checked field by field (see `fittingOptionIssues`): a bad `capacity` is named as such
const agentSchema = z.union([z.custom<AgentDefinition>((value) => typeof value === 'function'), agentSpecSchema], {
  error: 'must be a function (task) => result or an agent object { run, capacity?, create?, dispose?, maxInstances?, idleMs? }',
});

/**
 * Agents by name, each checked by its own key: not `z.record`, whose plain-object test fails an
 * object with an agent called `constructor` and whose copy drops one called `__proto__`.
 */
const agentsSchema = z
  .custom<Readonly<Record<string, AgentDefinition>>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
    error: 'must be an object mapping agent names to agents',
  })
  .superRefine((agents, context) => {
    for (const name of Object.keys(agents)) {
      // read as the run reads it, a getter's value too (an own `__proto__` is its own value)
      const checked = agentSchema.safeParse((agents as Readonly<Record<string, unknown>>)[name]);
      if (!checked.success) for (const issue of checked.error.issues) context.addIssue({ ...issue, path: [name, ...issue.path] });
    }
  });

/** The agents as `fieldsAt` walks them, to suggest the field a misspelt one meant. */
const agentsFields = z.record(z.string(), agentSchema).optional();

const runOptionsShape = {
  agents: agentsSchema.optional(),
  taskTimeoutMs: timerMs('positive', 'must be a positive number of milliseconds').optional(),
  contextInjection: z.boolean({ error: 'must be true or false' }).optional(),
  failurePolicy: z.enum(FAILURE_POLICIES, { error: "must be 'skip-dependents', 'fail-fast' or 'continue'" }).optional(),
  runId: withoutControlCharacters(
    z
      .string({ error: 'must be a non-empty string' })
      .min(1, { error: 'must be a non-empty string' })
      .max(MAX_ID_LENGTH, { error: `must be at most ${MAX_ID_LENGTH} characters` }),
  ).optional(),
  metadata: z
    .record(z.string(), z.unknown(), { error: 'must be an object of JSON data' })
    .superRefine((value, context) => {
      const problem = jsonSafetyProblem(value);
      if (problem !== undefined) context.addIssue({ code: 'custom', message: `must be JSON data: ${problem}` });
    })
    .optional(),
};

const NOT_AN_OBJECT = { error: 'must be an object of options' };

const runOptionsSchema = z.strictObject(runOptionsShape, NOT_AN_OBJECT);

/**
 * The mark of an issue whose message names the value at fault itself (a limit's name, not the
 * object of limits at its path): no "(got …)" is added to it.
 */
const NAMES_WHAT_IT_GOT = { namesWhatItGot: true } as const;

/** A limit's `concurrency` or `rate.limit`. */
const limitCount = asCount(z.number({ error: 'must be a positive integer' }));

const schedulerOptionsSchema = z.strictObject(
  {
    ...runOptionsShape,
    maxConcurrency: positiveInteger.optional(),
    mode: z.enum(['event', 'polling'], { error: "must be 'event' or 'polling'" }).optional(),
    pollIntervalMs: timerMs('positive', 'must be a positive number of milliseconds').optional(),
    healthCheckIntervalMs: timerMs('nonnegative', 'must be a number of milliseconds >= 0 (0 turns health checks off)').optional(),
    stuckAfterMs: timerMs('positive', 'must be a positive number of milliseconds').optional(),
    scheduler: z
      .custom<SchedulerLike>(
        (value) =>
          typeof value === 'object' &&
          value !== null &&
          typeof (value as SchedulerLike).now === 'function' &&
          typeof (value as SchedulerLike).schedule === 'function',
        { error: 'must be an RxJS SchedulerLike (with now() and schedule())' },
      )
      .optional(),
    limits: limitsRecord(
      z.string(),
      z
        .strictObject(
          {
            concurrency: limitCount.optional(),
            rate: z
              .strictObject(
                { limit: limitCount, intervalMs: timerMs('positive', 'must be a positive number of milliseconds') },
                { error: 'must be an object { limit, intervalMs }' },
              )
              .optional(),
          },
          { error: 'must be an object { concurrency?, rate?: { limit, intervalMs } }' },
        )
        .refine(hasConcurrencyOrRate, { error: 'needs `concurrency`, `rate` or both', when: unlessFieldMisspelt }),
      { error: 'must be an object mapping limit names to limits' },
    )
      .superRefine(
        (limits, context) => {
          for (const name of Object.keys(limits)) {
            const problem = limitNameProblem(name);
            if (problem !== undefined) context.addIssue({ code: 'custom', message: `has an ${problem}`, params: NAMES_WHAT_IT_GOT });
          }
        },
        // said with the limits' own problems, not after them (an object of limits whatever they hold)
        { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
      )
      .optional(),
    journal: z
      .custom<Journal>(
        (value) =>
          typeof value === 'object' &&
          value !== null &&
          typeof (value as Journal).create === 'function' &&
          typeof (value as Journal).resume === 'function',
        { error: 'must be a Journal (fileJournal(dir), or postgresJournal from rxdag/postgres)' },
      )
      .optional(),
  },
  NOT_AN_OBJECT,
);

/** Options a scheduler takes and one run does not (`submit`, `resume`): each run shares them. */
const SCHEDULER_ONLY: ReadonlySet<string> = new Set(
  Object.keys(schedulerOptionsSchema.shape).filter((key) => !Object.hasOwn(runOptionsShape, key)),
);

/** Turns zod issues into one TypeError that names each bad option and what was given. */
function optionsError(error: z.ZodError, input: unknown, schema: z.ZodType, ofOneRun = false): TypeError {
  const lines = error.issues.flatMap(fittingOptionIssues).flatMap((issue) => {
    const name = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const known = fieldsAt(schema, issue.path);
      return issue.keys.map((key) => {
        if (ofOneRun && name === '' && SCHEDULER_ONLY.has(key)) {
          return `\`${key}\` is an option of the scheduler, shared by its runs: give it to createScheduler, not to one run`;
        }
        const message = unknownFieldMessage(key, known, name === '' ? 'option' : 'field').replace(/"([^"]*)"/g, '`$1`');
        return name === '' ? message : `\`${name}\` has an ${message}`;
      });
    }
    const got =
      issue.code === 'custom' && issue.params?.['namesWhatItGot'] === true ? '' : ` (got ${describeValue(valueAt(input, issue.path))})`;
    return [`${name === '' ? 'options' : `\`${name}\``} ${issue.message}${got}`];
  });
  return new TypeError(`rxdag: invalid options: ${lines.join('; ')}`);
}

/**
 * A failed union's issue, or the issues of the one option of the union that the value's type
 * fits, at their full paths: an agent object with a bad field fits the object option (all its
 * problems are inside the object), not the function one, so the field is named. When no option
 * or several fit, the union's own message says what was expected.
 */
function fittingOptionIssues(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union') return [issue];
  const fitting = issue.errors.filter((issues) => issues.every((inner) => inner.path.length > 0 || inner.code === 'unrecognized_keys'));
  if (fitting.length !== 1) return [issue];
  return fitting[0]!.flatMap((inner) => fittingOptionIssues({ ...inner, path: [...issue.path, ...inner.path] }));
}

/** Scheduler options checked, with every default but the clock's (the caller's: this module loads no RxJS). */
export type ParsedSchedulerOptions = Omit<ResolvedSchedulerOptions, 'scheduler'> & { readonly scheduler: SchedulerLike | undefined };

/** Validates scheduler options and fills in defaults but the clock; throws a `TypeError` naming each bad option. */
export function parseSchedulerOptions(options: SchedulerOptions | undefined): ParsedSchedulerOptions {
  const parsed = schedulerOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) throw optionsError(parsed.error, options, schedulerOptionsSchema.extend({ agents: agentsFields }));
  const o = parsed.data;
  return {
    agents: o.agents ?? {},
    taskTimeoutMs: o.taskTimeoutMs,
    contextInjection: o.contextInjection ?? true,
    failurePolicy: o.failurePolicy ?? 'skip-dependents',
    runId: o.runId,
    metadata: jsonCopy(options?.metadata),
    maxConcurrency: o.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY,
    mode: o.mode ?? 'event',
    pollIntervalMs: o.pollIntervalMs ?? 50,
    healthCheckIntervalMs: o.healthCheckIntervalMs ?? 5000,
    stuckAfterMs: o.stuckAfterMs ?? 60_000,
    scheduler: o.scheduler,
    journal: o.journal,
    // the caller's own entries, not zod's copy: a limit called `__proto__` would be lost in it
    limits: ownLimits(options?.limits, o.limits),
  };
}

/** Validates the options of one run against the scheduler's defaults. */
export function resolveRunOptions(options: RunOptions | undefined, defaults: ResolvedSchedulerOptions): ResolvedRunOptions {
  const parsed = runOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) throw optionsError(parsed.error, options, runOptionsSchema.extend({ agents: agentsFields }), true);
  const o = parsed.data;
  return {
    agents: o.agents === undefined ? defaults.agents : { ...defaults.agents, ...o.agents },
    taskTimeoutMs: o.taskTimeoutMs ?? defaults.taskTimeoutMs,
    contextInjection: o.contextInjection ?? defaults.contextInjection,
    failurePolicy: o.failurePolicy ?? defaults.failurePolicy,
    runId: o.runId ?? defaults.runId,
    metadata: options?.metadata === undefined ? defaults.metadata : jsonCopy(options.metadata),
  };
}

const shutdownOptionsSchema = z.strictObject(
  {
    force: z.boolean({ error: 'must be true or false' }).optional(),
    interrupt: z.boolean({ error: 'must be true or false' }).optional(),
  },
  NOT_AN_OBJECT,
);

/** The options of `shutdown()`, checked; throws a `TypeError` naming each bad one. */
export function parseShutdownOptions(options: unknown): { readonly force: boolean; readonly interrupt: boolean } {
  const parsed = shutdownOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) throw optionsError(parsed.error, options, shutdownOptionsSchema);
  return { force: parsed.data.force ?? false, interrupt: parsed.data.interrupt ?? false };
}

/** A frozen copy of checked JSON data (so a caller changing its object later changes nothing). */
function jsonCopy(value: Readonly<Record<string, unknown>> | undefined): Readonly<Record<string, unknown>> | undefined {
  if (value === undefined) return undefined;
  const copy = toJsonSafe(value);
  return copy.ok ? (copy.value as Readonly<Record<string, unknown>>) : undefined;
}

/** The declared limits as a map object that keeps any name, `__proto__` included. */
function ownLimits(given: SchedulerOptions['limits'], parsed: unknown): Readonly<Record<string, LimitSpec>> {
  const limits: Record<string, LimitSpec> = Object.create(null) as Record<string, LimitSpec>;
  if (given === undefined || parsed === undefined) return limits;
  for (const name of Object.keys(given)) {
    // the value the check read (a getter is not read again), but for `__proto__`, which zod's record leaves out
    const spec =
      name !== '__proto__' && Object.hasOwn(parsed as object, name)
        ? (parsed as Readonly<Record<string, LimitSpec>>)[name]
        : (Object.getOwnPropertyDescriptor(given, name)?.value as LimitSpec | undefined);
    if (spec !== undefined) Object.defineProperty(limits, name, { value: spec, enumerable: true });
  }
  return limits;
}
