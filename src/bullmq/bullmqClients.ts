/**
 * The Redis clients a worker hands its BullMQ workers (`BullmqClients`): one per BullMQ worker,
 * and BullMQ's blocking copy of each, all held here so that a closed worker ends them for good.
 * It neither sends commands nor logs; BullMQ does what it does with them.
 */
import { type Callback, Redis, type RedisOptions } from 'ioredis';
import type { RedisTarget } from './redisConnection';

/** What ioredis and BullMQ say of a command on a closed connection (BullMQ takes it for a connection error, not a failure of its own). */
const CONNECTION_CLOSED = 'Connection is closed.';

/**
 * Reconnect delays for the connections BullMQ makes: BullMQ's own (1 s apart at first, growing
 * after about 7 s of outage), but at most 5 s apart where BullMQ waits up to 20 s: a worker takes
 * jobs again within 5 s of Redis's return.
 */
const bullmqRetryDelay = (times: number): number => Math.max(Math.min(Math.exp(times), 5_000), 1_000);

/** A client that refuses to connect once its owner ended, and whose copies (`duplicate`) its owner holds too. */
class OwnedRedis extends Redis {
  // set once made: ioredis connects from its constructor, before it is (no owner has ended then)
  private readonly owner: BullmqClients;

  constructor(options: RedisOptions, owner: BullmqClients) {
    // BullMQ reads replies in their RESP2 shapes; the cast: ioredis 5 has only those, and no `replyMapping` option
    super({ ...options, replyMapping: 'legacy' } as RedisOptions & { replyMapping: 'legacy' });
    this.owner = owner;
    // BullMQ reports a connection's errors to its worker while it listens; after its close, none may reach ioredis's "Unhandled error event"
    this.on('error', () => undefined);
  }

  override connect(callback?: Callback<void>): Promise<void> {
    if (this.owner?.ended !== true) return super.connect(callback);
    const refused = new Error(CONNECTION_CLOSED);
    callback?.(refused);
    return Promise.reject(refused);
  }

  /** BullMQ's blocking connection is a copy: a command there waits for Redis to come back, as BullMQ requires. */
  override duplicate(override?: Partial<RedisOptions>): Redis {
    return this.owner.make({ ...this.options, ...override, maxRetriesPerRequest: null });
  }
}

/**
 * The clients of a worker's BullMQ workers: each BullMQ worker is given one, and makes its
 * blocking connection from it (`duplicate`), so every client BullMQ uses is held here and a
 * closing worker ends them for good. Why: BullMQ gives up a blocking read that Redis has not
 * answered for its block time and waits for the connection to come back, and when that
 * connection ends during the wait it connects it again — also when the end is BullMQ's own
 * close, which has removed its error listeners by then: that client then tries to reach a Redis
 * that is down for ever (the process never exits), and ioredis prints every refused try as an
 * unhandled error event. Ended clients refuse to connect instead.
 */
export class BullmqClients {
  private readonly clients: Redis[] = [];
  private isEnded = false;

  /** Whether {@link endAfter} was called: no client connects again. */
  get ended(): boolean {
    return this.isEnded;
  }

  /** A connection for one BullMQ worker, with BullMQ's own defaults for the connections it makes. */
  connection(target: RedisTarget): Redis {
    return this.make({ host: '127.0.0.1', port: 6379, retryStrategy: bullmqRetryDelay, ...target.options });
  }

  /** A client held here: a connection of {@link connection}, or BullMQ's copy of one. */
  make(options: RedisOptions): Redis {
    const client = new OwnedRedis(options, this);
    this.clients.push(client);
    return client;
  }

  /**
   * Ends every client: none connects again from now on (BullMQ's tries while it closes are
   * refused), and those BullMQ's close (`closing`) left open are dropped once it settled: the
   * connections it was given (it leaves those open), any it could not close.
   */
  async endAfter(closing: Promise<unknown>): Promise<void> {
    this.isEnded = true;
    await closing.catch(() => undefined);
    // not one already ended: ioredis would wait 2 s for its socket, closed already, to close
    for (const client of this.clients) if (client.status !== 'end') client.disconnect();
  }
}
