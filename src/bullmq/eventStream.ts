/**
 * The scheduler side's reading of a queue's event stream: one blocking `XREAD` loop from a given
 * position that hands on the entries the scheduler acts on (a job taken by a worker, completed,
 * failed, added again, stalled, or removed) and skips every other entry (waiting, drained…) without decoding it
 * into strings or objects. BullMQ's `QueueEvents` builds an object and emits two events for every
 * entry, one of them named after the job (a new string a job); at three entries a task that was
 * the larger part of reading outcomes (benchmarks/README.md). Like `QueueEvents`, it keeps its
 * position across reconnects and gives up a read that hangs past its block time (Redis stopped
 * answering, the connection still open): it connects again and, once Redis answers, reads on
 * from where it was. It does not interpret what it hands on: `remoteQueue.ts` does.
 */
import { Redis } from 'ioredis';
import type { RedisTarget } from './redisConnection';

/** What the stream tells about jobs, by job id. */
export interface StreamListener {
  /** A job completed; `returnvalue` is its result as BullMQ stored it (JSON). */
  completed(jobId: string, returnvalue: string): void;
  /** A job failed (BullMQ moved it to `failed`): its worker broke, or lost it too often. */
  failed(jobId: string, failedReason: string): void;
  /** A job was added again while it existed (`duplicated`), its worker stopped renewing it (`stalled`), or it was removed (`removed`). */
  changed(jobId: string, event: 'duplicated' | 'stalled' | 'removed'): void;
  /** A worker took a job (`active`). */
  taken?(jobId: string): void;
  /** A job was added (`waiting`; also a stalled one put back). */
  added?(jobId: string): void;
}

/** How an {@link EventStream} waits on Redis (specs shorten it). */
export interface StreamTiming {
  /** How long one `XREAD` blocks on the server. @default 10_000 */
  readonly blockMs?: number;
  /** A read not answered this long after its block time is given up, and the connection made again. @default 5_000 */
  readonly hangMs?: number;
  /** How long to wait before reading again after a read failed. @default 1_000 */
  readonly retryMs?: number;
}

const EVENT = Buffer.from('event');
const JOB_ID = Buffer.from('jobId');
const RETURN_VALUE = Buffer.from('returnvalue');
const FAILED_REASON = Buffer.from('failedReason');

type Entry = [id: Buffer, fields: Buffer[]];

/** Reads one queue's event stream until closed. */
export class EventStream {
  private readonly redis: Redis;
  private readonly timing: Required<StreamTiming>;
  private closed = false;
  // gives up the wait in progress (a read, the pause after a failed one, the wait for the
  // connection): the connection dropped or hangs, or closing
  private abandon: (() => void) | undefined;
  private readonly reading: Promise<void>;

  constructor(
    target: RedisTarget,
    connectionName: string,
    private readonly key: string,
    /** The id of the last entry already seen: reading starts after it. */
    private position: string,
    private readonly listener: StreamListener,
    { blockMs = 10_000, hangMs = 5_000, retryMs = 1_000 }: StreamTiming = {},
  ) {
    this.timing = { blockMs, hangMs, retryMs };
    // A read goes out on a live connection or not at all: one queued while the connection is down
    // would go out once it is back, ahead of the read that counts, and hold the connection for its
    // block time. A read cut by a reconnect is given up, not sent again: the loop reads once more
    // from where it was. Reads wait for Redis to come back.
    this.redis = new Redis({
      connectTimeout: 10_000,
      ...target.options,
      maxRetriesPerRequest: null,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      connectionName,
    });
    this.redis.on('error', () => undefined); // a missed outcome is found by the scheduler's lease check
    this.redis.on('close', () => this.abandon?.());
    this.reading = this.loop();
  }

  /** Stops reading and closes the connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.abandon?.();
    this.redis.disconnect();
    await this.reading;
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      if (this.redis.status !== 'ready') {
        await this.untilReady();
        continue;
      }
      let entries: Entry[] | undefined;
      try {
        entries = await this.read();
      } catch {
        // failed, or refused by a connection going down (its close ends the wait)
        if (!this.closed) await this.wait(this.timing.retryMs);
        continue;
      }
      if (entries !== undefined && entries.length > 0 && !this.closed) this.handOn(entries);
    }
  }

  /**
   * Makes `giveUp` the wait in progress. Returns what forgets it once its wait is over, which does
   * so only while it is still the wait in progress: a read given up can settle long after (ioredis
   * rejects it, or sends it, once the connection is back), and had it forgotten the wait in
   * progress then, nothing could give that one up: the loop would wait for ever on a read whose
   * connection dropped, and every later outcome would wait for the scheduler's lease check.
   */
  private inProgress(giveUp: () => void): () => void {
    this.abandon = giveUp;
    return () => {
      if (this.abandon === giveUp) this.abandon = undefined;
    };
  }

  private untilReady(): Promise<void> {
    return new Promise<void>((resolve) => {
      const ready = (): void => {
        this.redis.off('ready', ready);
        forget();
        resolve();
      };
      const forget = this.inProgress(ready);
      this.redis.once('ready', ready);
    });
  }

  private wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const over = (): void => {
        clearTimeout(timer);
        forget();
        resolve();
      };
      const forget = this.inProgress(over);
      const timer = setTimeout(over, ms);
    });
  }

  /** One blocking read; `undefined` when it timed out, was given up or found nothing. */
  private read(): Promise<Entry[] | undefined> {
    const { blockMs, hangMs } = this.timing;
    const reply = this.redis.xreadBuffer('BLOCK', blockMs, 'STREAMS', this.key, this.position);
    return new Promise<Entry[] | undefined>((resolve, reject) => {
      const over = (): void => {
        clearTimeout(hang);
        forget();
      };
      const giveUp = (): void => {
        over();
        resolve(undefined);
      };
      const forget = this.inProgress(giveUp);
      // Redis does not answer: the connection is made again, and the loop waits until it is up
      const hang = setTimeout(() => {
        giveUp();
        this.redis.disconnect(true);
      }, blockMs + hangMs);
      hang.unref();
      reply.then(
        (streams) => {
          over();
          resolve(streams?.[0]?.[1]);
        },
        (error: unknown) => {
          over();
          reject(error);
        },
      );
    });
  }

  private handOn(entries: readonly Entry[]): void {
    this.position = entries[entries.length - 1]![0].toString();
    for (const [, fields] of entries) {
      const event = valueOf(fields, EVENT)?.toString();
      if (
        event !== 'completed' &&
        event !== 'failed' &&
        event !== 'duplicated' &&
        event !== 'stalled' &&
        event !== 'removed' &&
        event !== 'active' &&
        event !== 'waiting'
      )
        continue;
      const jobId = valueOf(fields, JOB_ID)?.toString();
      if (jobId === undefined) continue;
      try {
        if (event === 'completed') this.listener.completed(jobId, valueOf(fields, RETURN_VALUE)?.toString() ?? '');
        else if (event === 'failed') this.listener.failed(jobId, valueOf(fields, FAILED_REASON)?.toString() ?? '');
        else if (event === 'active') this.listener.taken?.(jobId);
        else if (event === 'waiting') this.listener.added?.(jobId);
        else this.listener.changed(jobId, event);
      } catch {
        // one listener's failure must not stop the reading of every later outcome
      }
    }
  }
}

/** The value of field `name` in an entry's `[name, value, name, value, …]`. */
function valueOf(fields: readonly Buffer[], name: Buffer): Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]!.equals(name)) return fields[i + 1];
  return undefined;
}
