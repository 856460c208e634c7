/**
 * How the BullMQ integration reaches Redis: the `connection` option (a `redis://` / `rediss://`
 * URL or ioredis options, with the `tls` option over its TLS settings) turned into ioredis
 * options, the location messages name (password replaced by `***`), the redaction of every
 * message that leaves this package, the refusal of a Redis off loopback when no signing key
 * protects the workers, and one error, {@link RedisConnectionError}, for a Redis that cannot be
 * reached or refuses us, with a hint when the cause is a likely mistake in the URL (TLS on one
 * side only, a missing password).
 * It opens no connection (`commandConnection.ts` does) and does not know queues, jobs or agents.
 */
import { isIP } from 'node:net';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { RedisOptions as BullmqRedisOptions } from 'bullmq';
import type { Redis, RedisOptions } from 'ioredis';

/**
 * Where Redis is: a URL (`redis://[user:password@]host[:port][/db]`, `rediss://` for TLS) or
 * ioredis options (`{ host, port, password, tls, … }`). ioredis instances are not accepted:
 * schedulers and workers open several connections of their own (blocking reads, pub/sub). Options
 * that would keep those from working are refused when the agent or worker is made (a `TypeError`):
 * `keyPrefix` (the `prefix` option names keys), `lazyConnect: true`, `enableOfflineQueue: false`.
 * The type takes any ioredis options, so one object can serve BullMQ and rxdag alike.
 */
export type RedisConnection = string | RedisOptions;

/** A Redis that cannot be reached, refuses our credentials, or fails a command; never shows a password. */
export class RedisConnectionError extends Error {
  override readonly name = 'RedisConnectionError';
  /** Redis may come back: the task's retry policy applies. */
  readonly severity = 'error' as const;
  constructor(
    /** The redacted location, e.g. `redis://:***@10.0.0.5:6379/0`. */
    readonly location: string,
    /** What was being done, e.g. `add job "r|t|1" to queue "shell"`. */
    readonly action: string,
    /** The cause's message, passwords removed. */
    readonly reason: string,
  ) {
    super(`Redis at ${location}: cannot ${action}: ${reason}`);
  }
}

/**
 * The shortest password replaced wherever it appears in a text. A shorter one is replaced only
 * where a URL holds it (`user:PASSWORD@host`): elsewhere it is a piece of ordinary words and
 * numbers ("x" of "rxdag", "1" of 127.0.0.1), and replacing it there garbles every line while
 * hiding nothing a guess would not find.
 */
const MIN_FREE_TEXT_SECRET = 6;

const TLS_HINT = ' (the server hung up: if it expects TLS, use rediss://)';
const PLAIN_HINT = ' (no TLS handshake in time: if the server does not speak TLS, use redis://)';
/** A reply that is not in Redis's protocol, as ioredis 6's decoder and ioredis 5's redis-parser say it. */
const NOT_REDIS_PROTOCOL = /^(Unknown RESP type|Protocol error, got)\b/;

/** The resolved connection: options for every client, the location for messages, the secrets to redact. */
export class RedisTarget {
  /** `redis://user:***@host:port/db`: safe to print. */
  readonly location: string;
  private readonly secrets: readonly string[];

  constructor(
    readonly options: RedisOptions,
    /** Whether it speaks TLS, for the scheme of {@link location}. */
    private readonly tls: boolean,
    /** Whether a URL gave it (not ioredis options), for messages. */
    readonly fromUrl = false,
  ) {
    const { host = 'localhost', port = 6379, db = 0, username, password, path, sentinels, name, sentinelPassword } = options;
    // a user name without a password is most likely the password written without its colon (`redis://PASSWORD@host`)
    const secret = password ? password : (username ?? '');
    const auth = password ? `${username ?? ''}:***@` : username ? '***@' : '';
    const hostPort = (at: string, on: number) => `${at.includes(':') ? `[${at}]` : at}:${on}`;
    // through Sentinel: the sentinels asked for the master of `name`
    const where =
      sentinels != null
        ? `${sentinels.map((sentinel) => hostPort(sentinel.host ?? 'localhost', sentinel.port ?? 26379)).join(',')} (sentinels of ${name ?? 'mymaster'})`
        : path !== undefined
          ? `unix:${path}`
          : hostPort(host, port);
    this.location = `${tls ? 'rediss' : 'redis'}://${auth}${where}/${db}`;
    const secrets = [secret, sentinelPassword ?? ''].filter((one) => one !== '').flatMap((one) => [one, encodeURIComponent(one)]);
    // the longer first, so an encoded password is not half replaced by its decoded form
    this.secrets = [...new Set(secrets)].sort((a, b) => b.length - a.length);
  }

  /**
   * `text` with the password replaced by `***`: in a URL (`redis://:***@host`) always, elsewhere
   * when it has {@link MIN_FREE_TEXT_SECRET} characters or more.
   */
  redact(text: string): string {
    return this.secrets.reduce(
      (redacted, secret) =>
        secret.length >= MIN_FREE_TEXT_SECRET
          ? redacted.split(secret).join('***')
          : // in a URL: after the user name's colon, or as the user name itself (a password written without its colon)
            redacted.split(`:${secret}@`).join(':***@').split(`//${secret}@`).join('//***@'),
      text,
    );
  }

  /**
   * The error for a failure of `action`: names the redacted location, never a password.
   * `wasConnected`: the connection was up before (see {@link reasonOf}).
   */
  fail(action: string, error: unknown, wasConnected = false): RedisConnectionError {
    if (error instanceof RedisConnectionError) return error;
    return new RedisConnectionError(this.location, this.redact(action), this.reasonOf(error, wasConnected));
  }

  /**
   * Why `error` happened, passwords removed; a server that hangs up on a plain connection may
   * expect TLS, one that never completes a TLS handshake may not speak TLS (a plain Redis waits
   * for the end of a line that never comes), one that answers something else than Redis's
   * protocol is not Redis, and `NOAUTH` means the URL lacks the password. The TLS hints are for
   * a connection that never came up: one that was up (`wasConnected`) and drops is an outage.
   */
  reasonOf(error: unknown, wasConnected = false): string {
    const reason = this.redact(messageOf(error));
    const descriptors = NO_DESCRIPTORS.exec(reason)?.[1];
    if (descriptors !== undefined) return `no file descriptors left to connect with (${descriptors}): raise the limit, \`ulimit -n\``;
    if (NOT_REDIS_PROTOCOL.test(reason)) return "the server does not answer in Redis's protocol (is it a Redis server?)";
    if (/^NOAUTH\b/.test(reason)) {
      return `this Redis needs a password (NOAUTH): give it in the URL, ${this.tls ? 'rediss' : 'redis'}://:PASSWORD@HOST:PORT`;
    }
    if (/^WRONGPASS\b/.test(reason)) {
      const { username, password } = this.options;
      const userOnly =
        username && !password
          ? `: it gives a user name and no password; a password alone is written ${this.tls ? 'rediss' : 'redis'}://:PASSWORD@HOST`
          : '';
      return `this Redis refused the user name or password ${this.fromUrl ? 'of the URL' : 'given'} (${reason})${userOnly}`;
    }
    if (wasConnected || reason.endsWith(TLS_HINT) || reason.endsWith(PLAIN_HINT)) return reason;
    if (this.tls) return /\bETIMEDOUT\b/.test(reason) ? `${reason}${PLAIN_HINT}` : reason;
    return /\b(ECONNRESET|EPIPE)\b/.test(reason) ? `${reason}${TLS_HINT}` : reason;
  }

  /** The options for BullMQ's own connections (its `RedisOptions` type is its own, loosely typed, copy of ioredis's). */
  get bullmqOptions(): BullmqRedisOptions {
    return { ...this.options } as BullmqRedisOptions;
  }

  /**
   * Selects the database of the connection on `client`, rejecting when the server has none of
   * that number. Why: ioredis reports a failed `SELECT` only as an `error` event and goes on
   * with the commands, on database 0.
   */
  async selectDatabase(client: Redis): Promise<void> {
    const db = this.options.db ?? 0;
    if (db !== 0) await client.select(db);
  }

  /**
   * Whether every host this connects to is this machine (loopback address, `localhost`, or a unix
   * socket). Through Sentinel, the master is whichever the sentinels name: this machine only when
   * they are all on it, and even then not surely, so never.
   */
  get isLoopback(): boolean {
    if (this.options.sentinels != null) return false;
    if (this.options.path !== undefined) return true;
    return isLoopbackHost(this.options.host ?? 'localhost');
  }
}

/**
 * Reads `connection` into a {@link RedisTarget}, with `tls` (if given) over its TLS settings.
 * Throws a `TypeError` (with the password redacted) for a URL that is not `redis://` or
 * `rediss://`, options that are not an object, or `tls` with a `redis://` URL.
 */
export function redisTarget(connection: unknown, where: string, tls?: TlsOptions): RedisTarget {
  const target = connectionTarget(connection, where);
  if (tls === undefined) return target;
  if (typeof connection === 'string' && target.options.tls === undefined) {
    throw new TypeError(`${where}: \`tls\` needs a rediss:// URL (${target.location} connects in clear)`);
  }
  return new RedisTarget({ ...target.options, tls: { ...target.options.tls, ...tls } }, true, target.fromUrl);
}

function connectionTarget(connection: unknown, where: string): RedisTarget {
  if (typeof connection === 'string') return fromUrl(connection, where);
  if (typeof connection !== 'object' || connection === null || Array.isArray(connection)) {
    throw new TypeError(`${where}: \`connection\` must be a redis:// or rediss:// URL or ioredis options { host, port, … }`);
  }
  if (typeof (connection as { duplicate?: unknown }).duplicate === 'function') {
    throw new TypeError(
      `${where}: \`connection\` must be a URL or ioredis options, not a client instance (several connections are opened from it)`,
    );
  }
  const options = connection as RedisOptions;
  if (typeof options.keyPrefix === 'string' && options.keyPrefix !== '') {
    throw new TypeError(`${where}: ioredis \`keyPrefix\` is not supported; use the \`prefix\` option`);
  }
  // rxdag opens its connections itself and sends commands as soon as they are up
  if (options.lazyConnect === true) {
    throw new TypeError(`${where}: ioredis \`lazyConnect: true\` is not supported: rxdag opens its connections itself; leave it out`);
  }
  if (options.enableOfflineQueue === false) {
    throw new TypeError(
      `${where}: ioredis \`enableOfflineQueue: false\` is not supported: rxdag's first commands go out while a connection opens; leave it out`,
    );
  }
  return new RedisTarget({ ...options }, options.tls !== undefined);
}

function fromUrl(text: string, where: string): RedisTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // not echoed: a URL that does not parse may hold a password anywhere
    throw new TypeError(`${where}: \`connection\` is not a valid redis:// or rediss:// URL`);
  }
  const tls = url.protocol === 'rediss:';
  if (!tls && url.protocol !== 'redis:') {
    throw new TypeError(`${where}: \`connection\` must be a redis:// or rediss:// URL, got ${url.protocol}//…`);
  }
  // `redis:/:PW@host` parses as a path on localhost: the host is what was mistyped
  if (!/^rediss?:\/\//i.test(text)) {
    throw new TypeError(`${where}: \`connection\` must start with ${url.protocol}// and the host (${url.protocol}//HOST:PORT)`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const options: RedisOptions = { host, port: url.port === '' ? 6379 : Number(url.port) };
  const decoded = (part: string, name: string): string => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw new TypeError(`${where}: the ${name} in \`connection\` has a % escape that does not decode to text: write a % in it as %25`);
    }
  };
  if (url.username !== '') options.username = decoded(url.username, 'user name');
  if (url.password !== '') options.password = decoded(url.password, 'password');
  const db = url.pathname.replace(/^\//, '');
  if (db !== '') {
    // a path with `:` or `@` may be mistyped credentials: not echoed
    if (!/^\d+$/.test(db)) {
      const got = /[:@]/.test(db) ? '' : `, got "/${db}"`;
      throw new TypeError(`${where}: the database in \`connection\` must be a number${got}`);
    }
    options.db = Number(db);
  }
  // Node names the server by `host` already; an IP as SNI name is deprecated (a warning on stderr)
  if (tls) options.tls = isIP(host) === 0 ? { servername: host } : {};
  return new RedisTarget(options, tls, true);
}

/**
 * 127.0.0.0/8, ::1 (also IPv4-mapped), `localhost`. Not a name under `.localhost`: Node asks the
 * system's resolver for it, which may ask DNS, whose answer could point anywhere.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true;
  const v4 = bare.replace(/^::ffff:/, '');
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * Throws unless the connection is safe without a key: anyone who can write to a Redis off this
 * machine could make workers run commands, so without `key` only loopback is accepted, unless
 * `insecure` says the operator means it.
 */
export function assertSafeWithoutKey(target: RedisTarget, hasKey: boolean, insecure: boolean, where: string): void {
  if (hasKey || insecure || target.isLoopback) return;
  throw new TypeError(
    `${where}: refusing Redis at ${target.location} without a \`key\`: whoever can write to that Redis could make ` +
      'every worker run commands. Give schedulers and workers the same `key` (jobs are then signed and checked), ' +
      'or pass `insecure: true` if this Redis is trusted.',
  );
}

/**
 * Whether `reason` (as {@link RedisTarget.reasonOf} words it) says Redis refused the credentials:
 * `NOAUTH` (it needs a password the connection does not give) or `WRONGPASS` (wrong user name or
 * password). Trying again sends the same credentials: only a change of the URL or of the server fixes it.
 */
export function refusesCredentials(reason: string): boolean {
  return /\b(NOAUTH|WRONGPASS)\b/.test(reason);
}

/** What `reasonOf` says of a connection this process had no file descriptor left for. */
const NO_DESCRIPTORS = /\b(EMFILE|ENFILE)\b/;

/**
 * Whether a worker that meets `reason` while it starts should give up rather than wait: Redis
 * refused its credentials, or this process has no file descriptors left to connect with (none of
 * its tasks runs yet to give any back).
 */
export function stopsStart(reason: string): boolean {
  return refusesCredentials(reason) || NO_DESCRIPTORS.test(reason);
}

/** Whether `reason` is what Redis answers a `SELECT` of a database it does not have (Redis 7; older servers): reached, and refused. */
export function lacksDatabase(reason: string): boolean {
  return /DB index is out of range|invalid DB index/i.test(reason);
}

/** The message of anything thrown; an `AggregateError` (refused IPv4 and IPv6 connect) by its parts. */
export function messageOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { message, code, errors } = error as { message?: unknown; code?: unknown; errors?: unknown };
  let text = typeof message === 'string' ? message : '';
  if (text === '' && Array.isArray(errors)) text = errors.map(messageOf).join('; ');
  if (text === '') text = typeof code === 'string' ? code : String(error);
  return text;
}
