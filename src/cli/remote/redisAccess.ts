/**
 * The checks a remote command makes before it runs anything: the `--redis` URL is a `redis://`
 * or `rediss://` URL, a Redis off this machine has a key (or `--insecure`), and Redis answers
 * within a few seconds, its credentials accepted, the commands BullMQ needs allowed (INFO,
 * scripts) and the keys of each queue the command uses readable and writable (an ACL may keep
 * its user to other keys, or to reading them). Each failure is one line naming the Redis
 * with its password redacted (exit 2). Loaded only with `--redis`: it imports the BullMQ integration
 * and the Redis client. It keeps no connection open.
 */
import { Redis } from 'ioredis';
import { lacksDatabase, messageOf, redisTarget, type RedisTarget, refusesCredentials } from '../../bullmq/redisConnection';
import { saysRedisAway } from '../../bullmq/redisAway';
import { cancelChannel } from '../../bullmq/cancelSignals';
import { InvalidInputError } from '../problems';
import { credentialsAsGiven, KEY_VARIABLE, PASSWORD_VARIABLE, redisUrlProblem, type RemoteSettings } from './remoteOptions';

/** How long Redis gets to accept a connection and answer a PING. */
const PROBE_TIMEOUT_MS = 5000;

/** A note's check gets as long: a Redis that answered the probe but not the check gives no note rather than hold the command. */
const NOTE_LIMITS = { connectTimeout: PROBE_TIMEOUT_MS, commandTimeout: PROBE_TIMEOUT_MS };

/**
 * The Redis of `settings`, checked and answering; throws `InvalidInputError` (one line, no
 * password) for a bad URL, a Redis off loopback without a key or `--insecure`, or a Redis that
 * cannot be reached, refuses the credentials, or keeps its user from the keys of one of `queues`.
 */
export async function reachRedis(settings: RemoteSettings, queues: readonly string[]): Promise<RedisTarget> {
  const target = parseRedisUrl(settings.url);
  if (settings.key === undefined && !settings.insecure && !target.isLoopback) {
    refuse(
      `refusing Redis at ${target.location} without a key: it is not on this machine, and whoever can write to it could make every worker run commands. ` +
        `Give schedulers and workers the same key (--key-file PATH or ${KEY_VARIABLE}; make one with: openssl rand -hex 32 > worker.key), ` +
        'or pass --insecure if this Redis is trusted',
    );
  }
  await probe(target, settings.passwordFromEnv === true, { prefix: settings.prefix, queues });
  return target;
}

function parseRedisUrl(url: string): RedisTarget {
  // refused before, with the other options (`remoteOptions.ts`): checked again for callers that did not
  const problem = redisUrlProblem(url);
  return problem === undefined ? redisTarget(url, '--redis') : refuse(problem);
}

/** Node's words for a server certificate no CA it knows signed. */
const UNTRUSTED_CERTIFICATE = /self[- ]signed certificate|unable to get local issuer certificate|unable to verify the first certificate/i;

/** A Redis that refuses connections (restarting) is tried again this often, within {@link PROBE_TIMEOUT_MS}. */
const PROBE_AGAIN_MS = 250;

/** The queues a command will use, under their prefix: the keys the probe reaches for. */
interface ProbedKeys {
  readonly prefix: string;
  readonly queues: readonly string[];
}

/** A key of `queue` that the probe was refused (an ACL keeping the user to other keys). */
class QueueDenied {
  constructor(
    readonly queue: string,
    readonly error: unknown,
  ) {}
}

/**
 * Connects, selects the URL's database, sends PING and reads a key of each queue, bounded in
 * time; a Redis that is away for a moment (refusing connections while it restarts) is tried
 * again until then, one that refuses the credentials, the keys or answers something else is not.
 */
async function probe(target: RedisTarget, passwordFromEnv: boolean, keys: ProbedKeys): Promise<void> {
  const deadline = Date.now() + PROBE_TIMEOUT_MS;
  for (;;) {
    const failure = await probeOnce(target, keys);
    if (failure === undefined) return;
    if (!saysRedisAway(target.fail('reach it', failure)) || Date.now() + PROBE_AGAIN_MS > deadline) {
      return refuseProbe(target, failure, passwordFromEnv, keys.prefix);
    }
    await new Promise((resolve) => setTimeout(resolve, PROBE_AGAIN_MS));
  }
}

function refuseProbe(target: RedisTarget, failure: unknown, passwordFromEnv: boolean, prefix: string): never {
  if (failure instanceof QueueDenied) {
    // an ACL user kept to other keys: every attempt would fail the same way
    const keys = `${prefix}:${failure.queue}:*`;
    refuse(
      `Redis at ${target.location}: its user may not use the keys of queue ${JSON.stringify(failure.queue)} of prefix ${JSON.stringify(prefix)} (${target.reasonOf(failure.error)}): allow it ~${keys} in its ACL, or give the prefix it may use (--redis-prefix)`,
    );
  }
  const said = target.reasonOf(failure);
  if (/^READONLY\b/.test(said)) refuse(`Redis at ${target.location} is a read-only replica (${said}): give the URL of its primary`);
  if (/^NOPERM\b/.test(said))
    refuse(`Redis at ${target.location}: its user may not run a command rxdag needs (${said}): allow it in its ACL`);
  const reason = credentialsAsGiven(passwordFromEnv, target.options.username)(said);
  // the command line has a way to give the password that the library's words do not know
  const orVariable = reason.includes('(NOAUTH)')
    ? ` (or in ${PASSWORD_VARIABLE}, which ps does not show)`
    : UNTRUSTED_CERTIFICATE.test(reason)
      ? ' (a certificate from a private CA is trusted with NODE_EXTRA_CA_CERTS=ca.pem)'
      : '';
  // reached, and refused: not a matter of reaching it
  const reached = refusesCredentials(reason) || lacksDatabase(reason);
  refuse(`${reached ? 'Redis at' : 'cannot reach Redis at'} ${target.location}: ${reason}${orVariable}`);
}

/**
 * One try of {@link probe}: what went wrong, or undefined when Redis answered, for a key of each
 * of the queues too (a `QueueDenied` when an ACL keeps the user from one).
 */
async function probeOnce(target: RedisTarget, keys: ProbedKeys): Promise<unknown> {
  const client = probeClient(target, { lazyConnect: true, connectTimeout: PROBE_TIMEOUT_MS });
  // the connection's own error says why better than the rejection ("Connection is closed.")
  let connectionError: unknown;
  client.on('error', (error: unknown) => (connectionError ??= error));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    const noAnswerWithin = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    };
    // ioredis's connectTimeout bounds the connection (a TLS handshake too) and says why it failed;
    // from the connection on, this bounds the answers. The first is a backstop: a timer racing
    // ioredis's own would, on a busy event loop, hide its diagnosis (a TLS URL to a plain Redis)
    noAnswerWithin(2 * PROBE_TIMEOUT_MS);
    client.once('connect', () => noAnswerWithin(PROBE_TIMEOUT_MS));
  });
  try {
    await Promise.race([
      client
        .connect()
        .then(() => target.selectDatabase(client))
        .then(() => client.ping())
        .then(() => reachQueues(client, keys)),
      timeout,
    ]);
    return undefined;
  } catch (error) {
    return connectionError ?? error;
  } finally {
    clearTimeout(timer);
    // a connection already ended (refused, wrong password) has nothing to close: ioredis would
    // start a 2 s timer on its closed socket, keeping the caller's process alive for nothing
    if (client.status !== 'end') client.disconnect();
  }
}

/**
 * Asks what BullMQ asks first (INFO, for the server's version), then, for each queue, reads a
 * key (its `meta`) and writes one from a script (a time limit on a key no one makes, which
 * changes nothing): an ACL may keep the user to other keys, to reading them, or from scripts.
 */
async function reachQueues(client: Redis, { prefix, queues }: ProbedKeys): Promise<void> {
  await client.info('server');
  for (const queue of queues) {
    try {
      await client.exists(`${prefix}:${queue}:meta`);
      await client.eval(WRITE_PROBE, 1, `${prefix}:${queue}:rxdag-probe`);
    } catch (error) {
      // a command the user may not run is no matter of keys: said as Redis says it
      throw /^NOPERM\b.*\bkeys?\b/.test(messageOf(error)) ? new QueueDenied(queue, error) : error;
    }
  }
}

/** A write to a key that does not exist (its time limit set, which does nothing), from a script, as BullMQ's writes are. */
const WRITE_PROBE = "return redis.call('pexpire', KEYS[1], 1)";

/**
 * A note (without the line's `rxdag:` or worker name) when Redis evicts any key once it is full (`maxmemory-policy allkeys-…`): an evicted
 * job fails its attempt as gone from Redis, and BullMQ requires `noeviction`. Undefined for
 * another policy, or when Redis does not say. Opens its own short connection.
 */
export async function evictionNote(target: RedisTarget): Promise<string | undefined> {
  const client = probeClient(target, NOTE_LIMITS);
  client.on('error', () => undefined);
  try {
    const policy = /^maxmemory_policy:(\S+)/m.exec(await client.info('memory'))?.[1];
    if (policy === undefined || !policy.startsWith('allkeys-')) return undefined;
    return `note: Redis at ${target.location} evicts keys when it is full (maxmemory-policy ${policy}): a job it evicts fails its attempt as gone from Redis; give it maxmemory-policy noeviction`;
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

/**
 * A note when the URL's user may not publish on the prefix's cancel channel (an ACL without
 * `&PREFIX:rxdag-cancel`): cancels then reach workers by their poll of the cancel keys, within a
 * third of their lease, not at once. Publishes an empty message, which workers ignore (a cancel
 * names a job). Undefined when it may, or when Redis does not say (the run's own errors will).
 */
export async function cancelChannelNote(target: RedisTarget, prefix: string): Promise<string | undefined> {
  const client = probeClient(target, NOTE_LIMITS);
  client.on('error', () => undefined);
  try {
    await target.selectDatabase(client);
    await client.publish(cancelChannel(prefix), '');
    return undefined;
  } catch (error) {
    const said = target.reasonOf(error);
    if (!/^NOPERM\b/.test(said)) return undefined;
    return `rxdag: note: Redis at ${target.location}: its user may not publish on ${cancelChannel(prefix)} (${said}): cancels and timeouts reach the workers by their poll, within a third of their lease, not at once; allow it &${cancelChannel(prefix)} in its ACL`;
  } finally {
    client.disconnect();
  }
}

/**
 * A client for one check: no command queued for a connection that is not there, no reconnect,
 * and no ready check of ioredis's own (its INFO, refused by an ACL, would warn on stderr before
 * the check says what is wrong in one line).
 */
function probeClient(
  target: RedisTarget,
  options: { lazyConnect?: boolean; connectTimeout?: number; commandTimeout?: number } = {},
): Redis {
  return new Redis({
    ...target.options,
    ...options,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableReadyCheck: false,
    connectionName: 'rxdag-probe',
  });
}

function refuse(message: string): never {
  throw new InvalidInputError([{ message }]);
}
