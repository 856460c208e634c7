/**
 * Signed jobs and results: HMAC-SHA256 with the key schedulers and workers share, over the queue
 * (its key prefix and the agent: a job signed for one fleet's queue is refused by another's on
 * the same Redis), the job id (run, task, attempt) and the canonical JSON of the data (which holds
 * the expiry) or of the outcome. A signed job can still be added again, unchanged, until it
 * expires: signing stops forged and altered jobs, not replayed ones. Verification compares in
 * constant time. It decides nothing: the worker refuses what fails here, the scheduler side fails
 * the attempt.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The shared key as given: a string (its UTF-8 bytes) or bytes. */
export type SigningKey = string | Buffer;

/** Shortest key accepted: 128 bits. */
export const MIN_KEY_BYTES = 16;

/** The signature scheme: v2 covers the queue's key prefix, which v1 (earlier rxdag versions) did not. */
export const SCHEME_VERSION = 2;
const SCHEME = `v${SCHEME_VERSION}=`;

/** The key's bytes, surrounding whitespace left out of a key that is text; throws a `TypeError` for a key shorter than {@link MIN_KEY_BYTES}. */
export function keyBytes(key: SigningKey, where: string): Buffer {
  const bytes = typeof key === 'string' ? Buffer.from(key.trim(), 'utf8') : textTrimmed(Buffer.from(key));
  if (bytes.length < MIN_KEY_BYTES) {
    throw new TypeError(
      `${where}: \`key\` must be at least ${MIN_KEY_BYTES} bytes (got ${bytes.length}); use a random secret, e.g. \`openssl rand -hex 32\``,
    );
  }
  return bytes;
}

/**
 * Bytes that are text (a key file read as bytes: UTF-8 without control characters but
 * whitespace) trimmed as the same text given as a string is (`RXDAG_WORKER_KEY`, a byte order
 * mark too); other bytes (a random binary key, which is not UTF-8 or holds control bytes) are the
 * key as they are.
 */
export function textTrimmed(bytes: Buffer): Buffer {
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes) || NOT_TEXT.test(text)) return bytes;
  return Buffer.from(text.trim(), 'utf8');
}

/** Control characters other than whitespace (tab, line feed, vertical tab, form feed, carriage return). */
const NOT_TEXT = /[\x00-\x08\x0e-\x1f\x7f]/;

/**
 * JSON with the keys of every object sorted, so the same value signs the same after a trip
 * through Redis whatever order its keys were built in. `sent`: a value read back from Redis,
 * refused (a `RangeError`) if it holds a number JSON cannot hold: text such as `1e400` parses to
 * `Infinity`, which would check as the `null` it is written as, though no signer sent it.
 */
export function canonicalJson(value: unknown, sent = false): string {
  return JSON.stringify(value, (_key: string, field: unknown): unknown => {
    if (sent && typeof field === 'number' && !Number.isFinite(field)) throw new RangeError('a number JSON cannot hold');
    if (field === null || typeof field !== 'object' || Array.isArray(field)) return field;
    // no prototype: a `__proto__` key is a key like any other, signed with its value (assigned on
    // a plain object, it would set the prototype, and leave the value out of what is signed)
    const sorted = Object.create(null) as Record<string, unknown>;
    for (const name of Object.keys(field).sort()) sorted[name] = (field as Record<string, unknown>)[name];
    return sorted;
  });
}

/** Where a job is signed for: its queue's key prefix and name (`rxdag` and `shell` give `rxdag:shell`). */
export interface SignedQueue {
  readonly prefix: string;
  readonly queue: string;
}

function digest(key: Buffer, kind: 'job' | 'result', place: SignedQueue, jobId: string, body: object, sent = false): string {
  return hmacOf(key, `rxdag-${kind}/v2\n${place.prefix}\n${place.queue}\n${jobId}\n`, body, sent);
}

/** The digest of the earlier scheme v1 (no key prefix), only to tell an earlier version's signature from a forged one. */
function digestV1(key: Buffer, kind: 'job' | 'result', place: SignedQueue, jobId: string, body: object): string {
  return hmacOf(key, `rxdag-${kind}/v1\n${place.queue}\n${jobId}\n`, body, true);
}

function hmacOf(key: Buffer, head: string, body: object, sent: boolean): string {
  const { signature: _signature, ...unsigned } = body as { signature?: unknown };
  return createHmac('sha256', key).update(head).update(canonicalJson(unsigned, sent)).digest('hex');
}

/**
 * Whether `given` is the digest `expected` makes of a body read back from Redis: never one that
 * holds a number JSON cannot hold, nor one nested too deep to write (a forged job's, which would
 * overflow the stack: refused as forged, not thrown).
 */
function digestMatches(given: string, expected: () => string): boolean {
  try {
    return sameDigest(given, expected());
  } catch {
    return false;
  }
}

/** Whether `given` (hex, after its scheme) equals `expected`; constant-time. */
function sameDigest(given: string, expected: string): boolean {
  const [a, b] = [Buffer.from(given, 'utf8'), Buffer.from(expected, 'utf8')];
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The signature of a job's data (without its `signature` field). */
export function signJob(key: Buffer, place: SignedQueue, jobId: string, data: object): string {
  return SCHEME + digest(key, 'job', place, jobId, data);
}

/** The signature of a worker's outcome (without its `signature` field). */
export function signResult(key: Buffer, place: SignedQueue, jobId: string, outcome: object): string {
  return SCHEME + digest(key, 'result', place, jobId, outcome);
}

/** A job's data or a result, with the signature it carries and where it was sent. */
export interface SignedBody {
  readonly kind: 'job' | 'result';
  readonly place: SignedQueue;
  readonly jobId: string;
  readonly body: object;
  readonly signature: unknown;
}

/** Whether `signature` is the job's (or result's) signature under `key`; constant-time. */
export function verifySignature(
  key: Buffer,
  kind: 'job' | 'result',
  place: SignedQueue,
  jobId: string,
  body: object,
  signature: unknown,
): boolean {
  if (typeof signature !== 'string' || !signature.startsWith(SCHEME)) return false;
  return digestMatches(signature.slice(SCHEME.length), () => digest(key, kind, place, jobId, body, true));
}

/**
 * Why a signature that did not verify is of another rxdag version, if its scheme is not this
 * one's: an earlier version's (v1) with this key, v1 with another key (or forged), or a later
 * scheme this version cannot check. `undefined` for a signature of this scheme (another key's, or forged).
 */
export function otherVersionSignature(key: Buffer, signed: SignedBody, side: 'worker' | 'scheduler'): string | undefined {
  const { kind, place, jobId, body, signature } = signed;
  const version = typeof signature === 'string' ? /^v(\d+)=/.exec(signature)?.[1] : undefined;
  if (version === undefined || Number(version) === SCHEME_VERSION) return undefined;
  const checks = `signature v${version}; this ${side} checks v${SCHEME_VERSION}`;
  if (Number(version) > SCHEME_VERSION)
    return `it is signed by a later rxdag, or forged (${checks}): upgrade this ${side} if its fleet was`;
  if (Number(version) !== 1 || !digestMatches(String(signature).slice('v1='.length), () => digestV1(key, kind, place, jobId, body))) {
    return `it is signed the way an earlier rxdag signed, but with another key, or forged (${checks})`;
  }
  const other = side === 'worker' ? 'its scheduler' : 'the worker that took it';
  return `it is signed by an earlier rxdag with this key (${checks}): upgrade ${other}, so that schedulers and workers of a signed queue are of one version`;
}
