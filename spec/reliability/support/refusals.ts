import fc from 'fast-check';
import {
  createScheduler,
  type DagEvent,
  DagValidationError,
  defineAgent,
  type AgentDefinition,
  runDag,
  type TaskSpec,
  TRIGGER_RULES,
} from '../../../src';
import { kindName, limitModels, limitsOption, type LimitModel } from './model';
import { totals } from './observation';
import { kindsArb, type KindGen, limitsArb, type LimitsGen, triggerRuleArb } from './scenario';
import { testScheduler } from '../../support/virtualTime';

/**
 * DAGs a scheduler must refuse: tasks heavier than `maxConcurrency`, their agent's capacity or
 * one of the limits they name in a list, tasks taking more units of a limit (given as a mapping
 * of names to units) than it allows, tasks naming limits nobody declared (names that tempt bugs
 * among them), and bad values of `weight`, `limits` (units too) and `when`. The test's model lists every problem it
 * expects; `runDag` and `submit` must throw at once a `DagValidationError` naming each one (path
 * and code, the task and the limit in the message) and call no agent. A DAG with no problem must
 * be accepted and run.
 */

/** A weight as written: mostly valid (1–6, often too heavy), sometimes not a valid weight at all. */
type WeightGen = number | 'zero' | 'negative' | 'fraction' | 'huge';
/** Units of a limit as a mapping writes them: mostly valid (1–6, often too many), sometimes not a count at all. */
type UnitsGen = number | 'zero' | 'fraction';
/** `when` as written: a rule, or a value that is not one. */
type WhenGen = (typeof TRIGGER_RULES)[number] | 'bad' | undefined;

interface RefusedTaskGen {
  readonly kind: number;
  readonly weight: WeightGen;
  /** Picks among the declared limits (three in four) and the undeclared names. */
  readonly limitPicks: readonly number[];
  /** The units of each picked limit, in turn, when the task gives its limits as a mapping (no name can repeat there). */
  readonly limitUnits: readonly UnitsGen[] | undefined;
  readonly repeatLimit: boolean;
  readonly when: WhenGen;
  readonly depPick: number | undefined;
}

export interface RefusalScenario {
  readonly api: 'runDag' | 'submit';
  readonly maxConcurrency: number;
  readonly kinds: readonly KindGen[];
  readonly limits: LimitsGen;
  readonly tasks: readonly RefusedTaskGen[];
}

/** Names no scheduler here declares: plain ones and the keys every object has. */
const UNDECLARED = ['nope', 'L7', 'constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf'];

export const refusalScenarioArb: fc.Arbitrary<RefusalScenario> = fc.record({
  api: fc.constantFrom<'runDag' | 'submit'>('runDag', 'submit'),
  maxConcurrency: fc.integer({ min: 1, max: 4 }),
  kinds: kindsArb,
  limits: limitsArb,
  tasks: fc.array(
    fc.record({
      kind: fc.nat(),
      weight: fc.oneof(
        { weight: 60, arbitrary: fc.constant(1) },
        { weight: 30, arbitrary: fc.integer({ min: 2, max: 6 }) },
        { weight: 1, arbitrary: fc.constantFrom<WeightGen>('zero', 'negative', 'fraction', 'huge') },
      ),
      limitPicks: fc.array(fc.nat(), { maxLength: 2 }),
      limitUnits: fc.option(
        fc.array(
          fc.oneof(
            { weight: 30, arbitrary: fc.constant(1) },
            { weight: 30, arbitrary: fc.integer({ min: 2, max: 6 }) },
            { weight: 1, arbitrary: fc.constantFrom<UnitsGen>('zero', 'fraction') },
          ),
          { minLength: 1, maxLength: 2 },
        ),
        { nil: undefined, freq: 2 },
      ),
      repeatLimit: fc.oneof({ weight: 80, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      when: fc.oneof(
        { weight: 40, arbitrary: fc.constant(undefined) },
        { weight: 40, arbitrary: triggerRuleArb },
        { weight: 1, arbitrary: fc.constant<WhenGen>('bad') },
      ),
      depPick: fc.option(fc.nat(), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 5 },
  ),
});

/** One problem the model expects: where, what kind, and words its message must hold. */
interface Expected {
  readonly path: string;
  readonly code: string;
  readonly words: readonly string[];
}

const WEIGHTS: Record<Exclude<WeightGen, number>, number> = { zero: 0, negative: -2, fraction: 1.5, huge: 2_000_000 };
const UNITS: Record<Exclude<UnitsGen, number>, number> = { zero: 0, fraction: 2.5 };

/**
 * The spec, and the problems the model expects: each task's bad values, and what the run lacks
 * for each task whose values are good (one error says both).
 */
export function refusalCase(scenario: RefusalScenario): {
  readonly tasks: TaskSpec[];
  readonly limits: ReadonlyMap<string, LimitModel>;
  readonly expected: Expected[];
} {
  const limits = limitModels(scenario.limits);
  const declared = [...limits.keys()];
  const schema: Expected[] = [];
  const run: Expected[] = [];
  const tasks = scenario.tasks.map((gen, i): TaskSpec => {
    const id = `t${i}`;
    // what the run lacks for this task: said only when its values are valid (a task with a bad
    // value is checked with its id, deps and agent alone); a rule that cannot hold is no bad value
    const runOfTask: Expected[] = [];
    const kind = kindName(scenario.kinds, gen.kind);
    const weight = typeof gen.weight === 'number' ? gen.weight : WEIGHTS[gen.weight];
    const names = [
      ...new Set(
        gen.limitPicks.map((p) =>
          p % 4 !== 3 && declared.length > 0 ? declared[(p >> 2) % declared.length]! : UNDECLARED[(p >> 2) % UNDECLARED.length]!,
        ),
      ),
    ];
    const here = (...rest: (string | number)[]) => ['tasks', i, ...rest].join('.');
    // a mapping: each name with its units, said at the name's key; a list: each name its weight, said at its place
    const unitsGen = gen.limitUnits;
    const mapping = unitsGen === undefined ? undefined : names.map((name, k) => [name, unitsGen[k % unitsGen.length]!] as const);
    if (mapping === undefined && gen.repeatLimit && names.length > 0) names.push(names[0]!);
    if (typeof gen.weight !== 'number') schema.push({ path: here('weight'), code: 'invalid-value', words: [] });
    // said at the repeat, naming the limit
    if (mapping === undefined && gen.repeatLimit && names.length > 0)
      schema.push({ path: here('limits', names.length - 1), code: 'invalid-value', words: [JSON.stringify(names[0]), 'twice'] });
    for (const [name, units] of mapping ?? [])
      if (typeof units !== 'number') schema.push({ path: here('limits', name), code: 'invalid-value', words: [] });
    const unitsOf = new Map(mapping?.map(([name, units]) => [name, typeof units === 'number' ? units : UNITS[units]]));
    if (gen.when === 'bad') schema.push({ path: here('when'), code: 'invalid-value', words: [] });
    const badValues = schema.length;
    const hasDeps = gen.depPick !== undefined && i > 0;
    if (gen.when === 'any-failed' && !hasDeps)
      schema.push({ path: here('when'), code: 'invalid-value', words: [`"${id}"`, 'no dependencies'] });
    names.forEach((name, k) => {
      const limit = limits.get(name);
      const at = mapping === undefined ? here('limits', k) : here('limits', name);
      if (limit === undefined) runOfTask.push({ path: at, code: 'unknown-limit', words: [`"${id}"`, `"${name}"`] });
      else if ((unitsOf.get(name) ?? weight) > Math.min(limit.concurrency ?? Infinity, limit.rate?.limit ?? Infinity))
        runOfTask.push({
          path: mapping === undefined ? here('weight') : at,
          code: 'too-heavy',
          words: [`"${id}"`, `"${name}"`, ...(mapping === undefined ? [] : [`${unitsOf.get(name)} units`]), 'could never start'],
        });
    });
    if (weight > scenario.maxConcurrency)
      runOfTask.push({ path: here('weight'), code: 'too-heavy', words: [`"${id}"`, 'maxConcurrency', 'could never start'] });
    const capacity = scenario.kinds[gen.kind % scenario.kinds.length]!.capacity;
    if (capacity !== undefined && weight > capacity)
      runOfTask.push({ path: here('weight'), code: 'too-heavy', words: [`"${id}"`, `"${kind}"`, 'could never start'] });
    if (!schema.slice(0, badValues).some((e) => e.path.startsWith(`${here()}.`))) run.push(...runOfTask);
    return {
      id,
      agent: kind,
      ...(hasDeps ? { deps: [`t${gen.depPick! % i}`] } : {}),
      weight,
      // entries, not assignments: a limit may be called `__proto__`
      ...(mapping !== undefined ? { limits: Object.fromEntries(unitsOf) } : names.length === 0 ? {} : { limits: names }),
      ...(gen.when === undefined ? {} : { when: gen.when === 'bad' ? ('some-failed' as never) : gen.when }),
    };
  });
  return { tasks, limits, expected: [...schema, ...run] };
}

/** The problems with a refusal case, as sentences (none: it holds). */
export function refusalViolations(scenario: RefusalScenario): string[] {
  const { tasks, limits, expected } = refusalCase(scenario);
  const v: string[] = [];
  const calls: string[] = [];
  const agents: Record<string, AgentDefinition> = {};
  scenario.kinds.forEach((kind, k) => {
    const run = (ctx: { id: string }) => {
      calls.push(ctx.id);
      return ctx.id;
    };
    agents[`k${k}`] = kind.capacity === undefined ? run : defineAgent({ capacity: kind.capacity, run });
  });
  const spec = { id: 'refused', tasks };
  const ts = testScheduler();
  const options = {
    scheduler: ts,
    agents,
    maxConcurrency: scenario.maxConcurrency,
    healthCheckIntervalMs: 0,
    ...(limits.size === 0 ? {} : { limits: limitsOption(limits) }),
  };
  const events: DagEvent[] = [];
  let refusal: unknown;
  let runError: unknown;
  ts.run(() => {
    try {
      const run$ = scenario.api === 'runDag' ? runDag(spec, options) : createScheduler(options).submit(spec, { runId: 'refused' });
      run$.subscribe({ next: (e) => events.push(e), error: (e: unknown) => (runError = e) });
    } catch (error) {
      refusal = error;
    }
  });
  const show = (list: readonly { path: string; code: string }[]) => list.map((e) => `${e.path} ${e.code}`).join(', ') || 'none';
  if (expected.length === 0) totals.accepted++;
  else totals.refused++;
  if (expected.length === 0) {
    if (refusal !== undefined) v.push(`a valid DAG was refused: ${(refusal as Error).message}`);
    else if (runError !== undefined) v.push(`a valid DAG's run errored: ${String((runError as Error)?.message ?? runError)}`);
    else if (events.at(-1)?.type !== 'dag.completed' || (events.at(-1) as { outcome: string }).outcome !== 'succeeded')
      v.push(`a valid DAG did not run to success: last event ${events.at(-1)?.type}`);
    return v;
  }
  if (calls.length > 0) v.push(`agents were called for a refused DAG: ${calls.join(', ')}`);
  if (!(refusal instanceof DagValidationError)) {
    v.push(
      `expected ${show(expected)}; ${refusal === undefined ? `nothing was thrown${runError === undefined ? '' : ` (the run errored: ${String((runError as Error)?.message ?? runError)})`}` : `got ${String(refusal)}`}`,
    );
    return v;
  }
  // one issue per expected problem (a task too heavy for two ceilings has two at its weight)
  const got = refusal.issues.map((issue) => ({ path: issue.path.join('.'), code: issue.code, message: issue.message }));
  const key = (e: { path: string; code: string }) => `${e.path} ${e.code}`;
  const unmatched = [...got];
  for (const e of expected) {
    const same = unmatched.filter((g) => key(g) === key(e));
    const match = same.find((g) => e.words.every((word) => g.message.includes(word)));
    if (match !== undefined) unmatched.splice(unmatched.indexOf(match), 1);
    else if (same.length === 0) {
      const times = expected.filter((x) => key(x) === key(e)).length;
      v.push(`the error misses ${key(e)}${times > 1 ? ` (expected ${times} times)` : ''}; it names ${show(got)}`);
    } else v.push(`no message at ${key(e)} says ${e.words.join(' and ')}: ${same.map((g) => g.message).join(' | ')}`);
  }
  if (unmatched.length > 0) v.push(`the error names ${show(unmatched)}, which the model does not expect (expected ${show(expected)})`);
  for (const issue of got) if (!refusal.message.includes(issue.message)) v.push(`the error's message leaves out "${issue.message}"`);
  return v;
}
