/**
 * How a user declares an agent with limits (`defineAgent`, `AgentSpec`) and what an agents map
 * holds (`AgentDefinition`). Declarations only: the pool that enforces the limits is `pool.ts`.
 */
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
export interface AgentSpec<Instance = undefined, Input = unknown, Upstream extends UpstreamOutputs = UpstreamOutputs> {
  /** Runs one attempt; `instance` comes from `create` (resolved, if `create` returned a promise; undefined without it). */
  run(task: TaskContext<Input, Upstream>, instance: Instance): AgentResult;
  /** Most attempts of this kind running at once. @default Infinity (only `maxConcurrency` limits it) */
  readonly capacity?: number;
  /**
   * Makes a stateful instance; attempts go to the least-loaded one. Called when the first attempt
   * on a new instance starts. It may return a promise (any thenable): the attempt waits for it,
   * within its time limit, and attempts given the same instance meanwhile wait for the same
   * promise. A throw or a rejection fails those attempts like a failing `run` (retried by the
   * task's policy, severity honoured), and the next attempt makes a new instance.
   */
  create?(): Instance | PromiseLike<Instance>;
  /**
   * Frees an instance that was idle for `idleMs`, or when the scheduler shuts down (or a `runDag`
   * run ends). What it throws, or the rejection of the promise it returns, is ignored: the
   * instance leaves the pool either way; catch and log inside `dispose` to see it.
   */
  dispose?(instance: Instance): void;
  /** Most instances alive at once. @default capacity when it is finite, else 1 */
  readonly maxInstances?: number;
  /** An instance without work for this long is disposed; 0 keeps instances until shutdown. @default 30000 */
  readonly idleMs?: number;
}

/**
 * What an agents map holds: a plain agent function or an agent with limits, of any input and
 * upstream types (`Agent<{ url: string }>` fits as well as `Agent`).
 */
export type AgentDefinition = Agent | AgentSpec<never> | AgentSpec<undefined> | AgentSpec<unknown>;

/**
 * Identity helper that infers the instance type of an {@link AgentSpec}. Type the task where the
 * agent knows its input: `run: (task: TaskContext<{ url: string }>, client) => …`.
 */
export function defineAgent<Instance = undefined>(spec: AgentSpec<Instance>): AgentSpec<Instance> {
  return spec;
}
