import { remoteAgent, startWorker } from '../../src/bullmq/index';
import { olderThan } from '../../src/bullmq/bullmqVersion';
import { isLoopbackHost, redisTarget } from '../../src/bullmq/redisConnection';
import { describeValue } from '../../src/dag/text';

const KEY = 'k'.repeat(32);
const noAgents = { sleep: () => undefined };

describe('Redis connection options', () => {
  it('should read a redis:// URL with user, password and database', () => {
    const target = redisTarget('redis://alice:p%40ss@example.com:6380/2', 'test');
    expect(target.options).toMatchObject({ host: 'example.com', port: 6380, username: 'alice', password: 'p@ss', db: 2 });
    expect(target.location).toBe('redis://alice:***@example.com:6380/2');
  });

  it('should turn on TLS for rediss:// URLs', () => {
    const target = redisTarget('rediss://:secret@cache.internal:6390', 'test');
    expect(target.options.tls).toEqual({ servername: 'cache.internal' });
    expect(target.location).toBe('rediss://:***@cache.internal:6390/0');
  });

  it('should leave the server name of a rediss:// URL with an IP address to Node (an IP is no SNI name)', () => {
    expect(redisTarget('rediss://127.0.0.1:6390', 'test').options.tls).toEqual({});
    expect(redisTarget('rediss://[::1]:6390', 'test').options.tls).toEqual({});
  });

  it('should lay the `tls` option over the TLS settings of a rediss:// URL or ioredis options', () => {
    const ca = '-----BEGIN CERTIFICATE-----';
    const fromUrl = redisTarget('rediss://:secret@cache.internal:6390', 'test', { ca });
    expect(fromUrl.options.tls).toEqual({ servername: 'cache.internal', ca });
    expect(fromUrl.location).toBe('rediss://:***@cache.internal:6390/0');
    const fromOptions = redisTarget({ host: 'cache.internal', tls: { servername: 'other', ca: 'old' } }, 'test', { ca });
    expect(fromOptions.options.tls).toEqual({ servername: 'other', ca });
    expect(redisTarget({ host: 'cache.internal' }, 'test', { ca }).location).toBe('rediss://cache.internal:6379/0');
  });

  it('should refuse the `tls` option with a redis:// URL, and a `tls` that is not an object', () => {
    expect(() => redisTarget('redis://:secret@127.0.0.1:6390', 'test', { ca: 'x' })).toThrow(
      'test: `tls` needs a rediss:// URL (redis://:***@127.0.0.1:6390/0 connects in clear)',
    );
    expect(() => remoteAgent({ connection: 'rediss://127.0.0.1', queue: 'q', tls: 'ca.pem' } as never)).toThrow(
      'remoteAgent: `tls` must be an object of TLS options, e.g. { ca }',
    );
  });

  it('should say a server that hangs up on a plain connection may expect TLS, once', () => {
    const plain = redisTarget('redis://127.0.0.1:6390', 'test');
    const hinted = plain.reasonOf(new Error('read ECONNRESET'));
    expect(hinted).toBe('read ECONNRESET (the server hung up: if it expects TLS, use rediss://)');
    expect(plain.reasonOf(hinted)).toBe(hinted);
    expect(plain.reasonOf(new Error('connect ECONNREFUSED 127.0.0.1:6390'))).toBe('connect ECONNREFUSED 127.0.0.1:6390');
    expect(redisTarget('rediss://127.0.0.1:6390', 'test').reasonOf(new Error('read ECONNRESET'))).toBe('read ECONNRESET');
  });

  it('should say a rediss:// client whose handshake never ends may be talking to a plain Redis, once', () => {
    const secure = redisTarget('rediss://127.0.0.1:6390', 'test');
    const hinted = secure.reasonOf(new Error('connect ETIMEDOUT'));
    expect(hinted).toBe('connect ETIMEDOUT (no TLS handshake in time: if the server does not speak TLS, use redis://)');
    expect(secure.reasonOf(hinted)).toBe(hinted);
    expect(redisTarget('redis://127.0.0.1:6390', 'test').reasonOf(new Error('connect ETIMEDOUT'))).toBe('connect ETIMEDOUT');
  });

  it('should give no TLS hint for a connection that was up and dropped (an outage)', () => {
    expect(redisTarget('redis://127.0.0.1:6390', 'test').reasonOf(new Error('read ECONNRESET'), true)).toBe('read ECONNRESET');
  });

  it('should say a server that does not answer in the Redis protocol may be no Redis, as ioredis 6 and ioredis 5 report it', () => {
    const target = redisTarget('redis://127.0.0.1:6390', 'test');
    for (const said of ['Unknown RESP type 72 "H"', 'Protocol error, got "H" as reply type byte. Please report this.']) {
      expect(target.reasonOf(new Error(said))).toBe("the server does not answer in Redis's protocol (is it a Redis server?)");
    }
  });

  it('should refuse the ioredis options that would keep its connections from working', () => {
    expect(() => remoteAgent({ connection: { host: '127.0.0.1', lazyConnect: true }, queue: 'q' })).toThrow(
      new TypeError('remoteAgent: ioredis `lazyConnect: true` is not supported: rxdag opens its connections itself; leave it out'),
    );
    const worker = { agents: { q: () => 1 }, concurrency: 1, leaseMs: 1000 };
    expect(() => startWorker({ ...worker, connection: { host: '127.0.0.1', enableOfflineQueue: false } })).toThrow(
      /ioredis `enableOfflineQueue: false` is not supported: rxdag's first commands go out while a connection opens; leave it out/,
    );
  });

  it('should say a Redis that answers NOAUTH needs a password in the URL', () => {
    const noauth = new Error(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used',
    );
    expect(redisTarget('redis://127.0.0.1:6390', 'test').reasonOf(noauth)).toBe(
      'this Redis needs a password (NOAUTH): give it in the URL, redis://:PASSWORD@HOST:PORT',
    );
    expect(redisTarget('rediss://127.0.0.1:6390', 'test').fail('reach queue "q"', noauth).message).toBe(
      'Redis at rediss://127.0.0.1:6390/0: cannot reach queue "q": this Redis needs a password (NOAUTH): give it in the URL, rediss://:PASSWORD@HOST:PORT',
    );
  });

  it('should redact the password, raw and URL-encoded, from any text', () => {
    const target = redisTarget('redis://:s3cr%2Ft!@127.0.0.1:6379', 'test');
    expect(target.redact('auth s3cr/t! failed, url redis://:s3cr%2Ft!@host')).toBe('auth *** failed, url redis://:***@host');
  });

  it('should refuse other URL schemes without echoing the password', () => {
    expect(() => redisTarget('http://:hunter22@x:1', 'test')).toThrow(/redis:\/\/ or rediss:\/\//);
    expect(() => redisTarget('redis//:hunter22@@', 'test')).toThrow(TypeError);
    try {
      redisTarget('::not a url hunter22@x', 'test');
    } catch (error) {
      expect(String(error)).not.toContain('hunter22');
    }
  });

  it('should know loopback hosts', () => {
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(host)).toBe(true);
    // a name under .localhost goes to the system's resolver, which may ask DNS
    for (const host of ['10.0.0.5', 'redis', 'example.com', '128.0.0.1', '::2', 'redis.localhost'])
      expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('remoteAgent and startWorker options', () => {
  it('should refuse a Redis off loopback without a key, saying why', () => {
    expect(() => remoteAgent({ connection: 'redis://:pw12345@10.1.2.3:6379', queue: 'shell' })).toThrow(
      /remoteAgent: refusing Redis at redis:\/\/:\*\*\*@10\.1\.2\.3:6379\/0 without a `key`: whoever can write to that Redis could make every worker run commands/,
    );
    expect(() => startWorker({ connection: { host: 'redis.internal' }, agents: noAgents, concurrency: 1, leaseMs: 1000 })).toThrow(
      /startWorker: refusing Redis at redis:\/\/redis\.internal:6379\/0 without a `key`/,
    );
    // through Sentinel: the master is whichever the sentinels name, named as such, its password kept out
    const sentinels = { sentinels: [{ host: '10.0.0.5', port: 26379 }, { host: '127.0.0.1' }], name: 'main', sentinelPassword: 'sent1nel' };
    expect(() => remoteAgent({ connection: sentinels, queue: 'shell' })).toThrow(
      /^remoteAgent: refusing Redis at redis:\/\/10\.0\.0\.5:26379,127\.0\.0\.1:26379 \(sentinels of main\)\/0 without a `key`/,
    );
    expect(() => startWorker({ connection: sentinels, agents: noAgents, concurrency: 1, leaseMs: 1000 })).toThrow(/without a `key`/);
    expect(redisTarget(sentinels, 'test').redact('auth sent1nel failed')).toBe('auth *** failed');
  });

  it('should accept a Redis off loopback with a key or insecure: true', () => {
    expect(() => remoteAgent({ connection: 'redis://10.1.2.3:6379', queue: 'shell', key: KEY })).not.toThrow();
    expect(() => remoteAgent({ connection: 'redis://10.1.2.3:6379', queue: 'shell', insecure: true })).not.toThrow();
  });

  it('should refuse a key shorter than 16 bytes', () => {
    expect(() => remoteAgent({ connection: 'redis://127.0.0.1', queue: 'q', key: 'short' })).toThrow(
      /`key` must be at least 16 bytes \(got 5\)/,
    );
  });

  it('should name every bad option', () => {
    expect(() => remoteAgent({ connection: 'redis://127.0.0.1', queue: 'a:b', leaseMs: -1 } as never)).toThrow(
      /remoteAgent: `queue` must not contain `:` or whitespace \(got "a:b"\); `leaseMs` must be at least 50 ms \(got -1\)$/,
    );
    expect(() =>
      startWorker({ connection: 'redis://127.0.0.1', agents: noAgents, concurrency: 0, leaseMs: 1000, bogus: 1 } as never),
    ).toThrow(/startWorker: .*`concurrency`.*|startWorker: .*bogus/);
  });

  it('should name what each option must be and what it was, never a key, and the option a misspelt one meant', () => {
    const connection = 'redis://127.0.0.1';
    expect(() => remoteAgent({ connection, queue: 'q', capacity: 0 })).toThrow(
      new TypeError('remoteAgent: `capacity` must be a positive integer or Infinity (got 0)'),
    );
    expect(() => remoteAgent({ connection, queue: 'q', maxLeaseLosses: 1.5 })).toThrow(
      new TypeError('remoteAgent: `maxLeaseLosses` must be an integer from 0 to 1000 (got 1.5)'),
    );
    expect(() => remoteAgent({ connection, queue: 'q', leaseMS: 100 } as never)).toThrow(
      new TypeError('remoteAgent: unknown option `leaseMS` (did you mean `leaseMs`?)'),
    );
    expect(() => remoteAgent({ connection, queue: 'q', key: 1234567890 as never })).toThrow(
      new TypeError('remoteAgent: `key` must be a string or a Buffer'),
    );
    // TLS settings are never quoted (they may hold a private key), nor is a connection
    expect(() => remoteAgent({ connection, queue: 'q', tls: '-----BEGIN PRIVATE KEY-----\nMIIE' as never })).toThrow(
      new TypeError('remoteAgent: `tls` must be an object of TLS options, e.g. { ca }'),
    );
    expect(() => remoteAgent({ redis: 'redis://:S3cretPW@h', queue: 'q' } as never)).toThrow(
      new TypeError(
        'remoteAgent: `connection` is required: a redis:// or rediss:// URL, or ioredis options; unknown option `redis` (did you mean `connection`?)',
      ),
    );
    // a Redis URL given for a name: shown without its password
    expect(() => remoteAgent({ connection, queue: 'redis://:S3cretPW@redis.example.com:6379' })).toThrow(
      new TypeError('remoteAgent: `queue` must not contain `:` or whitespace (got "redis://:***@redis.example.com:6379")'),
    );
    expect(() =>
      startWorker({ connection, agents: noAgents, concurrency: 1, leaseMs: 1000, queues: [], insecure: 'yes' } as never),
    ).toThrow(
      new TypeError('startWorker: `insecure` must be true or false (got "yes"); `queues` must name at least one queue (got an array)'),
    );
  });

  it('should say what is wrong with a lease, a prefix or a queue, and only that', () => {
    const worker = (leaseMs: unknown) => () =>
      startWorker({ connection: 'redis://127.0.0.1', agents: noAgents, concurrency: 1, leaseMs } as never);
    expect(worker(10)).toThrow(new TypeError('startWorker: `leaseMs` must be at least 50 ms (got 10)'));
    expect(worker('10')).toThrow(new TypeError('startWorker: `leaseMs` must be a number of milliseconds (got "10")'));
    // left out: said to be required, not to be of the wrong kind
    expect(worker(undefined)).toThrow(new TypeError('startWorker: `leaseMs` is required (a number of milliseconds)'));
    expect(() => startWorker({ connection: 'redis://127.0.0.1', agents: noAgents, leaseMs: 1000 } as never)).toThrow(
      new TypeError('startWorker: `concurrency` is required (a positive integer)'),
    );
    expect(() => remoteAgent({ connection: 'redis://127.0.0.1', queue: 'q', prefix: '' })).toThrow(
      new TypeError('remoteAgent: `prefix` must not be empty (got "")'),
    );
    // lengths in characters: 200 emoji are 400 UTF-16 units
    expect(() => remoteAgent({ connection: 'redis://127.0.0.1', queue: '🚀'.repeat(201) })).toThrow(
      new TypeError(`remoteAgent: \`queue\` must be at most 200 characters (got ${describeValue('🚀'.repeat(201))})`),
    );
    expect(() =>
      startWorker({ connection: 'redis://127.0.0.1', agents: noAgents, concurrency: 1, leaseMs: 10, name: '🚀'.repeat(200) }),
    ).toThrow(new TypeError('startWorker: `leaseMs` must be at least 50 ms (got 10)'));
    expect(() =>
      startWorker({ connection: 'redis://127.0.0.1', agents: noAgents, concurrency: 1, leaseMs: 10, name: '🚀'.repeat(201) }),
    ).toThrow(
      new TypeError(
        `startWorker: \`leaseMs\` must be at least 50 ms (got 10); \`name\` must be at most 200 characters (got ${describeValue('🚀'.repeat(201))})`,
      ),
    );
    expect(() => remoteAgent({ connection: 'redis://127.0.0.1', queue: '', prefix: 'a b' })).toThrow(
      new TypeError(
        'remoteAgent: `prefix` must be printable ASCII without whitespace (Redis names its connections after it) (got "a b"); `queue` must not be empty (got "")',
      ),
    );
  });

  it('should refuse an agent whose name cannot name its queue, naming the option, unless `allow` leaves it out', () => {
    const agents = { 'g:pu': () => 1, '': () => 2, 'big model': () => 3, cpu: () => 4 };
    expect(() => startWorker({ connection: 'redis://127.0.0.1', agents, concurrency: 1, leaseMs: 1000 })).toThrow(
      new TypeError(
        'startWorker: `agents` names "g:pu", "", which cannot name a queue (a job\'s queue is named like its agent, and BullMQ refuses ' +
          'an empty queue name or one with `:`): rename the agent, or leave it out with `allow`',
      ),
    );
    const worker = startWorker({
      connection: 'redis://127.0.0.1:1', // no Redis needed: it is closed before it connects
      agents,
      allow: ['cpu', 'big model'], // a name with a space names a queue
      concurrency: 1,
      leaseMs: 1000,
      onLog: () => undefined,
    });
    return worker.close({ force: true });
  });

  it('should serve a queue named twice in `allow` or `queues` once (one BullMQ worker of `concurrency`, not two)', async () => {
    const agents = { shell: () => 1, sleep: () => 2 };
    const start = (more: { allow?: string[]; queues?: string[] }) =>
      startWorker({ connection: 'redis://127.0.0.1:1', agents, ...more, concurrency: 1, leaseMs: 1000, onLog: () => undefined });
    const workers = [start({ allow: ['shell', 'shell'] }), start({ queues: ['sleep', 'shell', 'sleep'] })];
    expect(workers.map((worker) => worker.queues)).toEqual([['shell'], ['sleep', 'shell']]);
    await Promise.all(workers.map((worker) => worker.close({ force: true })));
  });

  it('should refuse an `allow` that names no agent of the worker, naming it and the agents there are', () => {
    const agents = { shell: () => 1, sleep: () => 2 };
    const start = (allow: string[]) => () => startWorker({ connection: 'redis://127.0.0.1', agents, allow, concurrency: 1, leaseMs: 1000 });
    expect(start(['shel'])).toThrow(
      new TypeError('startWorker: `allow` names an agent "shel" that `agents` does not have (it has: shell, sleep)'),
    );
    expect(start(['shell', 'gpu', 'zzz'])).toThrow(
      new TypeError('startWorker: `allow` names agents "gpu", "zzz" that `agents` does not have (it has: shell, sleep)'),
    );
  });

  it('should refuse to start on a BullMQ older than it needs, naming it, before any BullMQ worker exists', () => {
    jest.isolateModules(() => {
      jest.doMock('bullmq/package.json', () => ({ version: '6.3.16' }));
      const isolated = require('../../src/bullmq/startWorker') as typeof import('../../src/bullmq/startWorker');
      expect(() =>
        isolated.startWorker({ connection: 'redis://127.0.0.1:1', agents: { a: () => 1 }, concurrency: 1, leaseMs: 1000 }),
      ).toThrow(new TypeError('startWorker: the bullmq installed (6.3.16) is older than rxdag needs (6.7 or later): npm install bullmq@6'));
    });
    expect(olderThan('5.81.5', [6, 7])).toBe(true);
    expect(olderThan('6.7.0', [6, 7])).toBe(false);
    expect(olderThan('7.0.0-beta.1', [6, 7])).toBe(false);
  });

  it('should give the scheduler a plain agent spec that passes its option check', () => {
    const agent = remoteAgent({ connection: 'redis://127.0.0.1', queue: 'q', capacity: 4 });
    expect(Object.keys(agent).sort()).toEqual(['capacity', 'create', 'dispose', 'idleMs', 'maxInstances', 'run']);
    expect(typeof agent.close).toBe('function');
  });
});
