import { createServer, type Server, type Socket } from 'node:net';
import { CancelWatch, type CancelWatchListener, cancelChannel, cancelKey, type WatchedJob } from '../../src/bullmq/cancelSignals';
import { type RedisConnectionError, redisTarget } from '../../src/bullmq/redisConnection';
import { freePort } from '../support/redis';
import { waitFor } from './helpers';

/**
 * A worker's ear for cancels subscribes again after each reconnect, and a subscribe that fails
 * (its connection dropped before Redis answered it, Redis gone for good) is heard as an outage:
 * left to ioredis, that subscribe's failure was nobody's, and an unhandled rejection ends a
 * Node process. A server of the spec's own speaks just enough of Redis's protocol to leave the
 * subscribe of a reconnect unanswered, then to go away.
 */
jest.setTimeout(20_000);

/** A server that answers what a connection's set-up and a poll send; once {@link mute}d it leaves SUBSCRIBE unanswered and goes. */
class FakeRedis {
  private readonly sockets = new Set<Socket>();
  private readonly subscribers = new Set<Socket>();
  private muted = false;
  private refusing = false;
  /** SUBSCRIBE commands received (answered or not). */
  subscribes = 0;
  /** MGET commands answered: the polls of the running jobs' cancel keys. */
  polls = 0;
  /** What GET and MGET read. */
  readonly values = new Map<string, string>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(port = 0): Promise<FakeRedis> {
    let fake: FakeRedis | undefined;
    const server = createServer((socket) => fake?.accept(socket));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no port');
    fake = new FakeRedis(server, `redis://127.0.0.1:${address.port}`);
    return fake;
  }

  /** From now on a SUBSCRIBE goes unanswered, and the server then drops every connection and refuses new ones. */
  mute(): void {
    this.muted = true;
    this.dropAll();
  }

  /** From now on a connection that subscribes is dropped at once (a proxy or ACL that will not have it); others stay. */
  refuseSubscribes(): void {
    this.refusing = true;
    this.dropAll();
  }

  /** Drops every connection (a restart that kept its data, a network blip): they come back. */
  drop(): void {
    this.dropAll();
  }

  /** Sends `message` on `channel` to every connection that subscribed to it. */
  publish(channel: string, message: string): void {
    for (const socket of this.subscribers) socket.write(`*3\r\n$7\r\nmessage\r\n${bulk(channel)}${bulk(message)}`);
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private dropAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.subscribers.clear();
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      for (let parsed = parseCommand(buffered); parsed !== undefined; parsed = parseCommand(buffered)) {
        buffered = buffered.slice(parsed.length);
        this.answer(socket, parsed.args);
      }
    });
  }

  private answer(socket: Socket, [name = '', ...args]: string[]): void {
    const command = name.toUpperCase();
    if (command === 'SUBSCRIBE') {
      this.subscribes++;
      if (this.refusing) return void socket.destroy();
      if (this.muted) {
        // unanswered, and gone: the reconnects are refused from now on
        this.server.close();
        setTimeout(() => this.dropAll(), 20);
        return;
      }
      this.subscribers.add(socket);
      socket.write(`*3\r\n$9\r\nsubscribe\r\n${bulk(args[0] ?? '')}:1\r\n`);
    } else if (command === 'INFO') socket.write(bulk('# Server\r\nredis_version:7.0.0\r\nloading:0\r\n'));
    else if (command === 'PING') socket.write('+PONG\r\n');
    else if (command === 'GET') socket.write(value(this.values.get(args[0] ?? '')));
    else if (command === 'MGET') {
      this.polls++;
      socket.write(`*${args.length}\r\n${args.map((key) => value(this.values.get(key))).join('')}`);
    } else if (command === 'CLIENT' || command === 'SELECT') socket.write('+OK\r\n');
    else socket.write(`-ERR unknown command '${name}'\r\n`);
  }
}

function bulk(text: string): string {
  return `$${Buffer.byteLength(text, 'latin1')}\r\n${text}\r\n`;
}

function value(text: string | undefined): string {
  return text === undefined ? '$-1\r\n' : bulk(text);
}

/** The first whole command of `buffered` (an array of bulk strings), with how many characters it takes. */
function parseCommand(buffered: string): { args: string[]; length: number } | undefined {
  const header = /^\*(\d+)\r\n/.exec(buffered);
  if (header === null) return undefined;
  let at = header[0].length;
  const args: string[] = [];
  for (let i = 0; i < Number(header[1]); i++) {
    const size = /^\$(\d+)\r\n/.exec(buffered.slice(at));
    if (size === null) return undefined;
    const start = at + size[0].length;
    const end = start + Number(size[1]);
    if (buffered.length < end + 2) return undefined;
    args.push(buffered.slice(start, end));
    at = end + 2;
  }
  return { args, length: at };
}

/** A worker's ear for cancels on `url`, `running` those jobs, telling `listener` what it hears. */
function watchAt(url: string, listener: Partial<CancelWatchListener>, running: readonly WatchedJob[] = []): CancelWatch {
  const quiet = { cancelled: () => undefined, failed: () => undefined, connected: () => undefined };
  return new CancelWatch(redisTarget(url, 'spec'), 'rxdag-spec', 3000, () => running, { ...quiet, ...listener });
}

/** A job the worker runs, and its cancel key's value in `redis`. */
const runningJob: WatchedJob = { queue: 'shell', jobId: 'run|a|1', issuedAt: 5 };
const cancelOf = (redis: FakeRedis) => redis.values.set(cancelKey('rxdag-spec', 'shell', 'run|a|1'), '1 5');

describe("a worker's subscription to cancels", () => {
  it('should subscribe once Redis comes, when it was away as the worker started', async () => {
    const port = await freePort();
    const heard: string[] = [];
    let connected = 0;
    const watch = watchAt(
      `redis://127.0.0.1:${port}`,
      { cancelled: (queue, jobId) => void heard.push(`${queue} ${jobId}`), connected: () => void connected++ },
      [runningJob],
    );
    let redis: FakeRedis | undefined;
    try {
      await watch.ready(); // its first subscribe given up: nothing listens yet
      redis = await FakeRedis.start(port);
      const fake = redis;
      await waitFor(() => fake.subscribes === 1, 'the subscribe once Redis is there', 10_000);
      // subscribed, and its poll's connection back (the key of a cancel heard is read on it): each
      // retries on its own schedule, which a loaded machine stretches (and may connect one twice)
      await waitFor(() => connected >= 2 && fake.polls > 0, 'both connections back', 20_000);
      cancelOf(fake);
      fake.publish(cancelChannel('rxdag-spec'), 'shell\nrun|a|1');
      // heard by the message, or by the poll once its own connection is back (a loaded machine: seconds)
      await waitFor(() => heard.length === 1, 'the cancel', 10_000);
    } finally {
      await watch.close(100);
      await redis?.close();
    }
  }, 45_000);

  it('should say a subscriber dropped at each subscribe is down once, not down and up again at each reconnect', async () => {
    const redis = await FakeRedis.start();
    const said: string[] = [];
    const watch = watchAt(redis.url, { failed: () => void said.push('failed'), connected: () => void said.push('connected') });
    try {
      await watch.ready();
      said.length = 0;
      redis.refuseSubscribes();
      await waitFor(() => redis.subscribes >= 6, 'a few reconnects, each subscribing', 10_000);
      // the poller's connection came back (once after the drop, or twice on a loaded machine, whose
      // poll may time out too); the subscriber, reconnected six times and more, never said it did
      expect(said.filter((word) => word === 'connected').length).toBeLessThanOrEqual(2);
    } finally {
      await watch.close(100);
      await redis.close();
    }
  });

  it('should subscribe again after a reconnect, and hear the cancels sent then', async () => {
    const redis = await FakeRedis.start();
    const heard: string[] = [];
    const watch = watchAt(redis.url, { cancelled: (queue, jobId, reason) => void heard.push(`${queue} ${jobId} ${reason}`) }, [runningJob]);
    try {
      await watch.ready();
      redis.drop();
      await waitFor(() => redis.subscribes === 2, 'the subscribe of the reconnect', 5000);
      cancelOf(redis);
      redis.publish(cancelChannel('rxdag-spec'), 'shell\nrun|a|1');
      await waitFor(() => heard.length === 1, 'the cancel sent after the reconnect', 5000);
      expect(heard).toEqual(['shell run|a|1 cancelled']);
    } finally {
      await watch.close(100);
      await redis.close();
    }
  });

  it('should hear, not leave unhandled, a subscribe of a reconnect that its connection dropped before Redis answered it', async () => {
    const redis = await FakeRedis.start();
    const failures: RedisConnectionError[] = [];
    const watch = watchAt(redis.url, { failed: (error) => void failures.push(error) });
    try {
      await watch.ready();
      expect(redis.subscribes).toBe(1);
      redis.mute(); // the connections drop; the subscriber's reconnect subscribes again, unanswered, and Redis goes
      await waitFor(() => redis.subscribes === 2, 'the subscribe of the reconnect', 5000);
      // the subscribe given up (ioredis's retries of a command run out after a few reconnects) is heard as a failure to listen
      await waitFor(() => failures.some((error) => /listen for cancels/.test(error.message)), 'the failed subscribe to be heard', 5000);
    } finally {
      await watch.close(100);
      await redis.close();
    }
  });
});
