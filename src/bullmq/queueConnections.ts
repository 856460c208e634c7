/**
 * Opening the connections of one queue's scheduler side: the command connection (every command
 * time-limited, its errors and returns heard), the BullMQ queue on it, the removal of finished
 * jobs, and the event stream, read from the position taken before the first add so that no
 * outcome is missed. A failed open drops what it made, and the caller opens again on its next
 * command. It keeps nothing and decides nothing about jobs: `remoteQueue.ts` does.
 */
import { Queue } from 'bullmq';
import { CommandConnection, commandTimeoutFor } from './commandConnection';
import { EventStream, type StreamListener } from './eventStream';
import { FinishedJobs } from './finishedJobs';
import type { RedisConnectionError, RedisTarget } from './redisConnection';

/** The connections of one queue. */
export interface Connections {
  readonly connection: CommandConnection;
  readonly queue: Queue;
  readonly events: EventStream;
  readonly finished: FinishedJobs;
}

/** Where the queue is. */
export interface QueuePlace {
  readonly target: RedisTarget;
  readonly queue: string;
  readonly prefix: string;
  readonly leaseMs: number;
}

/** What hears of a queue client's command connection (see `CommandConnectionOptions`). */
export interface ConnectionWatch {
  /** Each error of the command connection (a refused connect, a reset). */
  failed(error: RedisConnectionError): void;
  /** The command connection is up (again). */
  ready(): void;
}

/** What the opener tells, and what it hands on. */
export interface OpenHooks extends ConnectionWatch {
  /** The command connection is made (before it is up): a close meanwhile drops it. */
  made(connection: CommandConnection): void;
  /** Each removal of finished jobs sent, so that closing can wait for it. */
  track(sending: Promise<unknown>): void;
  /** What the event stream hears of the queue's jobs. */
  readonly listener: StreamListener;
}

/** Opens the connections of the queue at `place`; rejects with the `RedisConnectionError` of the failure. */
export async function openConnections(place: QueuePlace, hooks: OpenHooks): Promise<Connections> {
  const { target, queue: name, prefix, leaseMs } = place;
  const connection = new CommandConnection(target, {
    name: `rxdag-scheduler:${name}`,
    commandTimeoutMs: commandTimeoutFor(leaseMs),
    action: `reach queue "${name}"`,
    autoPipelining: true,
    onError: (error) => hooks.failed(error),
    onReady: () => hooks.ready(),
  });
  hooks.made(connection);
  const { redis } = connection;
  try {
    await connection.whenUp();
    await target.selectDatabase(redis);
    // events are read from here on: an outcome that arrives before the first read is not lost
    const last = await redis.xrevrange(`${prefix}:${name}:events`, '+', '-', 'COUNT', 1);
    const lastEventId = last[0]?.[0] ?? '0-0';
    const queue = new Queue(name, { connection: redis, prefix, streams: { events: { maxLen: 100_000 } } });
    queue.on('error', () => undefined);
    // a queue whose first commands failed would fail every later one: this open fails instead, the next tries again
    await queue.waitUntilReady();
    const keys = { completed: queue.keys.completed, failed: queue.keys.failed, jobPrefix: queue.toKey('') };
    const finished = new FinishedJobs(redis, keys, hooks.track);
    const events = new EventStream(target, `rxdag-scheduler-events:${name}`, queue.keys.events, lastEventId, hooks.listener);
    return { connection, queue, events, finished };
  } catch (error) {
    redis.disconnect();
    throw connection.fail(`reach queue "${name}"`, error);
  }
}
