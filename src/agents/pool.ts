import type { SchedulerLike, Subscription } from 'rxjs';
import type { Agent, AgentResult, TaskContext } from './agent';
import type { AgentDefinition, AgentSpec } from './agentSpec';

/**
 * The agent pool: one {@link AgentKind} per agent definition, shared by every run of a
 * scheduler, holding its slots (`capacity`) and its instances (`create`, least-loaded first,
 * disposed after `idleMs`). It does not choose which task runs next (the dispatcher does) nor
 * call agents on its own.
 *
 * Words: an agent's *name* is what a task says; its *code* is the small integer a DAG gives that
 * name; its *kind* is the pool's object for the definition the name maps to. A *slot* is one
 * unit of capacity.
 */

/** A claim on one slot of a kind (and one instance); give it back with `release`. */
export interface Lease {
  readonly instance: unknown;
  /** Frees the slot. Returns true when the kind was full before: a waiting task can start now. */
  release(): boolean;
}

interface PooledInstance {
  readonly instance: unknown;
  load: number;
  idleTimer: Subscription | undefined;
}

/** The slots and instances of one agent definition: an agent kind. */
export class AgentKind {
  readonly capacity: number;
  /** Attempts holding a slot. */
  running = 0;
  private readonly instances: PooledInstance[] = [];
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

  /** Whether `units` more slots are free (a task's weight). */
  hasRoomFor(units: number): boolean {
    return this.running + units <= this.capacity;
  }

  /** Instances alive now (for tests and monitoring). */
  get instanceCount(): number {
    return this.instances.length;
  }

  /**
   * Takes `units` slots (a task's weight); with `create`, on the least-loaded instance, making
   * one while under `maxInstances`. Release each lease exactly once.
   */
  acquire(units = 1): Lease {
    this.running += units;
    if (this.spec?.create === undefined) return units === 1 ? this.slotLease : { instance: undefined, release: () => this.freeSlot(units) };
    const pooled = this.pickInstance();
    pooled.load++;
    pooled.idleTimer?.unsubscribe();
    pooled.idleTimer = undefined;
    return {
      instance: pooled.instance,
      release: () => {
        const wasFull = this.freeSlot(units);
        if (--pooled.load === 0) this.scheduleIdle(pooled);
        return wasFull;
      },
    };
  }

  /** The lease of an agent without instances: nothing to remember, so one object serves every attempt. */
  private readonly slotLease: Lease = { instance: undefined, release: () => this.freeSlot() };

  private freeSlot(units = 1): boolean {
    const wasFull = this.running >= this.capacity;
    this.running -= units;
    return wasFull;
  }

  /** Calls the agent for one attempt. */
  call(task: TaskContext, instance: unknown): AgentResult {
    return this.spec !== undefined ? this.spec.run(task, instance) : this.plain!(task);
  }

  /** Disposes every instance at once (scheduler shutdown, or the end of a private scheduler's run). */
  disposeAll(): void {
    for (const pooled of this.instances.splice(0)) {
      pooled.idleTimer?.unsubscribe();
      this.spec?.dispose?.(pooled.instance);
    }
  }

  private pickInstance(): PooledInstance {
    let best: PooledInstance | undefined;
    for (const pooled of this.instances) if (best === undefined || pooled.load < best.load) best = pooled;
    if (best === undefined || (best.load > 0 && this.instances.length < this.maxInstances)) {
      best = { instance: this.spec!.create!(), load: 0, idleTimer: undefined };
      this.instances.push(best);
    }
    return best;
  }

  private scheduleIdle(pooled: PooledInstance): void {
    if (this.idleMs <= 0) return;
    pooled.idleTimer = this.scheduler.schedule(() => {
      pooled.idleTimer = undefined;
      const index = this.instances.indexOf(pooled);
      if (pooled.load > 0 || index < 0) return;
      this.instances.splice(index, 1);
      this.spec?.dispose?.(pooled.instance);
    }, this.idleMs);
  }
}

/** Every agent definition's kind, made on first use and shared by all runs of a scheduler. */
export class AgentPool {
  private readonly kinds = new Map<AgentDefinition, AgentKind>();

  constructor(private readonly scheduler: SchedulerLike) {}

  kindOf(definition: AgentDefinition): AgentKind {
    let kind = this.kinds.get(definition);
    if (kind === undefined) {
      kind =
        typeof definition === 'function'
          ? new AgentKind(undefined, definition, this.scheduler)
          : new AgentKind(definition as AgentSpec<unknown>, undefined, this.scheduler);
      this.kinds.set(definition, kind);
    }
    return kind;
  }

  disposeAll(): void {
    for (const kind of this.kinds.values()) kind.disposeAll();
  }
}
