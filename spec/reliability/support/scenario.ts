import fc from 'fast-check';
import type { FailurePolicy, RetrySpec, TriggerRule } from '../../../src';

/**
 * Generated scenarios: random DAGs, agents that misbehave in scripted ways, options and
 * cancellation points. Everything is plain data, so fast-check can print and shrink it, and the
 * harness can replay a counterexample from its seed alone.
 */

/** How an agent delivers its result. */
export type Delivery =
  | 'cold' // an Observable (a TestScheduler cold observable): progress, then the output, then complete
  | 'thenable' // a promise-like settled by a virtual-time timer, honouring the AbortSignal
  | 'sync' // `syncAgent`: the value as it is
  | 'value'; // a plain return value

/** How a failing agent fails. */
export type FailureDelivery = 'throw' | 'reject' | 'error';

/** What a failing agent throws. */
export type Thrown = 'error' | 'agentError' | 'string' | 'number' | 'undefined' | 'null' | 'object';

/** A value that cannot travel in a JSON event. */
export type UnsafeOutput = 'bigint' | 'circular' | 'date' | 'nan' | 'function' | 'undefinedInArray';

/** One attempt of one task, as the agent will play it. */
export type Behaviour =
  | { readonly kind: 'ok'; readonly delay: number; readonly via: Delivery }
  | { readonly kind: 'empty'; readonly delay: number }
  | {
      readonly kind: 'fail';
      readonly delay: number;
      readonly via: FailureDelivery;
      readonly thrown: Thrown;
      readonly hint: RetryHintGen | undefined;
    }
  | { readonly kind: 'warning'; readonly delay: number; readonly via: FailureDelivery; readonly hint: RetryHintGen | undefined }
  | { readonly kind: 'critical'; readonly delay: number; readonly via: FailureDelivery; readonly hint: RetryHintGen | undefined }
  | { readonly kind: 'hang'; readonly via: 'cold' | 'thenable' }
  | { readonly kind: 'unsafe'; readonly delay: number; readonly what: UnsafeOutput }
  | { readonly kind: 'spawn'; readonly delay: number; readonly children: readonly ChildGen[] }
  | { readonly kind: 'badSpawn'; readonly delay: number; readonly how: BadSpawn };

/**
 * The retry hints a failing agent's error carries as own properties (see `AgentError`): about a
 * quarter of the `error` failures are thrown as objects (an `Error`, an `AgentError`, a plain
 * object) that ask by them, on top of the failures without; half the warnings and critical
 * errors carry them to be ignored. `retryAfterMs` is mostly a wait of 0–30 ms, sometimes a value
 * that is no hint (negative, NaN, past the longest timer, a string); `pauseLimits` without a
 * wait is no hint either.
 */
export interface RetryHintGen {
  /** `retry: false`. */
  readonly noRetry: boolean;
  readonly retryAfterMs: number | string | undefined;
  readonly pauseLimits: boolean;
}

/**
 * How an invalid spawn is wrong: a duplicate id, a task heavier than the scheduler allows, a task
 * taking more units of a limit than it allows (by a mapping of names to units), or a limit the
 * scheduler does not declare (the spawn is refused and the spawning attempt fails).
 */
export type BadSpawn = 'duplicate' | 'tooHeavy' | 'tooManyUnits' | 'unknownLimit';

/** A behaviour with the dice roll that decides whether a fault is kept (see {@link ScenarioBase.faultRate}). */
export interface ScriptedBehaviour {
  readonly behaviour: Behaviour;
  readonly roll: number;
}

/** A task an agent spawns: depends on its spawner and on earlier siblings. */
export interface ChildGen extends SchedulingGen {
  readonly kind: number;
  readonly siblingPicks: readonly number[];
  readonly retry: RetrySpec | undefined;
  readonly timeoutMs: number | undefined;
  readonly script: readonly ScriptedBehaviour[];
}

/** What a task asks of the scheduler besides its agent: units, named limits, a trigger rule. */
export interface SchedulingGen extends LimitsPickGen {
  /** Raw weight (mostly 1); the model lowers it to what the run allows, so the DAG stays valid. */
  readonly weight: number;
  readonly when: TriggerRule | undefined;
}

/**
 * The named limits a task (or the DAG's `defaults`) gives: a list of names, each taking the
 * task's weight, or a mapping of names to units of their own. A task that picks none in a list
 * writes no `limits` (it takes the defaults'); one that picks none in a mapping writes `{}`.
 */
export interface LimitsPickGen {
  /** Raw picks among the scheduler's limits (none when it declares none). */
  readonly limitPicks: readonly number[];
  /** Raw units of each picked limit, in turn, for the mapping form (the model lowers each to what its limit allows); undefined for a list. */
  readonly limitUnits: readonly number[] | undefined;
}

export interface TaskGen extends SchedulingGen {
  /** Raw picks, turned into dependencies by the DAG's shape. */
  readonly depPicks: readonly number[];
  readonly kind: number;
  readonly retry: RetrySpec | undefined;
  readonly timeoutMs: number | undefined;
  readonly priority: number | undefined;
  readonly estimateMs: number | undefined;
  /** Behaviour of attempt 1, 2, …; later attempts repeat the last one. */
  readonly script: readonly ScriptedBehaviour[];
}

export type Shape = 'random' | 'chain' | 'wide' | 'layered' | 'tree' | 'fanOutIn' | 'lattice';

export interface DagGen {
  readonly shape: Shape;
  /** Layer width of the `layered` shape. */
  readonly width: number;
  /** Writes the tasks in reverse order in the spec (dependencies then come after their dependents). */
  readonly reverse: boolean;
  /** Names the first tasks with ids that tempt bugs (`__proto__`, `constructor`, unicode, …). */
  readonly exotic: boolean;
  readonly tasks: readonly TaskGen[];
  readonly defaults: {
    readonly retry: RetrySpec | undefined;
    readonly timeoutMs: number | undefined;
    /** The DAG's default limits, which tasks writing none (spawned ones included) take. */
    readonly limits: LimitsPickGen | undefined;
  };
}

/** An agent kind: a plain function, or `defineAgent` with a capacity and pooled instances. */
export interface KindGen {
  readonly capacity: number | undefined;
  readonly pooled: boolean;
  readonly idleMs: number;
}

/** Where a run is cancelled: at a virtual time, and/or (re-entrantly) after its subscriber saw n events. */
export interface CancelGen {
  readonly atTime: number | undefined;
  readonly afterEvents: number | undefined;
}

export interface SchedulerOptionsGen {
  readonly maxConcurrency: number;
  readonly mode: 'event' | 'polling';
  readonly pollIntervalMs: number;
  readonly healthCheckIntervalMs: number;
  readonly stuckAfterMs: number;
  readonly taskTimeoutMs: number | undefined;
  readonly contextInjection: boolean;
  readonly failurePolicy: FailurePolicy;
}

/** A named limit of the scheduler: concurrency, a rate window, or both (small numbers, so they bind). */
export interface LimitGen {
  readonly concurrency: number | undefined;
  readonly rate: { readonly limit: number; readonly intervalMs: number } | undefined;
}

/** The scheduler's named limits: 0–3, named `L0`, `L1`… or with names that tempt bugs. */
export interface LimitsGen {
  readonly exoticNames: boolean;
  readonly limits: readonly LimitGen[];
}

export interface ScenarioBase {
  readonly kinds: readonly KindGen[];
  readonly options: SchedulerOptionsGen;
  readonly limits: LimitsGen;
  /** Percentage of scripted faults kept; the others play `ok` instead. */
  readonly faultRate: number;
}

/** One run through `runDag` (a private scheduler) or through `createScheduler().submit`. */
export interface SingleScenario extends ScenarioBase {
  readonly api: 'runDag' | 'scheduler';
  readonly dag: DagGen;
  readonly cancel: CancelGen;
}

export interface RunGen {
  readonly dag: number;
  readonly submitAt: number;
  readonly failurePolicy: FailurePolicy | undefined;
  readonly cancel: CancelGen;
}

/** Several runs (some of the same DAG) submitted over time to one long-lived scheduler. */
export interface MultiScenario extends ScenarioBase {
  readonly dags: readonly DagGen[];
  readonly runs: readonly RunGen[];
  readonly shutdown: { readonly at: number; readonly force: boolean } | undefined;
}

const delay = fc.integer({ min: 0, max: 20 });
const failureDelivery = fc.constantFrom<FailureDelivery>('throw', 'reject', 'error');

export const retryArb: fc.Arbitrary<RetrySpec> = fc.record(
  {
    attempts: fc.integer({ min: 1, max: 4 }),
    backoffMs: fc.integer({ min: 0, max: 10 }),
    backoffFactor: fc.constantFrom(1, 1.5, 2, 3),
    maxBackoffMs: fc.integer({ min: 0, max: 30 }),
  },
  { requiredKeys: ['attempts'] },
);

/** `arb` or undefined; `presentPercent` of the values are present. */
const optional = <T>(arb: fc.Arbitrary<T>, presentPercent = 50): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: 100 - presentPercent, arbitrary: fc.constant(undefined) }, { weight: presentPercent, arbitrary: arb });

const retryHintArb: fc.Arbitrary<RetryHintGen> = fc.record({
  noRetry: fc.oneof({ weight: 2, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  retryAfterMs: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 30 }) },
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom<number | string>(-1, Number.NaN, 2 ** 31, '7') },
  ),
  pauseLimits: fc.boolean(),
});

/** Hints a warning or a critical error carries (and the scheduler ignores), on half of them. */
const ignoredHintArb = optional(retryHintArb, 50);

/**
 * How many failures ask something by their retry hints: `some` (about a quarter of the errors,
 * the mix every property runs) or `often` (most of them, for the properties about hints).
 */
export type HintShare = 'some' | 'often';

/** Weight of a failure with hints, against 8 for one without and 24 for a success. */
const HINTED_FAILURE_WEIGHT: Readonly<Record<HintShare, number>> = { some: 3, often: 24 };

/** Behaviours that spawn nothing (those of spawned tasks). */
function plainBehaviourArb(hints: HintShare): fc.Arbitrary<Behaviour> {
  return fc.oneof(
    {
      weight: 24,
      arbitrary: fc.record({
        kind: fc.constant('ok' as const),
        delay,
        via: fc.constantFrom<Delivery>('cold', 'thenable', 'sync', 'value'),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('empty' as const), delay }) },
    {
      weight: 8,
      arbitrary: fc.record({
        kind: fc.constant('fail' as const),
        delay,
        via: failureDelivery,
        thrown: fc.constantFrom<Thrown>('error', 'agentError', 'string', 'number', 'undefined', 'null', 'object'),
        hint: fc.constant(undefined),
      }),
    },
    {
      weight: HINTED_FAILURE_WEIGHT[hints],
      arbitrary: fc.record({
        kind: fc.constant('fail' as const),
        delay,
        via: failureDelivery,
        thrown: fc.constantFrom<Thrown>('error', 'agentError', 'object'),
        hint: retryHintArb,
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('warning' as const), delay, via: failureDelivery, hint: ignoredHintArb }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('critical' as const), delay, via: failureDelivery, hint: ignoredHintArb }) },
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant('hang' as const), via: fc.constantFrom<'cold' | 'thenable'>('cold', 'thenable') }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('unsafe' as const),
        delay,
        what: fc.constantFrom<UnsafeOutput>('bigint', 'circular', 'date', 'nan', 'function', 'undefinedInArray'),
      }),
    },
  );
}

const scripted = (behaviour: fc.Arbitrary<Behaviour>): fc.Arbitrary<ScriptedBehaviour> =>
  fc.record({ behaviour, roll: fc.integer({ min: 0, max: 99 }) });

/** Mostly 1, some 2–3 (lowered to what the run allows). */
export const weightArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 80, arbitrary: fc.constant(1) },
  { weight: 20, arbitrary: fc.integer({ min: 2, max: 3 }) },
);

export const triggerRuleArb: fc.Arbitrary<TriggerRule> = fc.constantFrom<TriggerRule>(
  'all-succeeded',
  'all-done',
  'any-failed',
  'none-failed',
);

/**
 * Units of a limit by a task's own count: 1 as often as more (2–4, so above, at or below its
 * weight), lowered to what the limit allows.
 */
const limitUnitsArb: fc.Arbitrary<readonly number[]> = fc.array(
  fc.oneof({ weight: 1, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 4 }) }),
  { minLength: 1, maxLength: 2 },
);

/** Weight, limits and trigger rule of a task; `rulePercent` of the tasks have a `when`; a third of the limits are a mapping. */
function schedulingArb(rulePercent: number) {
  return {
    weight: weightArb,
    limitPicks: fc.oneof(
      { weight: 1, arbitrary: fc.constant([]) },
      { weight: 1, arbitrary: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }) },
    ),
    limitUnits: optional(limitUnitsArb, 35),
    when: optional(triggerRuleArb, rulePercent),
  };
}

/** The limits of a DAG's `defaults`, on a fifth of the DAGs: one or two, as a list or (half) a mapping. */
const defaultLimitsArb: fc.Arbitrary<LimitsPickGen | undefined> = optional(
  fc.record({ limitPicks: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }), limitUnits: optional(limitUnitsArb) }),
  20,
);

const childArb = (hints: HintShare): fc.Arbitrary<ChildGen> =>
  fc.record({
    kind: fc.nat(),
    siblingPicks: fc.array(fc.nat(), { maxLength: 2 }),
    retry: optional(retryArb),
    timeoutMs: optional(fc.integer({ min: 1, max: 30 })),
    script: fc.array(scripted(plainBehaviourArb(hints)), { minLength: 1, maxLength: 2 }),
    ...schedulingArb(25),
  });

function behaviourArb(spawning: boolean, hints: HintShare): fc.Arbitrary<Behaviour> {
  if (!spawning) return plainBehaviourArb(hints);
  return fc.oneof(
    { weight: 40, arbitrary: plainBehaviourArb(hints) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('spawn' as const),
        delay,
        children: fc.array(childArb(hints), { minLength: 1, maxLength: 3 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('badSpawn' as const),
        delay,
        how: fc.constantFrom<BadSpawn>('duplicate', 'tooHeavy', 'tooManyUnits', 'unknownLimit'),
      }),
    },
  );
}

function taskArb(spawning: boolean, hints: HintShare): fc.Arbitrary<TaskGen> {
  return fc.record({
    depPicks: fc.array(fc.nat(), { maxLength: 3 }),
    kind: fc.nat(),
    retry: optional(retryArb),
    timeoutMs: optional(fc.integer({ min: 1, max: 40 }), 15),
    priority: optional(fc.integer({ min: -2, max: 2 }), 25),
    estimateMs: optional(fc.integer({ min: 0, max: 50 }), 25),
    script: fc.array(scripted(behaviourArb(spawning, hints)), { minLength: 1, maxLength: 4 }),
    ...schedulingArb(35),
  });
}

export function dagArb(maxTasks: number, spawning = true, hints: HintShare = 'some'): fc.Arbitrary<DagGen> {
  return fc.record({
    shape: fc.constantFrom<Shape>('random', 'chain', 'wide', 'layered', 'tree', 'fanOutIn', 'lattice'),
    width: fc.integer({ min: 1, max: 12 }),
    reverse: fc.boolean(),
    exotic: fc.boolean(),
    tasks: fc.array(taskArb(spawning, hints), { minLength: 1, maxLength: maxTasks, size: 'max' }),
    defaults: fc.record({
      retry: optional(retryArb, 25),
      timeoutMs: optional(fc.integer({ min: 5, max: 40 }), 10),
      limits: defaultLimitsArb,
    }),
  });
}

export const kindsArb: fc.Arbitrary<readonly KindGen[]> = fc.array(
  fc.record({ capacity: optional(fc.integer({ min: 1, max: 4 })), pooled: fc.boolean(), idleMs: fc.integer({ min: 0, max: 20 }) }),
  { minLength: 1, maxLength: 3 },
);

const limitArb: fc.Arbitrary<LimitGen> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ concurrency: fc.integer({ min: 1, max: 3 }), rate: fc.constant(undefined) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      concurrency: fc.constant(undefined),
      rate: fc.record({ limit: fc.integer({ min: 1, max: 4 }), intervalMs: fc.integer({ min: 1, max: 20 }) }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      concurrency: fc.integer({ min: 1, max: 3 }),
      rate: fc.record({ limit: fc.integer({ min: 1, max: 4 }), intervalMs: fc.integer({ min: 1, max: 20 }) }),
    }),
  },
);

/** 0–3 named limits per scheduler (none in a quarter of the scenarios), a fifth of them with exotic names. */
export const limitsArb: fc.Arbitrary<LimitsGen> = fc.record({
  exoticNames: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  limits: fc.oneof({ weight: 1, arbitrary: fc.constant([]) }, { weight: 3, arbitrary: fc.array(limitArb, { minLength: 1, maxLength: 3 }) }),
});

export const failurePolicyArb = fc.constantFrom<FailurePolicy>('skip-dependents', 'fail-fast', 'continue');

export function optionsArb(mode: 'event' | 'polling' | 'any'): fc.Arbitrary<SchedulerOptionsGen> {
  return fc.record({
    maxConcurrency: fc.integer({ min: 1, max: 12 }),
    mode: mode === 'any' ? fc.constantFrom<'event' | 'polling'>('event', 'event', 'event', 'polling') : fc.constant(mode),
    pollIntervalMs: fc.integer({ min: 1, max: 4 }),
    healthCheckIntervalMs: fc.oneof(fc.constant(0), fc.integer({ min: 3, max: 15 })),
    stuckAfterMs: fc.integer({ min: 1, max: 40 }),
    taskTimeoutMs: optional(fc.integer({ min: 5, max: 40 }), 20),
    contextInjection: fc.boolean(),
    failurePolicy: failurePolicyArb,
  });
}

export const cancelArb: fc.Arbitrary<CancelGen> = fc.record({
  atTime: optional(fc.integer({ min: 0, max: 150 }), 25),
  afterEvents: optional(fc.integer({ min: 1, max: 400 }), 15),
});

const faultRateArb = fc.constantFrom(0, 0, 2, 10, 30, 80);

/** Scenarios whose failures `often` carry hints keep most of their faults too. */
const faultRateOf = (hints: HintShare | undefined) => (hints === 'often' ? fc.constantFrom(30, 80) : faultRateArb);

export function singleScenarioArb(config: {
  readonly maxTasks: number;
  readonly mode: 'event' | 'polling' | 'any';
  readonly spawning: boolean;
  readonly hints?: HintShare;
}): fc.Arbitrary<SingleScenario> {
  return fc.record({
    api: fc.constantFrom<'runDag' | 'scheduler'>('runDag', 'scheduler'),
    dag: dagArb(config.maxTasks, config.spawning, config.hints),
    kinds: kindsArb,
    options: optionsArb(config.mode),
    limits: limitsArb,
    cancel: cancelArb,
    faultRate: faultRateOf(config.hints),
  });
}

export function multiScenarioArb(config: { readonly maxTasks: number; readonly hints?: HintShare }): fc.Arbitrary<MultiScenario> {
  return fc.record({
    dags: fc.array(dagArb(config.maxTasks, true, config.hints), { minLength: 1, maxLength: 3 }),
    runs: fc.array(
      fc.record({
        dag: fc.nat(),
        submitAt: fc.integer({ min: 0, max: 40 }),
        failurePolicy: optional(failurePolicyArb, 30),
        cancel: cancelArb,
      }),
      { minLength: 2, maxLength: 5 },
    ),
    kinds: kindsArb,
    options: optionsArb('any'),
    limits: limitsArb,
    shutdown: optional(fc.record({ at: fc.integer({ min: 0, max: 200 }), force: fc.boolean() }), 30),
    faultRate: faultRateOf(config.hints),
  });
}
