/**
 * Whether a worker came up, for its `ready()`: it resolves once every queue's connection is up
 * and cancels are heard, and rejects with a `RedisConnectionError` when Redis refuses what no
 * retry fixes (credentials, a database number) or when the worker is closed before it was up
 * (with the last reason Redis could not be reached, if any). The first of these stands, whether
 * or not anyone asked before. It neither connects nor retries: the worker's connections do, and
 * tell it what failed.
 */
import { RedisConnectionError, type RedisTarget } from './redisConnection';

export class WorkerReadiness {
  private readonly refused: Promise<never>;
  private refuseWith: (error: RedisConnectionError) => void = () => undefined;
  private up = false;
  private closedFirst = false;
  private lastReason: string | undefined;
  private whenUp: Promise<void> = Promise.resolve();

  constructor(
    private readonly target: RedisTarget,
    private readonly queues: readonly string[],
  ) {
    this.refused = new Promise<never>((_resolve, reject) => (this.refuseWith = reject));
    this.refused.catch(() => undefined); // also when nobody waits on `ready()`
  }

  /**
   * Watches `comingUp` (the connections' own waits) from the worker's start. BullMQ's waits also
   * end when a connection is closed: once the worker closes, that is no sign it was up.
   */
  watch(comingUp: Promise<unknown>): void {
    comingUp.then(
      () => (this.up ||= !this.closedFirst),
      () => undefined,
    );
    this.whenUp = Promise.race([comingUp, this.refused]).then(
      () => (this.up ? undefined : this.refused),
      (error: unknown) => (this.closedFirst ? this.refused : Promise.reject(error)),
    );
    this.whenUp.catch(() => undefined);
  }

  /** What `ready()` answers: the same promise for every call. */
  ready(): Promise<void> {
    return this.whenUp;
  }

  /** Redis refused what no retry fixes: `ready()` rejects rather than wait for a connection that cannot come. */
  refuse(error: RedisConnectionError): void {
    this.refuseWith(error);
  }

  /** A connection failed for `reason` (it goes on trying): said if the worker is closed before it is up. */
  failed(reason: string): void {
    this.lastReason = reason;
  }

  /** The worker is closing: a `ready()` not resolved by now rejects. */
  closed(): void {
    if (this.up) return;
    this.closedFirst = true;
    const last = this.lastReason === undefined ? 'Redis did not answer before then' : `last: ${this.lastReason}`;
    const queues = this.queues.map((queue) => `"${queue}"`).join(', ');
    this.refuseWith(
      new RedisConnectionError(this.target.location, `serve queue ${queues}`, `the worker was closed before it was up (${last})`),
    );
  }
}
