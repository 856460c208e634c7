/**
 * One command connection to Redis (not a blocking one): commands fail after a few reconnect
 * tries or when Redis does not answer within a time limit, instead of waiting forever, so an
 * unreachable or frozen Redis fails attempts rather than hanging them. Its errors say the real
 * cause: ioredis's "max retries per request" and "command timed out" hide why the connection is
 * down, so the connection keeps the last reason it could not connect and names it instead.
 * Closing waits a bounded time for a polite `QUIT`, then drops the socket. Connection errors go
 * to `onError` (redacted), never to an unhandled `error` event. It does not log anything, and
 * it knows nothing of queues or jobs.
 */
import { Redis } from 'ioredis';
import { messageOf, type RedisConnectionError, type RedisTarget } from './redisConnection';

/** The shortest command time limit: a healthy Redis under load, or a network hiccup, can hold a command a moment. */
const MIN_COMMAND_TIMEOUT_MS = 1_000;
/** The longest: past it, Redis is frozen or cut off; the slowest command we send (an `addBulk` of thousands of jobs) takes about 1.5 s. */
const MAX_COMMAND_TIMEOUT_MS = 10_000;
/** How long a connection may try to reach Redis before its commands fail. */
const CONNECT_TIMEOUT_MS = 10_000;
/** Reconnect tries a command waits through before it fails (with the reason the connection is down). */
const RETRIES_PER_COMMAND = 3;
/** What ioredis says of a command on a closed connection. */
const CONNECTION_CLOSED = 'Connection is closed.';

/**
 * The time limit of one command for a lease of `leaseMs`: the lease, within [1 s, 10 s]. Why the
 * lease: a Redis that does not answer for a lease period already makes workers lose their leases,
 * and the lease check of an attempt then fails it within about two lease periods.
 */
export function commandTimeoutFor(leaseMs: number): number {
  return Math.min(MAX_COMMAND_TIMEOUT_MS, Math.max(MIN_COMMAND_TIMEOUT_MS, leaseMs));
}

/** How a command connection is made. */
export interface CommandConnectionOptions {
  /** `CLIENT SETNAME`, to tell rxdag's connections apart in `CLIENT LIST`. */
  readonly name: string;
  /** A command unanswered this long fails (see {@link commandTimeoutFor}). */
  readonly commandTimeoutMs: number;
  /** What the connection is for, in its errors: "Redis at …: cannot hear cancels: …". @default 'keep a connection' */
  readonly action?: string;
  /** The commands of one tick leave in one write (many small removals and cancels). @default false */
  readonly autoPipelining?: boolean;
  /** Each error of the connection (a refused connect, a reset), redacted. */
  readonly onError?: (error: RedisConnectionError) => void;
  /** The connection is up (again). */
  readonly onReady?: () => void;
}

/** A command connection and what it knows of why it is down. */
export class CommandConnection {
  readonly redis: Redis;
  // why the connection last failed, until it is up again: the cause ioredis's own errors hide
  private downBecause: unknown;
  // it was up once: a drop is an outage, no sign of a TLS mismatch
  private wasReady = false;
  // closed (or closing): each wait for it to come up (`whenUp`) ends, told through its entry in `upWaiters`
  private closing = false;
  private readonly upWaiters = new Set<() => void>();

  constructor(
    private readonly target: RedisTarget,
    private readonly options: CommandConnectionOptions,
  ) {
    const { name, commandTimeoutMs, autoPipelining = false } = options;
    this.redis = new Redis({
      maxRetriesPerRequest: RETRIES_PER_COMMAND,
      // a subscription is made again by its owner: the subscribe ioredis sends after a reconnect has its failure left unhandled
      autoResubscribe: false,
      connectTimeout: CONNECT_TIMEOUT_MS,
      enableAutoPipelining: autoPipelining,
      ...target.options,
      commandTimeout: commandTimeoutMs,
      connectionName: name,
    });
    this.redis.on('error', (error: unknown) => {
      // a command given up (ioredis 5 emits that of the AUTH it sends) hides the cause known: that stays
      if (this.downBecause === undefined || !givenUp(error)) this.downBecause = error;
      options.onError?.(target.fail(options.action ?? 'keep a connection', this.downBecause, this.wasReady));
    });
    this.redis.on('ready', () => {
      this.downBecause = undefined;
      this.wasReady = true;
      options.onReady?.();
    });
  }

  /**
   * Resolves once the connection is up, or once it failed to come up (its commands then fail
   * with the reason). Why wait: ioredis times a command from when it is queued, so the first
   * commands of a connection still being made would spend their time limit on a slow connect
   * (a loaded machine), which the connect has a longer limit of its own for.
   */
  whenUp(): Promise<void> {
    const { redis } = this;
    if (this.closing || redis.status === 'ready' || redis.status === 'end') return Promise.resolve();
    return new Promise((resolve) => {
      // (a server that takes the connection and hangs up, as a full one does, says no error: its close ends the wait;
      // one still loading its data says nothing until it is done: the connect's own limit does)
      const events = ['ready', 'error', 'close', 'end'] as const;
      const timer = setTimeout(() => done(), CONNECT_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        for (const event of events) redis.off(event, done);
        this.upWaiters.delete(done);
        resolve();
      };
      for (const event of events) redis.once(event, done);
      this.upWaiters.add(done);
    });
  }

  /**
   * The error for a failure of `action` on this connection, naming the real cause: the reason
   * the connection is down rather than "max retries per request", and the time limit rather
   * than "command timed out".
   */
  fail(action: string, error: unknown): RedisConnectionError {
    return this.target.fail(action, this.causeOf(action, error), this.wasReady);
  }

  /**
   * The error for `action` given up after `waitedMs` without an answer: the reason the
   * connection is down if it is, else that Redis did not answer.
   */
  unanswered(action: string, waitedMs: number): RedisConnectionError {
    // (down for a command of its own that got no answer, as a server that says nothing leaves it: the same words)
    const down = this.redis.status === 'ready' || timedOut(this.downBecause) ? undefined : this.downBecause;
    const reason = down === undefined ? `${UNANSWERED} ${waitedMs} ms` : `${messageOf(down)} (no connection for ${waitedMs} ms)`;
    return this.target.fail(action, reason, this.wasReady);
  }

  /**
   * Closes the connection: a `QUIT` answered within `withinMs`, else the socket is dropped
   * (commands still waiting then fail with "Connection is closed").
   */
  async close(withinMs: number): Promise<void> {
    this.closing = true;
    for (const done of [...this.upWaiters]) done();
    await within(this.redis.quit(), withinMs);
    this.redis.disconnect();
  }

  private causeOf(action: string, error: unknown): unknown {
    if (timedOut(error)) return this.unanswered(action, this.options.commandTimeoutMs);
    const retriedOut = error instanceof Error && error.name === 'MaxRetriesPerRequestError';
    return retriedOut && this.redis.status !== 'ready' ? (this.downBecause ?? error) : error;
  }
}

/** Whether `error` is ioredis giving up a command on a connection that is down or closed: it says nothing of why. */
function givenUp(error: unknown): boolean {
  return error instanceof Error && (error.name === 'MaxRetriesPerRequestError' || error.message === CONNECTION_CLOSED);
}

/** Whether `promise` settled (resolved or rejected) within `ms`; it is not cancelled otherwise. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms))));
  const settled = promise.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** How {@link CommandConnection.unanswered} begins the reason of a command a live connection got no answer to. */
const UNANSWERED = 'it did not answer within';

/** Whether a `RedisConnectionError`'s reason says Redis left a command unanswered, its connection up (frozen, cut off). */
export function saysUnanswered(reason: string): boolean {
  return reason.startsWith(UNANSWERED);
}

/** Whether `error` is ioredis giving a command up after its time limit (a server that did not answer). */
function timedOut(error: unknown): boolean {
  return messageOf(error) === 'Command timed out';
}
