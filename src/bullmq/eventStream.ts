/**
 * The scheduler side's reading of a queue's event stream: one blocking `XREAD` loop from a given
 * position that hands on the entries the scheduler acts on (a job completed, failed, was added
 * again, or stalled) and skips every other entry (waiting, active, drained…) without decoding it
 * into strings or objects. BullMQ's `QueueEvents` builds an object and emits two events for every
 * entry, one of them named after the job (a new string a job); at three entries a task that was
 * the larger part of reading outcomes (benchmarks/README.md). Like `QueueEvents`, it keeps its
 * position across reconnects and gives up a read that hangs past its block time. It does not
 * interpret what it hands on: `remoteQueue.ts` does.
 */
import { Redis } from 'ioredis';
import type { RedisTarget } from './redisConnection';

/** What the stream tells about jobs, by job id. */
export interface StreamListener {
  /** A job completed; `returnvalue` is its result as BullMQ stored it (JSON). */
  completed(jobId: string, returnvalue: string): void;
  /** A job failed (BullMQ moved it to `failed`): its worker broke, or lost it too often. */
  failed(jobId: string, failedReason: string): void;
  /** A job was added again while it existed (`duplicated`) or its worker stopped renewing it (`stalled`). */
  changed(jobId: string): void;
}

/** How long one `XREAD` blocks on the server. */
const BLOCK_MS = 10_000;
/** A read not answered this long after its block time is given up, and the connection made again. */
const HANG_MS = 5_000;
/** How long to wait before reading again after a read failed. */
const RETRY_MS = 1_000;

const EVENT = Buffer.from('event');
const JOB_ID = Buffer.from('jobId');
const RETURN_VALUE = Buffer.from('returnvalue');
const FAILED_REASON = Buffer.from('failedReason');

type Entry = [id: Buffer, fields: Buffer[]];

/** Reads one queue's event stream until closed. */
export class EventStream {
  private readonly redis: Redis;
  private closed = false;
  // gives up the read or the wait in progress (the connection dropped or hangs, or closing)
  private abandon: (() => void) | undefined;
  private readonly reading: Promise<void>;

  constructor(
    target: RedisTarget,
    connectionName: string,
    private readonly key: string,
    /** The id of the last entry already seen: reading starts after it. */
    private position: string,
    private readonly listener: StreamListener,
  ) {
    // blocking reads wait for Redis to come back; a read cut by a reconnect is given up, not sent
    // again, so the loop reads once more from where it was
    this.redis = new Redis({ connectTimeout: 10_000, ...target.options, maxRetriesPerRequest: null, autoResendUnfulfilledCommands: false, connectionName });
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
      // reads are sent on a live connection only: one queued while Redis is away would block
      // the connection for its whole block time once sent, ahead of the read that counts
      if (this.redis.status !== 'ready') {
        await this.untilReady();
        continue;
      }
      let entries: Entry[] | undefined;
      try {
        entries = await this.read();
      } catch {
        if (!this.closed) await this.wait(RETRY_MS);
        continue;
      }
      if (entries !== undefined && entries.length > 0 && !this.closed) this.handOn(entries);
    }
  }

  private untilReady(): Promise<void> {
    return new Promise<void>((resolve) => {
      const ready = () => this.abandon?.();
      this.redis.once('ready', ready);
      this.abandon = () => {
        this.redis.off('ready', ready);
        this.abandon = undefined;
        resolve();
      };
    });
  }

  private wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.abandon?.(), ms);
      this.abandon = () => {
        clearTimeout(timer);
        this.abandon = undefined;
        resolve();
      };
    });
  }

  /** One blocking read; `undefined` when it timed out, was given up or found nothing. */
  private read(): Promise<Entry[] | undefined> {
    const reply = this.redis.xreadBuffer('BLOCK', BLOCK_MS, 'STREAMS', this.key, this.position);
    return new Promise<Entry[] | undefined>((resolve, reject) => {
      const hang = setTimeout(() => {
        this.abandon?.();
        this.redis.disconnect(true);
      }, BLOCK_MS + HANG_MS);
      hang.unref();
      this.abandon = () => {
        clearTimeout(hang);
        this.abandon = undefined;
        resolve(undefined);
      };
      reply.then(
        (streams) => {
          clearTimeout(hang);
          this.abandon = undefined;
          resolve(streams?.[0]?.[1]);
        },
        (error: unknown) => {
          clearTimeout(hang);
          this.abandon = undefined;
          reject(error);
        },
      );
    });
  }

  private handOn(entries: readonly Entry[]): void {
    this.position = entries[entries.length - 1]![0].toString();
    for (const [, fields] of entries) {
      const event = valueOf(fields, EVENT)?.toString();
      if (event !== 'completed' && event !== 'failed' && event !== 'duplicated' && event !== 'stalled') continue;
      const jobId = valueOf(fields, JOB_ID)?.toString();
      if (jobId === undefined) continue;
      try {
        if (event === 'completed') this.listener.completed(jobId, valueOf(fields, RETURN_VALUE)?.toString() ?? '');
        else if (event === 'failed') this.listener.failed(jobId, valueOf(fields, FAILED_REASON)?.toString() ?? '');
        else this.listener.changed(jobId);
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
