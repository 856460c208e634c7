import type { SchedulerLike, Subscription } from 'rxjs';
import type { Agent, AgentResult, TaskContext } from './agent';

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
export interface AgentSpec<Instance = undefined> {
  /** Runs one attempt; `instance` comes from `create` (undefined without it). */
  run(task: TaskContext, instance: Instance): AgentResult;
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

/** What an agents map holds: a plain agent function or an agent with limits. */
export type AgentDefinition = Agent | AgentSpec<never> | AgentSpec<undefined> | AgentSpec<unknown>;

/** Identity helper that infers the instance type of an {@link AgentSpec}. */
export function defineAgent<Instance = undefined>(spec: AgentSpec<Instance>): AgentSpec<Instance> {
  return spec;
}

/** A claim on one slot of a kind (and one instance); give it back with `release`. */
export interface Lease {
  readonly instance: unknown;
  /** Frees the slot. Returns true when the kind was full before: a waiting task can start now. */
  release(): boolean;
}

interface InstanceSlot {
  readonly instance: unknown;
  load: number;
  idleTimer: Subscription | undefined;
}

/** The slots and instances of one agent definition. */
export class PoolEntry {
  readonly capacity: number;
  /** Attempts holding a slot. */
  running = 0;
  private readonly instances: InstanceSlot[] = [];
  private readonly maxInstances: number;
  private readonly idleMs: number;

  constructor(
    private readonly spec: AgentSpec<unknown> | undefined,
    private readonly plain: Agent | undefined,
    private readonly scheduler: SchedulerLike,
  ) {
    this.capacity = spec?.capacity ?? Number.POSITIVE_INFINITY;
    this.maxInstances = spec?.maxInstances ?? (Number.isFinite(this.capacity) ? this.capacity : 1);
    this.idleMs = spec?.idleMs ?? 30_000;
  }

  get hasCapacity(): boolean {
    return this.running < this.capacity;
  }

  /** Instances alive now (for tests and monitoring). */
  get instanceCount(): number {
    return this.instances.length;
  }

  /**
   * Takes a slot; with `create`, on the least-loaded instance, making one while under
   * `maxInstances`. Release each lease exactly once.
   */
  acquire(): Lease {
    this.running++;
    if (this.spec?.create === undefined) return this.slotLease;
    const slot = this.pickInstance();
    slot.load++;
    slot.idleTimer?.unsubscribe();
    slot.idleTimer = undefined;
    return {
      instance: slot.instance,
      release: () => {
        const wasFull = this.freeSlot();
        if (--slot.load === 0) this.scheduleIdle(slot);
        return wasFull;
      },
    };
  }

  /** The lease of an agent without instances: nothing to remember, so one object serves every attempt. */
  private readonly slotLease: Lease = { instance: undefined, release: () => this.freeSlot() };

  private freeSlot(): boolean {
    const wasFull = this.running >= this.capacity;
    this.running--;
    return wasFull;
  }

  /** Calls the agent for one attempt. */
  call(task: TaskContext, instance: unknown): AgentResult {
    return this.spec !== undefined ? this.spec.run(task, instance) : this.plain!(task);
  }

  /** Disposes every instance at once (scheduler shutdown, or the end of a private scheduler's run). */
  disposeAll(): void {
    for (const slot of this.instances.splice(0)) {
      slot.idleTimer?.unsubscribe();
      this.spec?.dispose?.(slot.instance);
    }
  }

  private pickInstance(): InstanceSlot {
    let best: InstanceSlot | undefined;
    for (const slot of this.instances) if (best === undefined || slot.load < best.load) best = slot;
    if (best === undefined || (best.load > 0 && this.instances.length < this.maxInstances)) {
      best = { instance: this.spec!.create!(), load: 0, idleTimer: undefined };
      this.instances.push(best);
    }
    return best;
  }

  private scheduleIdle(slot: InstanceSlot): void {
    if (this.idleMs <= 0) return;
    slot.idleTimer = this.scheduler.schedule(() => {
      slot.idleTimer = undefined;
      const index = this.instances.indexOf(slot);
      if (slot.load > 0 || index < 0) return;
      this.instances.splice(index, 1);
      this.spec?.dispose?.(slot.instance);
    }, this.idleMs);
  }
}

/** Every agent definition's entry, made on first use and shared by all runs of a scheduler. */
export class AgentPool {
  private readonly entries = new Map<AgentDefinition, PoolEntry>();

  constructor(private readonly scheduler: SchedulerLike) {}

  entry(definition: AgentDefinition): PoolEntry {
    let entry = this.entries.get(definition);
    if (entry === undefined) {
      entry =
        typeof definition === 'function'
          ? new PoolEntry(undefined, definition, this.scheduler)
          : new PoolEntry(definition as AgentSpec<unknown>, undefined, this.scheduler);
      this.entries.set(definition, entry);
    }
    return entry;
  }

  disposeAll(): void {
    for (const entry of this.entries.values()) entry.disposeAll();
  }
}
