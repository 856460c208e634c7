/**
 * How a user declares an agent with limits (`defineAgent`, `AgentSpec`), what an agents map
 * holds (`AgentDefinition`), and the one check of an agent object's fields (`agentSpecSchema`),
 * which `defineAgent` and the `agents` option share. Declares and checks; the pool that enforces
 * the limits is `pool.ts`.
 */
import { z } from 'zod';
import { formatIssuePath } from '../dag/errors';
import { zodIssues } from '../dag/issues';
import { MAX_TIMER_MS, TIMER_LIMIT_MESSAGE } from '../dag/schema';
import type { Agent, AgentResult, TaskContext, UpstreamOutputs } from './agent';

/**
 * An agent with limits, run by the agent pool: at most `capacity` attempts of this kind at once
 * (over every run of a scheduler), optionally on stateful instances made by `create`, handed
 * out least-loaded first and disposed after `idleMs` without work.
 *
 * @example
 * const llm = defineAgent({
 *   capacity: 4,
 *   create: async () => LlmClient.connect(),
 *   dispose: (client) => client.close(),
 *   run: ({ input, signal }, client) => client.complete(input, { signal }),
 * });
 */
export type AgentSpec<Instance = undefined, Input = unknown, Upstream extends UpstreamOutputs = UpstreamOutputs> = AgentFields<
  Instance,
  Input,
  Upstream
> &
  // an instance that may not be undefined needs `create`: without it, `run` gets undefined
  (undefined extends Instance ? { create?: Creator<Instance> | undefined } : { create: Creator<Instance> });

/**
 * Makes a stateful instance; attempts go to the least-loaded one. Called when the first attempt
 * on a new instance starts. It may return a promise (any thenable): the attempt waits for it,
 * within its time limit, and attempts given the same instance meanwhile wait for the same
 * promise. A throw or a rejection fails those attempts like a failing `run` (retried by the
 * task's policy, severity honoured), and the next attempt makes a new instance. So does a
 * promise still pending when every attempt waiting for it has timed out or been cancelled (a
 * hung connect): the instance leaves the pool, disposed if it is ever made.
 */
type Creator<Instance> = () => Instance | PromiseLike<Instance>;

/** The fields of an {@link AgentSpec} but `create`. */
interface AgentFields<Instance, Input, Upstream extends UpstreamOutputs> {
  /** Runs one attempt; `instance` comes from `create` (resolved, if `create` returned a promise; undefined without it). */
  run(task: TaskContext<Input, Upstream>, instance: Instance): AgentResult;
  /** Most attempts of this kind running at once. @default Infinity (only `maxConcurrency` limits it) */
  readonly capacity?: number | undefined;
  /**
   * Frees an instance that was idle for `idleMs`, or when the scheduler shuts down (or a `runDag`
   * run ends). What it throws, or the rejection of the promise it returns, is ignored: the
   * instance leaves the pool either way; catch and log inside `dispose` to see it.
   */
  dispose?: Disposer<Instance> | undefined;
  /** Most instances alive at once; at most `capacity` (each instance has an attempt to run). @default capacity when it is finite, else 1 */
  readonly maxInstances?: number | undefined;
  /** An instance without work for this long is disposed; 0 keeps instances until shutdown. @default 30000 */
  readonly idleMs?: number | undefined;
}

/**
 * `dispose` as a method's type, though a field's (to take `undefined`): method parameters are
 * bivariant, so an `AgentSpec<Client>` still fits an agents map of `AgentSpec<unknown>`.
 */
type Disposer<Instance> = { dispose(instance: Instance): void }['dispose'];

/**
 * What an agents map holds: a plain agent function or an agent with limits, of any input and
 * upstream types (`Agent<{ url: string }>` fits as well as `Agent`).
 */
export type AgentDefinition = Agent | AgentSpec<unknown>;

const POSITIVE_INTEGER = 'must be a positive integer';
const IDLE_MS = 'must be a number of milliseconds >= 0 (0 keeps instances until shutdown)';

const positiveInteger = z.number({ error: POSITIVE_INTEGER }).int({ error: POSITIVE_INTEGER }).positive({ error: POSITIVE_INTEGER });

const optionalFunction = z
  .custom<(...args: never[]) => unknown>((value) => typeof value === 'function', { error: 'must be a function' })
  .optional();

/**
 * The fields of an agent object, each with what it expects, and no others: what `defineAgent`
 * checks, and the `agents` option for every agent given as an object.
 * @internal
 */
export const agentSpecSchema = z
  .strictObject(
    {
      run: z.custom<(...args: never[]) => unknown>((value) => typeof value === 'function', {
        error: 'must be a function (task, instance) => result',
      }),
      // one check, not a union of an integer and Infinity: a union would word 0 and 1.5 differently
      capacity: z
        .custom<number>((value) => value === Number.POSITIVE_INFINITY || (Number.isSafeInteger(value) && (value as number) > 0), {
          error: 'must be a positive integer or Infinity',
        })
        .optional(),
      create: optionalFunction,
      dispose: optionalFunction,
      maxInstances: positiveInteger.optional(),
      idleMs: z
        .number({ error: IDLE_MS })
        .finite({ error: IDLE_MS })
        .nonnegative({ error: IDLE_MS })
        .max(MAX_TIMER_MS, { error: TIMER_LIMIT_MESSAGE })
        .optional(),
    },
    { error: 'must be an agent object { run, capacity?, create?, dispose?, maxInstances?, idleMs? }' },
  )
  .superRefine(({ capacity, maxInstances }, context) => {
    // never more instances than attempts at once: a larger maxInstances reads as a capacity it does not give
    if (capacity !== undefined && maxInstances !== undefined && maxInstances > capacity) {
      context.addIssue({
        code: 'custom',
        path: ['maxInstances'],
        input: maxInstances,
        message: `must be at most \`capacity\` (${capacity}): no more attempts run at once, so no more instances are made; raise \`capacity\` for more`,
      });
    }
  });

/**
 * Infers the instance type of an {@link AgentSpec}, and checks the spec: a `TypeError` names
 * each bad field with the value given and what it expects (`capacity` must be a positive integer
 * or Infinity (got 1.5)), every one at once. Returns the spec itself. Type the task where the
 * agent knows its input: `run: (task: TaskContext<{ url: string }>, client) => …`, or give the
 * types: `defineAgent<Client, { url: string }>({ … })`.
 */
export function defineAgent<Instance = undefined, Input = unknown, Upstream extends UpstreamOutputs = UpstreamOutputs>(
  spec: AgentSpec<Instance, Input, Upstream>,
): AgentSpec<Instance, Input, Upstream> {
  const checked = agentSpecSchema.safeParse(spec);
  if (!checked.success) throw agentSpecError(checked.error, spec);
  return spec;
}

/** One TypeError naming each problem of a spec given to `defineAgent`. */
function agentSpecError(error: z.ZodError, spec: unknown): TypeError {
  const problems = zodIssues(error, [], spec, agentSpecSchema).map(({ path, message, field }) => {
    // backquoted names, as in the options' messages
    if (field !== undefined) return message.replace(/"([^"]*)"/g, '`$1`');
    return `${path.length === 0 ? 'the spec' : `\`${formatIssuePath(path)}\``} ${message}`;
  });
  return new TypeError(`rxdag: invalid agent given to defineAgent: ${problems.join('; ')}`);
}
