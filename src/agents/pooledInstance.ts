import type { Unsubscribable } from 'rxjs';
import type { AgentResult, TaskContext } from './agent';
import type { AgentSpec } from './agentSpec';
import { isPromiseLike } from './resultKinds';
import { CallWhenReady } from './runAttempt';

/**
 * The life of one instance of an agent with `create`: made when its first attempt calls the
 * agent (inside the attempt, so a `create` that throws or rejects fails that attempt like a
 * throwing `run`), awaited when `create` returns a promise, and disposed at most once, with
 * whatever `dispose` throws or rejects ignored. It does not choose which instance an attempt
 * gets, nor decide when one is idle: the agent kind (`pool.ts`) does.
 */
export class PooledInstance {
  /** Attempts holding this instance. */
  load = 0;
  /** The pending disposal of an instance without work. */
  idleTimer: Unsubscribable | undefined;
  private phase: 'new' | 'creating' | 'ready' | 'failed' = 'new';
  /** Once out of the pool (idle, shutdown): an instance made later is disposed as soon as it is. */
  private retired = false;
  /** The instance once made; while an async `create` is pending, its promise; once failed, the error. */
  private value: unknown;
  /** Settles when the instance's disposal is over (at once while it was never made). */
  private disposal: Promise<void> = DONE;
  /** Ends the waits of disposals for a pending `create` (see {@link stopWaitingForCreate}). */
  private endCreateWait: (() => void) | undefined;
  private createWaitEnded: Promise<void> | undefined;

  constructor(
    private readonly spec: AgentSpec<unknown>,
    /** Takes the instance out of the pool when its `create` failed: the next attempt makes a new one. */
    private readonly onCreateFailed: (pooled: PooledInstance) => void,
  ) {}

  /** Whether its `create` returned a promise that has not settled yet. */
  get creating(): boolean {
    return this.phase === 'creating';
  }

  /** Calls `run` on the instance, making it first. Throws what a synchronous `create` throws. */
  call(task: TaskContext): AgentResult {
    if (this.phase === 'new') this.create();
    switch (this.phase) {
      case 'ready':
        return this.spec.run(task, this.value);
      case 'creating':
        return new CallWhenReady(this.value as Promise<unknown>, (instance) => this.spec.run(task, instance));
      default:
        throw this.value; // an attempt that shared this instance before its `create` failed
    }
  }

  /**
   * Takes the instance out of service: disposed now if made, once made if `create` is pending.
   * Resolves when that is over (its `dispose` settled, or a pending `create` failed), or at once
   * with `pendingCreate: 'skip'` while `create` is pending (or once {@link stopWaitingForCreate}
   * is called); never rejects.
   */
  dispose(pendingCreate: 'wait' | 'skip' = 'wait'): Promise<void> {
    this.idleTimer?.unsubscribe();
    this.idleTimer = undefined;
    if (!this.retired) {
      this.retired = true;
      if (this.phase === 'ready') this.disposal = this.disposeQuietly(this.value);
      else if (this.phase === 'creating') this.disposal = (this.value as Promise<unknown>).then(() => this.disposal, ignore);
    }
    if (this.phase !== 'creating') return this.disposal;
    if (pendingCreate === 'skip') return DONE;
    this.createWaitEnded ??= new Promise((resolve) => (this.endCreateWait = resolve));
    return Promise.race([this.disposal, this.createWaitEnded]);
  }

  /**
   * Disposals that wait for this instance's pending `create` resolve now (a forced shutdown after
   * a graceful one: neither waits for a `create` that may never settle); the instance is still
   * disposed once made.
   */
  stopWaitingForCreate(): void {
    this.endCreateWait?.();
  }

  private create(): void {
    let made: unknown;
    try {
      made = this.spec.create!();
      if (!isPromiseLike(made)) {
        this.phase = 'ready';
        this.value = made;
        return;
      }
    } catch (error) {
      this.fail(error);
      throw error;
    }
    this.phase = 'creating';
    const creating = Promise.resolve(made).then(
      (instance) => {
        this.phase = 'ready';
        this.value = instance;
        if (this.retired) this.disposal = this.disposeQuietly(instance);
        return instance;
      },
      (error: unknown) => {
        this.fail(error);
        throw error;
      },
    );
    creating.catch(ignore); // its attempts see the rejection; nothing else must report it
    this.value = creating;
  }

  private fail(error: unknown): void {
    this.phase = 'failed';
    this.value = error;
    this.onCreateFailed(this);
  }

  /**
   * `dispose`, with what it throws or rejects ignored: the instance is out of service either way,
   * and nothing could retry it (see `AgentSpec.dispose`).
   */
  private disposeQuietly(instance: unknown): Promise<void> {
    try {
      const disposed: unknown = this.spec.dispose?.(instance);
      if (isPromiseLike(disposed)) return Promise.resolve(disposed).then(ignore, ignore);
    } catch {
      // ignored, as documented on `AgentSpec.dispose`
    }
    return DONE;
  }
}

function ignore(): void {}

const DONE: Promise<void> = Promise.resolve();
