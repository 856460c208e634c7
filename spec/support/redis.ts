import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { servicesRequired } from './services';

/**
 * The specs' Redis: finds a server once per spec file (`redis://127.0.0.1:6379`;
 * `RXDAG_TEST_REDIS_URL` overrides) and gives the suite a key prefix of its own, whose keys are
 * deleted when the file is done. When no server answers, the suite does not run and says so
 * loudly: one passing test named "Redis not reachable at …: these tests did not run" and a
 * console warning, so `npm test` passes on a machine without Redis but never hides it.
 * Also starts servers of a spec's own (`redis-server` on a free port): a password-protected one,
 * and throwaway ones that a spec may freeze (SIGSTOP), kill and start again, for outages; never
 * the shared server, which other suites use at the same time.
 */

/** What a suite gets: where Redis is, a prefix of its own, and a client for checks. */
export interface RedisTestEnv {
  readonly url: string;
  /** `rxdag-test-<random>`: every key the suite makes starts with it; deleted after the suite. */
  readonly prefix: string;
  /** A client of the suite's own, for looking at keys and adding jobs by hand. */
  readonly client: Redis;
  /** Keys under the suite's prefix now. */
  keys(): Promise<string[]>;
}

/** Whether a server answered. */
export type RedisProbe =
  { readonly reachable: true; readonly url: string } | { readonly reachable: false; readonly url: string; readonly reason: string };

const PROBE_TIMEOUT_MS = 2000;

// runs in a child so that `describe` (synchronous) knows the answer before defining the tests
const PROBE_SCRIPT = `
const { Redis } = require(process.argv[1]);
const client = new Redis(process.argv[2], { connectTimeout: Number(process.argv[3]), maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
client.on('error', () => {});
client.connect().then(() => client.ping()).then(
  () => { process.stdout.write(JSON.stringify({ ok: true })); client.disconnect(); },
  (error) => { process.stdout.write(JSON.stringify({ reason: error.message || String(error) })); client.disconnect(); },
);
`;

let probed: RedisProbe | undefined;

/** Checks once (per spec file) whether the test server answers, with a short connect timeout. */
export function probeRedis(): RedisProbe {
  if (probed !== undefined) return probed;
  const url = process.env['RXDAG_TEST_REDIS_URL'] || 'redis://127.0.0.1:6379';
  const child = spawnSync(process.execPath, ['-e', PROBE_SCRIPT, require.resolve('ioredis'), url, String(PROBE_TIMEOUT_MS)], {
    encoding: 'utf8',
    timeout: PROBE_TIMEOUT_MS + 5000,
  });
  let answer: { ok?: boolean; reason?: string } = {};
  try {
    answer = JSON.parse(child.stdout) as typeof answer;
  } catch {
    answer = { reason: child.error?.message ?? (child.stderr.trim() || `probe exited with ${child.status}`) };
  }
  probed = answer.ok === true ? { reachable: true, url } : { reachable: false, url, reason: answer.reason ?? 'no answer' };
  return probed;
}

/**
 * A `describe` whose tests need Redis: `body` defines them with a {@link RedisTestEnv}.
 * Without a server, the suite is one test that says these tests did not run, passing unless
 * `RXDAG_REQUIRE_SERVICES=1` (`.ci/run`) says the server must be there.
 */
export function describeRedis(name: string, body: (env: RedisTestEnv) => void): void {
  const probe = probeRedis();
  if (!probe.reachable) {
    const message = `Redis not reachable at ${probe.url}: these tests did not run (${probe.reason})`;
    console.warn(`\n!!! ${name}: ${message}\n!!! start it (see .ci/run) or set RXDAG_TEST_REDIS_URL\n`);
    describe(name, () => {
      it(message, () => {
        // where the services must be there (CI, which made sure they are up), a suite not run fails
        expect({ reachable: probe.reachable, required: servicesRequired() }).toEqual({ reachable: false, required: false });
      });
    });
    return;
  }
  const prefix = `rxdag-test-${randomBytes(6).toString('hex')}`;
  const client = new Redis(probe.url, { maxRetriesPerRequest: 3 });
  client.on('error', () => undefined);
  const keys = async (): Promise<string[]> => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      found.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return found;
  };
  describe(name, () => {
    afterAll(async () => {
      const left = await keys();
      for (let start = 0; start < left.length; start += 500) await client.del(...left.slice(start, start + 500));
      await client.quit();
    });
    body({ url: probe.url, prefix, client, keys });
  });
}

/**
 * Gives each test of a `describeRedis` body a key prefix of its own (`<env.prefix>-1`, `-2`, …),
 * handed to `use` before the test, so one test's leftovers never reach the next.
 */
export function prefixPerTest(env: RedisTestEnv, use: (prefix: string) => void): void {
  let n = 0;
  beforeEach(() => use(`${env.prefix}-${++n}`));
}

/** A free TCP port on loopback (asked from the OS, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A `redis-server` of a spec's own on a free loopback port, no persistence. */
export interface OwnRedis {
  readonly port: number;
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  readonly child: ChildProcess;
  /** Stops answering, connections kept open (SIGSTOP), as a hung or overloaded server does. */
  freeze(): void;
  /** Answers again (SIGCONT). */
  thaw(): void;
  /** Kills the server (SIGKILL) and waits for it to exit: connections are refused from then on. */
  stop(): Promise<void>;
}

/** The Redis with a password of `startPasswordRedis`. */
export type PasswordRedis = OwnRedis;

/**
 * Every `redis-server` a spec started and that still runs: killed when the test process exits,
 * so that a test cut short (its time limit passed before its own clean-up ran) leaves none behind.
 */
const serversRunning = new Set<(signal: NodeJS.Signals) => void>();
process.once('exit', () => {
  for (const signal of serversRunning) signal('SIGKILL');
});
/** The longest a spec's `redis-server` lives, stopped or not. */
const SERVER_LIFETIME_S = 600;

/** How long a `redis-server` gets to say it is ready. */
const SERVER_START_MS = 10_000;

/** Why `redis-server` cannot be started here, or undefined when it can. */
export function redisServerMissing(): string | undefined {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8', timeout: SERVER_START_MS });
  if (probe.error !== undefined || probe.status !== 0)
    return `redis-server not runnable (${probe.error?.message ?? `exit ${probe.status}`})`;
  return undefined;
}

/**
 * Starts `redis-server` on `port` (a free one by default) with `args`, no persistence; resolves
 * once it accepts connections.
 */
export async function startRedisServer(args: readonly string[] = [], port?: number): Promise<OwnRedis> {
  const at = port ?? (await freePort());
  // in a process group of its own under `timeout`: signals go to the group, and a server whose
  // test process died without stopping it (a worker killed by jest) ends by itself
  const child = spawn(
    'timeout',
    [
      '-s',
      'KILL',
      String(SERVER_LIFETIME_S),
      'redis-server',
      ...['--port', String(at), '--bind', '127.0.0.1', ...args, '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // the group is gone already
    }
  };
  serversRunning.add(signal);
  child.once('exit', () => serversRunning.delete(signal));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) signal('SIGKILL'); // also ends a frozen one
    await exited;
  };
  const server: OwnRedis = {
    port: at,
    url: `redis://127.0.0.1:${at}`,
    child,
    freeze: () => signal('SIGSTOP'),
    thaw: () => signal('SIGCONT'),
    stop,
  };
  const deadline = Date.now() + SERVER_START_MS;
  for (;;) {
    if (/Ready to accept connections/i.test(output)) return server;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server on port ${at} did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Starts `redis-server --requirepass PASSWORD` on a free loopback port, no persistence; resolves once it answers. */
export function startPasswordRedis(password: string): Promise<PasswordRedis> {
  return startRedisServer(['--requirepass', password]);
}

/** What a test of {@link describeOwnRedis} gets. */
export interface OwnRedisEnv {
  /** The test's server. */
  redis(): OwnRedis;
  /** Starts a server again on the test's port (after `stop()`): Redis is back. */
  restart(): Promise<OwnRedis>;
}

/**
 * A `describe` whose tests each get a throwaway `redis-server` of their own, started before the
 * test and killed after it whatever happened (also when frozen). Without `redis-server`, the
 * suite is one passing test that says these tests did not run, and a console warning.
 */
export function describeOwnRedis(name: string, body: (env: OwnRedisEnv) => void): void {
  const missing = redisServerMissing();
  if (missing !== undefined) {
    const message = `${missing}: these tests did not run`;
    console.warn(`\n!!! ${name}: ${message}\n!!! install redis-server (apt-get install -y redis-server)\n`);
    describe(name, () => {
      it(message, () => {
        expect(missing).toBeDefined();
      });
    });
    return;
  }
  let current: OwnRedis | undefined;
  const started = new Set<OwnRedis>();
  describe(name, () => {
    beforeEach(async () => {
      current = await startRedisServer();
      started.add(current);
    }, SERVER_START_MS + 5000);
    afterEach(async () => {
      for (const server of started) await server.stop();
      started.clear();
    });
    afterAll(async () => {
      for (const server of started) await server.stop();
    });
    const redis = (): OwnRedis => {
      if (current === undefined) throw new Error('the throwaway Redis is not started (read it inside a test or hook)');
      return current;
    };
    body({
      redis,
      restart: async () => {
        const again = await startRedisServer([], redis().port);
        started.add(again);
        return again;
      },
    });
  });
}
