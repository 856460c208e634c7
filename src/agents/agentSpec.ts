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
 *   create: () => new LlmClient(),
 *   dispose: (client) => client.close(),
 *   run: ({ input, signal }, client) => client.complete(input, { signal }),
 * });
 */
export interface AgentSpec<Instance = undefined, Input = unknown, Upstream extends UpstreamOutputs = UpstreamOutputs> {
  /** Runs one attempt; `instance` comes from `create` (undefined without it). */
  run(task: TaskContext<Input, Upstream>, instance: Instance): AgentResult;
  /** Most attempts of this kind running at once. @default Infinity (only `maxConcurrency` limits it) */
  readonly capacity?: number;
  /** Makes a stateful instance; attempts go to the least-loaded one. */
  create?(): Instance;
  /** Frees an instance that was idle for `idleMs`, or when the scheduler shuts down. */
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
