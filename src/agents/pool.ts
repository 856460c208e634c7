import type { SchedulerLike, Unsubscribable } from 'rxjs';
import { onWallClock } from '../virtualTime';
import type { Agent, AgentResult, TaskContext } from './agent';
import type { AgentDefinition, AgentSpec } from './agentSpec';
import { PooledInstance } from './pooledInstance';

/**
 * The agent pool: one {@link AgentKind} per agent definition, shared by every run of a
 * scheduler, holding its slots (`capacity`) and its instances (`create`, least-loaded first,
 * disposed after `idleMs`). It does not choose which task runs next (the dispatcher does) nor
 * call agents on its own; how one instance is made and disposed is `pooledInstance.ts`.
 *
 * Words: an agent's *name* is what a task says; its *code* is the small integer a DAG gives that
 * name; its *kind* is the pool's object for the definition the name maps to. A *slot* is one
 * unit of capacity.
 */

/** A claim on one slot of a kind (and one instance); give it back with `release`. */
export interface Lease {
  /** The instance the attempt runs on (an agent with `create`), made when the attempt calls the agent. */
  readonly instance: PooledInstance | undefined;
  /** Frees the slot. Returns true when the kind was full before: a waiting task can start now. */
  release(): boolean;
}

/** The slots and instances of one agent definition: an agent kind. */
export class AgentKind {
  readonly capacity: number;
  /** Attempts holding a slot. */
  running = 0;
  private readonly instances: PooledInstance[] = [];
  /** Instances given up while their `create` was pending, until it settles and they are disposed. */
  private readonly givenUp = new Set<PooledInstance>();
  /** Instances a {@link disposeAll} took out whose disposal it still waits for. */
  private readonly disposing = new Set<PooledInstance>();
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
   * Takes `units` slots (a task's weight); with `create`, on the least-loaded instance, adding
   * one while under `maxInstances` (its `create` runs when the attempt calls the agent, so it
   * never throws here). Release each lease exactly once.
   */
  acquire(units = 1): Lease {
    this.running += units;
    if (this.spec?.create === undefined) return units === 1 ? this.slotLease : { instance: undefined, release: () => this.freeSlot(units) };
    const pooled = this.pickInstance();
    pooled.load++;
    pooled.idleTimer?.unsubscribe();
    pooled.idleTimer = undefined;
    return {
      instance: pooled,
      release: () => {
        const wasFull = this.freeSlot(units);
        if (--pooled.load > 0) return wasFull;
        // every attempt that waited for its `create` timed out or was cancelled: it may never
        // settle (a hung connect), so the next attempt makes a new instance
        if (pooled.creating) this.retire(pooled);
        else this.scheduleIdle(pooled);
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

  /**
   * Calls the agent for one attempt, on the lease's instance (making it first). Throws what a
   * synchronous `create` throws; the attempt then fails like one whose `run` threw.
   */
  call(task: TaskContext, instance: PooledInstance | undefined): AgentResult {
    if (this.spec === undefined) return this.plain!(task);
    return instance !== undefined ? instance.call(task) : this.spec.run(task, undefined);
  }

  /**
   * Disposes every instance at once (scheduler shutdown, or the end of a private scheduler's run);
   * resolves when every `dispose` settled, and every `create` still pending then its `dispose`
   * (with `pendingCreates: 'skip'`, without waiting for those: each is disposed once made).
   */
  disposeAll(pendingCreates: 'wait' | 'skip' = 'wait'): Promise<void> {
    const taken = this.instances.splice(0);
    if (pendingCreates === 'wait') taken.push(...this.givenUp);
    // a forced disposal after a graceful one: the graceful one no longer waits for pending
    // creates either, and this one waits for the disposals that one started
    if (pendingCreates === 'skip') for (const pooled of this.disposing) pooled.stopWaitingForCreate();
    const disposals = [...new Set([...taken, ...this.disposing])].map((pooled) => {
      this.disposing.add(pooled);
      const disposed = pooled.dispose(pendingCreates);
      void disposed.then(() => this.disposing.delete(pooled));
      return disposed;
    });
    return settledAll(disposals);
  }

  private pickInstance(): PooledInstance {
    let best: PooledInstance | undefined;
    for (const pooled of this.instances) if (best === undefined || pooled.load < best.load) best = pooled;
    if (best === undefined || (best.load > 0 && this.instances.length < this.maxInstances)) {
      best = new PooledInstance(this.spec!, this.removeInstance);
      this.instances.push(best);
    }
    return best;
  }

  /** Takes an instance out of the pool (its `create` failed, or it was idle): no new attempt gets it. */
  private readonly removeInstance = (pooled: PooledInstance): boolean => {
    const index = this.instances.indexOf(pooled);
    if (index >= 0) this.instances.splice(index, 1);
    return index >= 0;
  };

  /** Takes an instance out of the pool and disposes it (once made, when its `create` is pending). */
  private retire(pooled: PooledInstance): void {
    if (!this.removeInstance(pooled)) return;
    const disposed = pooled.dispose();
    // kept until disposed, so that a shutdown meanwhile waits for its `dispose` (a pending `create`'s, only when it waits for creates)
    const kept = pooled.creating ? this.givenUp : this.disposing;
    kept.add(pooled);
    void disposed.then(() => kept.delete(pooled));
  }

  private scheduleIdle(pooled: PooledInstance): void {
    if (this.idleMs <= 0 || !this.instances.includes(pooled)) return;
    pooled.idleTimer = idleTimer(this.scheduler, this.idleMs, () => {
      pooled.idleTimer = undefined;
      if (pooled.load === 0) this.retire(pooled);
    });
  }
}

/**
 * Every agent definition's kind, made on first use and shared by all runs of a scheduler. The
 * kinds of the scheduler's own agents (`kept`) stay as long as the scheduler; the kind of an
 * agent a run brings (`submit(dag, { agents })`) stays while a run uses it: when the last run
 * that uses it ends, its instances are disposed and the pool forgets it (and what its closures
 * hold). Runs say so with {@link AgentPool.use} and {@link AgentPool.release}.
 */
export class AgentPool {
  private readonly kinds = new Map<AgentDefinition, AgentKind>();
  /** How many runs going on use each kind of an agent a run brought. */
  private readonly users = new Map<AgentDefinition, number>();
  /** Kinds of agents runs brought, forgotten when their last run ended, until they are disposed. */
  private readonly released = new Set<AgentKind>();

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly kept: ReadonlySet<AgentDefinition> = new Set(),
  ) {}

  /** The kind of `definition`, counted as used by one more run until that run releases it. */
  use(definition: AgentDefinition): AgentKind {
    if (!this.kept.has(definition)) this.users.set(definition, (this.users.get(definition) ?? 0) + 1);
    return this.kindOf(definition);
  }

  /** A run that used `definition` ended: a run's own agent no run uses any more is disposed and forgotten. */
  release(definition: AgentDefinition): void {
    const users = this.users.get(definition);
    if (users === undefined) return; // the scheduler's own
    if (users > 1) {
      this.users.set(definition, users - 1);
      return;
    }
    this.users.delete(definition);
    const kind = this.kinds.get(definition);
    this.kinds.delete(definition);
    if (kind === undefined) return;
    // still disposing when the scheduler shuts down: its disposal waits for this one too
    this.released.add(kind);
    void kind.disposeAll().then(() => this.released.delete(kind));
  }

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

  /** Disposes every instance of every kind; resolves when each is disposed (see {@link AgentKind.disposeAll}). */
  disposeAll(pendingCreates: 'wait' | 'skip' = 'wait'): Promise<void> {
    return settledAll([...this.kinds.values(), ...this.released].map((kind) => kind.disposeAll(pendingCreates)));
  }
}

/** One promise for many that never reject; no array of results kept. */
function settledAll(promises: readonly Promise<void>[]): Promise<void> {
  return promises.length === 0 ? Promise.resolve() : Promise.all(promises).then(() => undefined);
}

/**
 * The timer that frees an idle instance: on the wall clock (`asyncScheduler`, `asapScheduler`,
 * an application's own on it) it keeps no process alive, since an idle instance is no reason to
 * stay (a scheduler left without `shutdown()` would keep Node running `idleMs`); in virtual time
 * (a `TestScheduler`, any scheduler inside its `run()`), that scheduler's.
 */
function idleTimer(scheduler: SchedulerLike, ms: number, fire: () => void): Unsubscribable {
  if (!onWallClock(scheduler)) return scheduler.schedule(fire, ms);
  const timer = setTimeout(fire, ms);
  timer.unref();
  return { unsubscribe: () => clearTimeout(timer) };
}
