/**
 * The scheduler side's cancels of jobs whose attempt ended early (cancelled, timed out, or its
 * worker lost too often): each sends a cancel to the workers (`publishCancel`), then removes the
 * job if it still waits, or remembers it (a tombstone) so that it is removed when it finishes.
 * It keeps the cancels that did not reach Redis, so that whoever closes the queue can say the
 * workers were not told, and says when no cancelled job is still running, so that closing can
 * wait for those to finish (a job that ended on its worker before the cancel reached it is
 * removed only when its finish is heard). It does not decide what to cancel: `remoteQueue.ts` does.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { type CancelReason, cancelKey, cancelKeyTtlMs, deleteCancelKey, publishCancel, stopReasonOf } from './cancelSignals';
import type { CommandConnection } from './commandConnection';
import type { RedisConnectionError, RedisTarget } from './redisConnection';
import { FIRST_PAUSE_MS, LONGEST_PAUSE_MS, saysRedisAway } from './redisAway';

/** A cancel that did not reach Redis: no worker was told, so the attempt may run to its end. */
export interface CancelNotSent {
  readonly queue: string;
  readonly jobId: string;
  /** Why: Redis refused it, could not be reached, or did not answer before closing. */
  readonly error: RedisConnectionError;
}

/**
 * Whether the job of that id in Redis is the cancelling attempt's own (see `RemoteQueue`): the
 * `issuedAt` of the job to stop (its own add's when none is there yet), or false for another run's.
 */
export type OwnershipCheck = (queue: Queue) => Promise<number | false>;

/** What a cancel is sent through. */
export interface CancelRoute {
  readonly connection: CommandConnection;
  readonly queue: Queue;
}

/** Where a queue's cancels go. */
export interface JobCancelsConfig {
  readonly target: RedisTarget;
  readonly queue: string;
  readonly prefix: string;
  readonly leaseMs: number;
  /** How long its cancel key outlives a job left waiting (its scheduler died as it cancelled), at least: BullMQ's `retainMs`. */
  readonly retainMs: number;
}

/** A job to stop: its id, which add of it (`issuedAt`), and until when a worker may take it, when signed (`data.expiresAt`). */
export interface JobToStop {
  readonly jobId: string;
  readonly issuedAt: number;
  readonly data: { readonly expiresAt?: number | undefined };
}

/** One queue's cancels. */
export class JobCancels {
  // cancelled jobs still running somewhere: removed when they finish
  // (each with the add its cancel key names once sent, so that only that key is deleted at its end)
  private readonly tombstones = new Map<string, number | undefined>();
  // cancels on their way to Redis: not sent yet if closing gives up on them
  private readonly sending = new Set<string>();
  // of those, the ones to send behind their add if Redis does not answer (see `sendBehind`)
  private readonly behind = new Map<string, () => void>();
  // cancels Redis did not take
  private readonly failed: CancelNotSent[] = [];
  // called once no cancelled job is running
  private whenNoneRunning: Array<() => void> = [];
  // closing: a cancel Redis does not take is not tried again
  private stopped = false;

  constructor(
    private readonly config: JobCancelsConfig,
    /** Receives each cancel under way, so the owner can wait for it before closing. */
    private readonly track: (sending: Promise<unknown>) => void,
  ) {}

  /**
   * Stops a job: a waiting one is removed, a running one gets a cancel and is removed when it
   * ends. While Redis is away the cancel is tried again (see `redisAway.ts`) until it is sent or
   * the queue closes ({@link stop}): a job Redis had, or gets once back (an add that was under
   * way), must not run for an attempt that ended. The cancel stops the add of `job.jobId` issued
   * at `job.issuedAt`, or the one `owned` finds. `away`: Redis is not answering now (see
   * {@link sendBehind}).
   */
  send(route: () => Promise<CancelRoute>, job: JobToStop, reason: CancelReason, owned?: OwnershipCheck, maybe = false, away = false): void {
    const { jobId, issuedAt } = job;
    this.tombstones.set(jobId, undefined);
    this.sending.add(jobId);
    // an ownership Redis may leave unasked: sent behind the add once Redis seems away, or at the close
    if (owned !== undefined && !maybe) this.behind.set(jobId, () => this.sendBehind(route, job, reason));
    if (away) this.sendBehindNow(jobId);
    this.track(this.sendUntilTaken(route, jobId, reason, issuedAt, owned, maybe, job.data.expiresAt));
  }

  /** Sends the cancel of `jobId` behind its add (see {@link sendBehind}), if it waits to be: once. */
  private sendBehindNow(jobId: string): void {
    const send = this.behind.get(jobId);
    this.behind.delete(jobId);
    send?.();
  }

  /**
   * For a cancel whose ownership check Redis leaves unanswered: the add of `job` this process
   * sent may be in Redis's hands and run once it answers, after the queue was closed, with no
   * one left to ask again. A cancel stamped with that add goes out at once, behind it on the
   * connection, without the check: its stamp stops only that add of the id, and a cancel key of
   * the id already there (another add's) is kept. Whether it lands is not waited for.
   */
  private sendBehind(route: () => Promise<CancelRoute>, job: JobToStop, reason: CancelReason): void {
    const { prefix, queue, leaseMs, retainMs } = this.config;
    const ttlMs = cancelKeyTtlMs(leaseMs, Math.max(retainMs, (job.data.expiresAt ?? 0) - Date.now()));
    void route()
      .then(({ connection }) => publishCancel(connection.redis, prefix, queue, job.jobId, ttlMs, reason, job.issuedAt, true))
      .catch(() => undefined);
  }

  /**
   * No more tries: the queue is closing (what is still under way is reported by {@link notSent});
   * a cancel still waiting for its ownership check goes out behind its add now, while the
   * connection is there.
   */
  stop(): void {
    this.stopped = true;
    for (const jobId of [...this.behind.keys()]) if (this.sending.has(jobId)) this.sendBehindNow(jobId);
    this.behind.clear();
  }

  /**
   * `maybe`: the cancel of a job that may not be there (an attempt whose add never went out, see
   * `RemoteQueue`): tried once, and forgotten when Redis cannot be asked, not reported as a cancel
   * that did not reach the workers.
   */
  private async sendUntilTaken(
    route: () => Promise<CancelRoute>,
    jobId: string,
    reason: CancelReason,
    issuedAt: number,
    owned: OwnershipCheck | undefined,
    maybe: boolean,
    expiresAt: number | undefined,
  ): Promise<void> {
    for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(2 * pause, LONGEST_PAUSE_MS)) {
      let failure: RedisConnectionError;
      try {
        await this.sendOnce(await route(), jobId, reason, issuedAt, owned, expiresAt);
        this.behind.delete(jobId); // sent, with its ownership known
        return;
      } catch (error) {
        if (!this.sending.has(jobId)) return; // sent: only the clean-up after it failed
        if (maybe) {
          this.sending.delete(jobId);
          this.forget(jobId);
          return;
        }
        failure = this.config.target.fail(`send the cancel of job "${jobId}"`, error);
      }
      if (saysRedisAway(failure)) this.sendBehindNow(jobId);
      if (this.stopped || !saysRedisAway(failure)) {
        this.behind.delete(jobId);
        this.sending.delete(jobId);
        this.failed.push({ queue: this.config.queue, jobId, error: failure });
        this.forget(jobId); // no worker was told: its end is not to be waited for
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, pause).unref());
      if (!this.sending.has(jobId)) return; // given up by the close meanwhile
    }
  }

  private async sendOnce(
    { connection, queue }: CancelRoute,
    jobId: string,
    reason: CancelReason,
    issuedAt: number,
    owned: OwnershipCheck | undefined,
    expiresAt: number | undefined,
  ): Promise<void> {
    const { prefix, queue: name, leaseMs, retainMs } = this.config;
    let stops: number | false;
    try {
      stops = owned === undefined ? issuedAt : await owned(queue);
    } catch (error) {
      throw connection.fail(`send the cancel of job "${jobId}"`, error);
    }
    if (stops === false) {
      // another run's job under the same id: left alone
      this.sending.delete(jobId);
      this.forget(jobId);
      return;
    }
    try {
      // a signed job may be taken until it expires (its signature's time and its task's timeout after its add)
      const ttlMs = cancelKeyTtlMs(leaseMs, Math.max(retainMs, (expiresAt ?? 0) - Date.now()));
      await publishCancel(connection.redis, prefix, name, jobId, ttlMs, reason, stops);
      if (this.tombstones.has(jobId)) this.tombstones.set(jobId, stops);
      else this.deleteKey(connection.redis, jobId, stops); // it ended as the cancel went out: no worker needs the key
    } catch (error) {
      throw connection.fail(`send the cancel of job "${jobId}"`, error);
    }
    this.sending.delete(jobId);
    if ((await connection.redis.exists(queue.toKey(jobId))) === 0) {
      // never added, or gone (a Redis that lost it while a worker runs it): the cancel key stays
      // for that worker's poll, or an add still under way (BullMQ's remove says 1 for a missing job)
      this.forget(jobId);
    } else if ((await queue.remove(jobId)) === 1) {
      this.forget(jobId);
      this.deleteKey(connection.redis, jobId, stops); // no worker has it: the key would only linger
    } // else running: removed when it ends
  }

  /** Whether a cancel in Redis stops the job of `jobId` issued at `issuedAt`. */
  async stopsInRedis(redis: Redis, jobId: string, issuedAt: number | undefined): Promise<boolean> {
    return stopReasonOf(await redis.get(cancelKey(this.config.prefix, this.config.queue, jobId)), issuedAt) !== undefined;
  }

  /**
   * Whether `jobId` was cancelled while it ran (forgotten now: its finish removes it). Its cancel
   * key, which no worker needs any longer, is deleted through `redis`, if given.
   */
  finished(jobId: string, redis: Redis | undefined): boolean {
    const stamp = this.tombstones.get(jobId);
    if (!this.forget(jobId)) return false;
    if (redis !== undefined && stamp !== undefined) this.deleteKey(redis, jobId, stamp);
    return true;
  }

  /** Deletes the cancel key of `jobId` if it names the add of `stamp`: a rerun of the same id may have cancelled its own since. */
  private deleteKey(redis: Redis, jobId: string, stamp: number): void {
    const { prefix, queue } = this.config;
    this.track(deleteCancelKey(redis, prefix, queue, jobId, stamp).catch(() => undefined));
  }

  /** Resolves once no cancelled job is still running (at once when none is). */
  noneRunning(): Promise<void> {
    if (this.tombstones.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.whenNoneRunning.push(resolve));
  }

  private forget(jobId: string): boolean {
    if (!this.tombstones.delete(jobId)) return false;
    if (this.tombstones.size === 0) for (const resolve of this.whenNoneRunning.splice(0)) resolve();
    return true;
  }

  /**
   * The cancels that did not reach Redis, each once: those that failed, and those still under way,
   * given up with the error `givenUp` makes.
   */
  notSent(givenUp: (jobId: string) => RedisConnectionError): CancelNotSent[] {
    const pending = [...this.sending].map((jobId) => ({ queue: this.config.queue, jobId, error: givenUp(jobId) }));
    this.sending.clear();
    return [...this.failed.splice(0), ...pending];
  }
}
