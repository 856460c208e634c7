/**
 * How a cancel reaches the worker running an attempt, within one lease period: the scheduler
 * side sets a cancel key (with a time to live) and publishes the job on a pub/sub channel; a
 * worker aborts the attempt when the message arrives, and also polls the keys of the attempts
 * it runs every third of a lease, so a message lost with a dropped connection still arrives.
 * Messages about jobs a worker has not started yet are remembered for a while, for a cancel
 * that overtakes the job's start. A cancel says why: the scheduler cancelled the attempt, or its
 * time ran out there (the key holds `timeout`, the message ends with a `timeout` line; a worker
 * that does not know the line misreads the message and hears the cancel by its poll instead).
 * A cancel stops one add of its job id: the key names that job's `issuedAt` after its flag
 * (`timeout 1796542484267.125`), and a worker stops a job only when they agree, so a cancel left
 * by an earlier run of the same id (a fixed `runId` run again, a resume after a cancel its
 * journal did not record) stops none of the next run's jobs. A message says no more than the job
 * id: the worker reads the key before it stops a job it heard of. A key without a stamp (an
 * earlier rxdag's) stops any job of its id.
 * Its connections' errors and recoveries go to its listener too, each connection's commands have
 * a time limit, and closing waits for Redis a bounded time. While no attempt runs, the poll pings
 * Redis instead: a Redis that stops answering and keeps the connection open (hung, or a stalled
 * network) raises no connection error, so a poll it does not answer goes to the listener as a
 * failure, and the next answered one as a recovery. It does not abort anything itself: it tells
 * its listener.
 */
import type { Redis } from 'ioredis';
import { CommandConnection, commandTimeoutFor } from './commandConnection';
import type { RedisConnectionError, RedisTarget } from './redisConnection';

/** The key that says an attempt was cancelled. */
export function cancelKey(prefix: string, queue: string, jobId: string): string {
  return `${prefix}:${queue}:rxdag-cancel:${jobId}`;
}

/** Why the scheduler stopped an attempt it had sent. */
export type CancelReason = 'cancelled' | 'timed-out';

/** What a cancel key holds, and the last line of a cancel message, for an attempt that timed out. */
const TIMED_OUT = 'timeout';

/**
 * Why a cancel key's `value` (`null`: no key) stops the job issued at `issuedAt`; `undefined` when
 * it does not: no key, or one naming another add of the id (a key without a stamp, or a job
 * without one: it stops any).
 */
export function stopReasonOf(value: string | null, issuedAt: number | undefined): CancelReason | undefined {
  if (value === null) return undefined;
  const space = value.indexOf(' ');
  if (space >= 0 && issuedAt !== undefined && Number(value.slice(space + 1)) !== issuedAt) return undefined;
  return (space < 0 ? value : value.slice(0, space)) === TIMED_OUT ? 'timed-out' : 'cancelled';
}

/** A job's `issuedAt`, which tells one add of its id from another; undefined when its data has none. */
export function issuedAtOf(data: unknown): number | undefined {
  const issuedAt = typeof data === 'object' && data !== null ? (data as { readonly issuedAt?: unknown }).issuedAt : undefined;
  return typeof issuedAt === 'number' && Number.isFinite(issuedAt) ? issuedAt : undefined;
}

/** The channel every worker of a prefix listens to for cancels. */
export function cancelChannel(prefix: string): string {
  return `${prefix}:rxdag-cancel`;
}

/**
 * How long a worker of lease `leaseMs` remembers a cancel it heard: long enough for any start the
 * cancel overtook. A job taken after that, issued before, has its key read (see `cancelledAtStart`).
 */
export function cancelMemoryMs(leaseMs: number): number {
  return Math.max(10 * leaseMs, 60_000);
}

/**
 * How long a cancel key lives: beyond any worker's next poll, and `keepMs`: a scheduler's
 * `retainMs` (how long a job of a scheduler that died as it cancelled is kept), or until a
 * signed job expires when that is later (an unsigned one left waiting has no end).
 */
export function cancelKeyTtlMs(leaseMs: number, keepMs: number): number {
  // whole milliseconds: Redis refuses a fractional PX, and an expiry may be fractional (`issueTime`)
  return Math.ceil(Math.max(cancelMemoryMs(leaseMs), keepMs));
}

/**
 * Sends a cancel for the job of one id issued at `issuedAt`: key and message in one round trip
 * (not a transaction). Resolves when Redis has the key; a message Redis refuses (an ACL without
 * the channel) is not waited for: the workers' poll of the key hears the cancel within a third of
 * a lease. With `unlessKeyed`, a cancel key of the id already there (another add's) is kept.
 */
export async function publishCancel(
  redis: Redis,
  prefix: string,
  queue: string,
  jobId: string,
  ttlMs: number,
  reason: CancelReason,
  issuedAt: number,
  unlessKeyed = false,
): Promise<void> {
  const timedOut = reason === 'timed-out';
  const key = cancelKey(prefix, queue, jobId);
  const value = `${timedOut ? TIMED_OUT : '1'} ${issuedAt}`;
  const replies = await (unlessKeyed ? redis.pipeline().set(key, value, 'PX', ttlMs, 'NX') : redis.pipeline().set(key, value, 'PX', ttlMs))
    .publish(cancelChannel(prefix), timedOut ? `${queue}\n${jobId}\n${TIMED_OUT}` : `${queue}\n${jobId}`)
    .exec();
  const keySet = replies?.[0];
  if (keySet === undefined) throw new Error('Redis did not answer the cancel');
  if (keySet[0] !== null) throw keySet[0];
}

/** Deletes KEYS[1] when its value ends with ARGV[1] (` <issuedAt>`: the add a cancel key names). */
const DELETE_IF_STAMPED = `local value = redis.call('GET', KEYS[1])
if value and string.sub(value, -#ARGV[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Deletes the cancel key of job `jobId` if it names the add issued at `issuedAt`: the key of a
 * rerun of the same id (cancelled since) stays. Resolves with whether it deleted it.
 */
export async function deleteCancelKey(redis: Redis, prefix: string, queue: string, jobId: string, issuedAt: number): Promise<boolean> {
  return (await redis.eval(DELETE_IF_STAMPED, 1, cancelKey(prefix, queue, jobId), ` ${issuedAt}`)) === 1;
}

/** An attempt a worker runs, as the watch sees it. */
export interface WatchedJob {
  readonly queue: string;
  readonly jobId: string;
  /** Its job's `issuedAt`: which add of its id it is. */
  readonly issuedAt: number | undefined;
}

/** How far a scheduler's clock, which stamps a job's `issuedAt`, may be ahead of a worker's. */
const CLOCK_SKEW_MS = 2_000;

/** What a {@link CancelWatch} tells its worker. */
export interface CancelWatchListener {
  /** A cancel for a job, heard by message or by the poll. */
  cancelled(queue: string, jobId: string, reason: CancelReason): void;
  /** A connection could not reach Redis (each try of an outage), or Redis did not answer a poll in time. */
  failed(error: RedisConnectionError): void;
  /** A connection is up again, or Redis answered a poll after one it did not. */
  connected(): void;
}

/** A worker's ear for cancels: one subscriber connection and a poll of the running jobs' keys. */
export class CancelWatch {
  private readonly subscriber: CommandConnection;
  private readonly poller: CommandConnection;
  private readonly timer: NodeJS.Timeout;
  // `queue\njobId` of cancels heard recently -> when to forget them: a cancel may overtake a start, or
  // come for a job still waiting (its scheduler stopped before removing it): one taken later than this memory has its key read
  private readonly recent = new Map<string, number>();
  private readonly subscribed: Promise<unknown>;
  private polling = false;
  // the last poll failed on a live connection (Redis did not answer): the next answered one says it is back
  private unanswered = false;
  // closed: what fails from now on is the close's doing (a subscribe still under way), not Redis's
  private closed = false;
  // since when (this worker's clock) every cancel message reaches it: none while not subscribed
  private listeningSince = Number.POSITIVE_INFINITY;

  constructor(
    private readonly target: RedisTarget,
    private readonly prefix: string,
    private readonly leaseMs: number,
    private readonly running: () => Iterable<WatchedJob>,
    private readonly listener: CancelWatchListener,
  ) {
    const connection = (name: string, onReady?: () => void) =>
      new CommandConnection(target, {
        name,
        commandTimeoutMs: commandTimeoutFor(leaseMs),
        action: 'hear cancels',
        onError: (error) => this.closed || listener.failed(error),
        onReady,
      });
    // the subscriber is back once subscribed: a connection dropped at each subscribe is one outage, not a flood of them
    this.subscriber = connection('rxdag-worker-cancels');
    this.poller = connection('rxdag-worker-cancel-poll', () => listener.connected());
    this.subscriber.redis.on('message', (_channel: string, message: string) => this.heard(message));
    // one subscribe at a time: one still out is sent again by ioredis on a reconnect
    let subscribing: Promise<unknown> | undefined;
    const subscribe = () =>
      (subscribing = this.subscriber.redis
        .subscribe(cancelChannel(prefix))
        .then(
          () => {
            this.listeningSince = Date.now();
            if (!this.closed) listener.connected();
          },
          (error: unknown) => this.closed || listener.failed(this.subscriber.fail('listen for cancels', error)),
        )
        .finally(() => (subscribing = undefined)));
    this.subscribed = subscribe();
    // each connection up subscribes (again), unless a subscribe is still out: also the first, when Redis was away at the start
    this.subscriber.redis.on('ready', () => {
      if (subscribing === undefined && !this.closed) void subscribe();
    });
    this.subscriber.redis.on('close', () => (this.listeningSince = Number.POSITIVE_INFINITY)); // messages are lost until then
    this.timer = setInterval(() => void this.poll(), Math.max(10, Math.floor(leaseMs / 3)));
    this.timer.unref();
  }

  /**
   * Resolves when the subscription is in place (or failed: the poll still works then); rejects
   * with a `RedisConnectionError` when Redis has no database of the connection's number.
   */
  async ready(): Promise<void> {
    await this.selectDatabase();
    await this.subscribed;
  }

  /** Selects the connection's database on the poller; rejects with a `RedisConnectionError` when that fails. */
  async selectDatabase(): Promise<void> {
    const db = this.target.options.db ?? 0;
    await this.target.selectDatabase(this.poller.redis).catch((error: unknown) => {
      throw this.poller.fail(`select database ${db}`, error);
    });
  }

  /**
   * Why a job about to start was cancelled already: when a cancel of its id was heard before it
   * started, it is `takenAgain` after a lease lapsed (its cancel may have come while no worker
   * held it, and no message was heard), or it was issued before this worker listened for cancels
   * (give or take {@link CLOCK_SKEW_MS}: a cancel sent then was not heard, a scheduler stopped at
   * once after it may not have removed the job) or before what this worker remembers (a cancel
   * heard for it may be forgotten), the cancel its key holds for this add of the id.
   * Undefined when there is none, or Redis does not answer (the poll hears it later), but for a
   * cancel heard: it then stops the job, as a cancel of its id.
   */
  async cancelledAtStart(job: WatchedJob, takenAgain: boolean): Promise<CancelReason | undefined> {
    const heard = this.recent.has(`${job.queue}\n${job.jobId}`);
    const issued = job.issuedAt;
    const remembered =
      issued !== undefined && issued > Math.max(this.listeningSince, Date.now() - cancelMemoryMs(this.leaseMs)) + CLOCK_SKEW_MS;
    if (!takenAgain && !heard && remembered) return undefined;
    try {
      return stopReasonOf(await this.poller.redis.get(cancelKey(this.prefix, job.queue, job.jobId)), job.issuedAt);
    } catch {
      return heard ? 'cancelled' : undefined; // a cancel heard for its id, which Redis cannot say is another add's
    }
  }

  /**
   * Removes `job` of `queue`, which this worker dropped for its cancel (nobody reads its outcome),
   * and then its cancel key, which nobody needs now. Never rejects: what Redis does not take expires.
   */
  async dropped(queue: string, job: { readonly id?: string | undefined; readonly data: unknown; remove(): Promise<void> }): Promise<void> {
    const issuedAt = issuedAtOf(job.data);
    try {
      await job.remove();
      if (issuedAt !== undefined && job.id !== undefined) await deleteCancelKey(this.poller.redis, this.prefix, queue, job.id, issuedAt);
    } catch {
      // left to expire
    }
  }

  /** Stops listening; waits at most `withinMs` for Redis to answer the poller's `QUIT`. */
  async close(withinMs: number): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.subscriber.redis.disconnect();
    await this.poller.close(withinMs);
  }

  private heard(message: string): void {
    const split = message.indexOf('\n');
    if (split < 0) return;
    // a job id ends with its attempt number, so a last line `timeout` is never part of it
    const timedOut = message.endsWith(`\n${TIMED_OUT}`);
    const end = timedOut ? message.length - TIMED_OUT.length - 1 : message.length;
    const queue = message.slice(0, split);
    const jobId = message.slice(split + 1, end);
    this.recent.set(`${queue}\n${jobId}`, Date.now() + cancelMemoryMs(this.leaseMs));
    for (const job of this.running()) if (job.queue === queue && job.jobId === jobId) void this.check(job);
  }

  /** Reads the cancel key of a running job that a message named: it may be for another add of its id. */
  private async check(job: WatchedJob): Promise<void> {
    let reason: CancelReason | undefined;
    try {
      reason = stopReasonOf(await this.poller.redis.get(cancelKey(this.prefix, job.queue, job.jobId)), job.issuedAt);
    } catch {
      return; // the poll hears it once Redis answers
    }
    if (reason !== undefined) this.listener.cancelled(job.queue, job.jobId, reason);
  }

  /** Reads the cancel keys of the running attempts; with none running, pings Redis over a live connection. */
  private async poll(): Promise<void> {
    const now = Date.now();
    for (const [entry, forgetAt] of this.recent) if (forgetAt < now) this.recent.delete(entry);
    if (this.polling) return;
    const jobs = [...this.running()];
    // a ping queued while the connection is down tells nothing its errors do not, and would hold up its close
    if (jobs.length === 0 && this.poller.redis.status !== 'ready') return;
    this.polling = true;
    try {
      if (jobs.length === 0) await this.poller.redis.ping();
      else {
        const flags = await this.poller.redis.mget(jobs.map((job) => cancelKey(this.prefix, job.queue, job.jobId)));
        flags.forEach((value, index) => {
          const { queue, jobId, issuedAt } = jobs[index]!;
          const reason = stopReasonOf(value, issuedAt);
          if (reason !== undefined) this.listener.cancelled(queue, jobId, reason);
        });
      }
      if (this.unanswered) this.listener.connected();
      this.unanswered = false;
    } catch (error) {
      // on a connection that is down, its error handler has said why; the next poll tries again
      if (this.poller.redis.status === 'ready') {
        this.unanswered = true;
        this.listener.failed(this.poller.fail('hear cancels', error));
      }
    } finally {
      this.polling = false;
    }
  }
}
