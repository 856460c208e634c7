/**
 * The options of `remoteAgent` and `startWorker`, their defaults, and one check of each that
 * throws a `TypeError` naming every bad option. Also the check both sides share: a key of at
 * least 16 bytes, or a Redis on loopback, or `insecure: true`. Does not open connections.
 */
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { z } from 'zod';
import { characterCount, describeValue, unknownOptionMessage } from '../dag/text';
import type { AgentDefinition } from '../index';
import { namesConnections } from './connectionName';
import { DEFAULT_PREFIX } from './jobFormat';
import { assertSafeWithoutKey, type RedisConnection, type RedisConnectionError, redisTarget, type RedisTarget } from './redisConnection';
import { keyBytes, type SigningKey } from './signing';
import { withoutPassword } from '../urlCredentials';

/** Options shared by schedulers and workers. */
interface SharedOptions {
  /** Where Redis is: a `redis://`/`rediss://` URL (password allowed: it is never shown) or ioredis options. */
  readonly connection: RedisConnection;
  /**
   * TLS settings (Node's `tls.connect` options) over those of a `rediss://` URL or of ioredis
   * options, turning TLS on for the latter; e.g. `{ ca: readFileSync('redis-ca.pem') }` to trust
   * a private CA (`NODE_EXTRA_CA_CERTS` does that for a whole process). The server's certificate
   * is verified unless these settings say otherwise. Refused with a `redis://` URL.
   * @default undefined (a `rediss://` URL trusts Node's CAs)
   */
  readonly tls?: TlsOptions | undefined;
  /** Prefix of every Redis key. @default 'rxdag' */
  readonly prefix?: string | undefined;
  /**
   * The key schedulers and workers share (at least 16 bytes). Jobs are signed with it and
   * workers refuse any job that is not; results are signed back. A worker without a key refuses
   * signed jobs (it cannot check them). The surrounding whitespace of a key written as text is
   * left out, as `--key-file` leaves it out, so a key read from a file (`readFileSync('worker.key')`,
   * newline and all) matches the CLI's; random bytes (`randomBytes(32)`) are used as they are.
   * @default undefined (unsigned)
   */
  readonly key?: SigningKey | undefined;
  /** Accept a Redis off loopback without a `key` (whoever can write to it can run commands on workers). @default false */
  readonly insecure?: boolean | undefined;
  /**
   * How long a worker's hold on a running attempt lasts without renewal; a worker renews it every
   * third of it. A cancel reaches a running attempt within this time. At least 50. @default 30000
   */
  readonly leaseMs?: number | undefined;
  /** Lapsed leases an attempt survives (it is re-run elsewhere), 0 to 1000; one more fails it with `WorkerLostError`. @default 1 */
  readonly maxLeaseLosses?: number | undefined;
}

/** A remote agent's connection to Redis went down, or came back (`RemoteAgentOptions.onConnectionChange`). */
export interface RedisConnectionChange {
  /** The agent's queue. */
  readonly queue: string;
  /** Whether it is connected now. */
  readonly connected: boolean;
  /** Why it went down (no password in it); only when not `connected`. */
  readonly error?: RedisConnectionError | undefined;
}

/** Options of {@link remoteAgent}. */
export interface RemoteAgentOptions extends SharedOptions {
  /** The BullMQ queue of this agent kind, and the agent's name on workers (no `:`). */
  readonly queue: string;
  /** A signed job a worker has not started after this long (plus the task's timeout) is refused. @default 3600000 */
  readonly signatureTtlMs?: number | undefined;
  /**
   * How old a finished job no scheduler removed (one that died, a run never resumed) must be for
   * BullMQ to remove it, in ms (at least 1000); BullMQ does so only when a later job of the queue finishes. @default 86400000
   */
  readonly retainMs?: number | undefined;
  /** Most attempts of this kind in flight at once, per scheduler. @default Infinity */
  readonly capacity?: number | undefined;
  /** Connections are closed after this long without attempts; 0 keeps them until the scheduler shuts down. @default 30000 */
  readonly idleMs?: number | undefined;
  /**
   * Hears when the agent loses Redis (once an outage, with the first error: the reconnect tries
   * that follow are not told) and when it is connected again, e.g. to say so where the scheduler
   * logs; also when an add finds Redis silent, its connection kept (`it did not answer within N
   * ms`), and when Redis answers again. Meanwhile the agent keeps trying to reconnect; an attempt whose lease check finds Redis
   * still away fails with a `RedisConnectionError`. What it throws is ignored. @default none
   */
  readonly onConnectionChange?: ((change: RedisConnectionChange) => void) | undefined;
  /**
   * Hears when the worker running an attempt stopped renewing its lease (it died, or lost Redis)
   * and the job went back to the queue: the attempt runs again on another worker, under the same
   * attempt number (past `maxLeaseLosses` lapses it fails with `WorkerLostError`), so its work
   * may be done twice. The run's events do not tell it. What it throws is ignored. @default none
   */
  readonly onLeaseLapsed?: ((lapse: LeaseLapse) => void) | undefined;
}

/** An attempt whose worker's lease lapsed (see {@link RemoteAgentOptions.onLeaseLapsed}). */
export interface LeaseLapse {
  readonly queue: string;
  readonly runId: string;
  readonly taskId: string;
  readonly attempt: number;
}

/** Options of {@link startWorker}. */
export interface WorkerOptions extends SharedOptions {
  /**
   * Agents by name; a job runs the agent named like its queue. Jobs of the CLI's `shell` and
   * `sleep` tasks are for `rxdag worker`, which has those agents.
   */
  readonly agents: Readonly<Record<string, AgentDefinition>>;
  /** Attempts run at once per queue (capped by an agent's `capacity`). */
  readonly concurrency: number;
  /** How long a worker's hold on an attempt lasts without renewal (see `SharedOptions.leaseMs`). */
  readonly leaseMs: number;
  /** Queues to take jobs from, each the name of an allowed agent (others are refused). @default the allowed agents' names */
  readonly queues?: readonly string[] | undefined;
  /** Agents this worker accepts jobs for; a job for another fails at once. @default every agent in `agents` */
  readonly allow?: readonly string[] | undefined;
  /** Where the worker's log lines go (refused jobs, Redis errors). @default a line on stderr */
  readonly onLog?: ((line: string) => void) | undefined;
  /**
   * Called as the worker takes a job, before its agent runs and before the job is checked (a
   * job it then refuses, unsigned or malformed, was taken too): its queue (the agent's name) and
   * how long it waited in Redis since its scheduler added it (across two clocks: never below 0).
   * What it throws is ignored. @default none
   */
  readonly onJobTaken?: ((taken: { readonly queue: string; readonly waitedMs: number }) => void) | undefined;
  /**
   * Called for each job the worker refuses, nothing run: `unauthorized` (unsigned, a signature
   * that does not match or has expired, a signed job without a key here) or `invalid` (not an
   * rxdag job it can read). Forged or misaddressed traffic, for an alert of your own. What it
   * throws is ignored. @default none
   */
  readonly onJobRefused?: ((refused: { readonly queue: string; readonly reason: JobRefusal }) => void) | undefined;
  /** How the worker names itself in results (`task.completed.worker`). @default `${hostname}:${pid}` */
  readonly name?: string | undefined;
}

/** Why a worker refuses a job (see {@link WorkerOptions.onJobRefused}). */
export const JOB_REFUSALS = ['unauthorized', 'invalid'] as const;
export type JobRefusal = (typeof JOB_REFUSALS)[number];

/**
 * Milliseconds from `min` to the longest a timer waits (a number schema takes no infinity); the
 * type's message only for a value that is not a finite number, each bound's for its own.
 */
const ms = (min: number) =>
  z
    .number({
      error: (issue) =>
        issue.code !== 'invalid_type'
          ? undefined
          : issue.input === undefined
            ? 'is required (a number of milliseconds)'
            : 'must be a number of milliseconds',
    })
    .min(min, { error: `must be at least ${min} ms` })
    .max(2_147_483_647, { error: 'must be at most 2147483647 ms' });
/** At most `most` characters, counted as people count them (an emoji is one, not two UTF-16 units). */
const atMostCharacters = (most: number) => (text: string) => characterCount(text) <= most;
const queueName = z
  .string({ error: 'must be a string' })
  .min(1, { error: 'must not be empty' })
  .refine(atMostCharacters(200), { error: 'must be at most 200 characters' })
  .regex(/^[^:\s]*$/, { error: 'must not contain `:` or whitespace' });
/** An integer whose every check, bounds added after it too, says `what` it must be (zod's own words otherwise). */
function integerSchema(what: string) {
  return z.number({ error: what }).int();
}

const shared = {
  connection: z.custom<RedisConnection>((value) => value !== undefined, {
    error: 'is required: a redis:// or rediss:// URL, or ioredis options',
  }),
  tls: z
    .custom<TlsOptions>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
      error: 'must be an object of TLS options, e.g. { ca }',
    })
    .optional(),
  prefix: z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(200, { error: 'must be at most 200 characters' })
    .refine(namesConnections, { error: 'must be printable ASCII without whitespace (Redis names its connections after it)' })
    .optional(),
  key: z.union([z.string(), z.instanceof(Buffer)], { error: 'must be a string or a Buffer' }).optional(),
  insecure: z.boolean({ error: 'must be true or false' }).optional(),
  maxLeaseLosses: integerSchema('must be an integer from 0 to 1000').min(0).max(1000).optional(),
};

const remoteAgentSchema = z.strictObject({
  ...shared,
  queue: queueName,
  leaseMs: ms(50).optional(),
  signatureTtlMs: ms(1).optional(),
  retainMs: ms(1000).optional(),
  capacity: z
    .union([integerSchema('must be a positive integer or Infinity').positive(), z.literal(Number.POSITIVE_INFINITY)], {
      error: 'must be a positive integer or Infinity',
    })
    .optional(),
  idleMs: ms(0).optional(),
  onConnectionChange: z
    .custom<NonNullable<RemoteAgentOptions['onConnectionChange']>>((value) => typeof value === 'function', { error: 'must be a function' })
    .optional(),
  onLeaseLapsed: z
    .custom<NonNullable<RemoteAgentOptions['onLeaseLapsed']>>((value) => typeof value === 'function', { error: 'must be a function' })
    .optional(),
});

const workerSchema = z.strictObject({
  ...shared,
  agents: z.record(z.string(), z.unknown(), { error: 'must be an object mapping agent names to agents' }),
  concurrency: z
    .number({ error: (issue) => (issue.input === undefined ? 'is required (a positive integer)' : 'must be a positive integer') })
    .int({ error: 'must be a positive integer' })
    .positive({ error: 'must be a positive integer' }),
  leaseMs: ms(50),
  queues: z.array(queueName, { error: 'must be an array of queue names' }).min(1, { error: 'must name at least one queue' }).optional(),
  allow: z.array(z.string({ error: 'must be an agent name' }), { error: 'must be an array of agent names' }).optional(),
  onLog: z.custom<(line: string) => void>((value) => typeof value === 'function', { error: 'must be a function' }).optional(),
  onJobTaken: z
    .custom<NonNullable<WorkerOptions['onJobTaken']>>((value) => typeof value === 'function', { error: 'must be a function' })
    .optional(),
  onJobRefused: z
    .custom<NonNullable<WorkerOptions['onJobRefused']>>((value) => typeof value === 'function', { error: 'must be a function' })
    .optional(),
  name: z
    .string({ error: 'must be a non-empty string' })
    .min(1, { error: 'must be a non-empty string' })
    .refine(atMostCharacters(200), { error: 'must be at most 200 characters' })
    .optional(),
});

/** What both sides resolve their options to. */
export interface ResolvedShared {
  readonly target: RedisTarget;
  readonly prefix: string;
  readonly key: Buffer | undefined;
  readonly leaseMs: number;
  readonly maxLeaseLosses: number;
}

/** Options whose values a message never shows: a signing key, TLS settings (a private key), the connection (a password). */
const SECRET_OPTIONS = ['key', 'tls', 'connection'];

/** What people call the connection to Redis (the CLI's `--redis`). */
const REDIS_WORDS = ['redis', 'url', 'redisurl', 'redis_url', 'uri'];

/**
 * `options` checked by `schema`, or a `TypeError` naming each bad option, what it must be and
 * what it was (never a `key`'s value, nor a password), and each unknown one with the option it likely meant.
 */
function check<T>(schema: z.ZodType<T> & { readonly shape: object }, options: unknown, where: string): T {
  const parsed = schema.safeParse(options);
  if (parsed.success) return parsed.data;
  const known = Object.keys(schema.shape);
  const problems = parsed.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) =>
        REDIS_WORDS.includes(key.toLowerCase())
          ? `unknown option \`${key}\` (did you mean \`connection\`?)`
          : unknownOptionMessage(key, known),
      );
    }
    const name = issue.path.join('.');
    const value = issue.path.reduce<unknown>(
      (at, key) => (typeof at === 'object' && at !== null ? Reflect.get(at, key) : undefined),
      options,
    );
    // (a Redis URL given where a name goes is shown without its password)
    const shown = typeof value === 'string' ? withoutPassword(value) : value;
    const got = name === '' || SECRET_OPTIONS.includes(name) || value === undefined ? '' : ` (got ${describeValue(shown)})`;
    return [`\`${name || 'options'}\` ${issue.message}${got}`];
  });
  throw new TypeError(`${where}: ${problems.join('; ')}`);
}

function resolveShared(
  options: z.infer<typeof remoteAgentSchema> | z.infer<typeof workerSchema>,
  leaseMs: number,
  where: string,
): ResolvedShared {
  const target = redisTarget(options.connection, where, options.tls);
  const key = options.key === undefined ? undefined : keyBytes(options.key, where);
  assertSafeWithoutKey(target, key !== undefined, options.insecure ?? false, where);
  return { target, prefix: options.prefix ?? DEFAULT_PREFIX, key, leaseMs, maxLeaseLosses: options.maxLeaseLosses ?? 1 };
}

/** `remoteAgent`'s options, checked, with defaults. */
export function resolveRemoteAgentOptions(options: RemoteAgentOptions) {
  const where = 'remoteAgent';
  const checked = check(remoteAgentSchema, options, where);
  return {
    ...resolveShared(checked, checked.leaseMs ?? 30_000, where),
    queue: checked.queue,
    signatureTtlMs: checked.signatureTtlMs ?? 3_600_000,
    retainMs: checked.retainMs ?? 86_400_000,
    capacity: checked.capacity,
    idleMs: checked.idleMs ?? 30_000,
    onConnectionChange: checked.onConnectionChange,
    onLeaseLapsed: checked.onLeaseLapsed,
  };
}

/** `startWorker`'s options, checked, with defaults. */
export function resolveWorkerOptions(options: WorkerOptions) {
  const where = 'startWorker';
  const checked = check(workerSchema, options, where);
  const agents = options.agents;
  const allow = checked.allow ?? Object.keys(agents);
  // a name in `allow` that is no agent's is a typo: it would leave a queue without this worker unsaid
  const unknown = allow.filter((name) => !Object.hasOwn(agents, name));
  if (unknown.length > 0) {
    throw new TypeError(
      `${where}: \`allow\` names ${unknown.length === 1 ? 'an agent' : 'agents'} ${unknown.map((name) => JSON.stringify(name)).join(', ')} ` +
        `that \`agents\` does not have (it has: ${Object.keys(agents).join(', ') || 'none'})`,
    );
  }
  const served = allow;
  // a queue named twice would get two BullMQ workers, each of `concurrency`
  const queues = [...new Set(checked.queues ?? served)];
  // a queue named by default after an agent: BullMQ's own error would not say which option
  const unnamable = checked.queues === undefined ? queues.filter((name) => name === '' || name.includes(':')) : [];
  if (unnamable.length > 0) {
    throw new TypeError(
      `${where}: \`agents\` names ${unnamable.map((name) => JSON.stringify(name)).join(', ')}, which cannot name a queue (a job's queue is named ` +
        'like its agent, and BullMQ refuses an empty queue name or one with `:`): rename the agent, or leave it out with `allow`',
    );
  }
  // a worker on a queue it cannot serve would take that queue's jobs from workers that can, and fail them
  const unserved = queues.filter((name) => !served.includes(name));
  if (unserved.length > 0) {
    const names = unserved.map((name) => JSON.stringify(name)).join(', ');
    throw new TypeError(
      `${where}: \`queues\` names ${unserved.length === 1 ? 'a queue' : 'queues'} ${names} that no agent of this worker runs ` +
        `(a job runs the agent named like its queue; it runs: ${served.join(', ') || 'nothing'}): leave ${unserved.length === 1 ? 'it' : 'them'} out, so that workers that run ${unserved.length === 1 ? 'it take its' : 'them take their'} jobs`,
    );
  }
  return {
    ...resolveShared(checked, checked.leaseMs, where),
    agents,
    allowed: new Set(allow),
    queues,
    concurrency: checked.concurrency,
    onLog: checked.onLog ?? ((line: string) => void process.stderr.write(`${line}\n`)),
    onJobTaken: checked.onJobTaken,
    onJobRefused: checked.onJobRefused,
    name: checked.name,
  };
}
