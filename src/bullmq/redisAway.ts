/**
 * Riding out a Redis that is away for a moment (restarting, failing over, a dropped connection):
 * which failures say so (`saysRedisAway`), the pauses between tries (100 ms, then twice as long
 * each time up to 1 s; the cancels of `jobCancels.ts` use them too), and the adds of a burst of
 * jobs, tried again until a lease period has passed since the outage began. Then, or at once for
 * any other failure (refused credentials, a command's own error), the attempts still waiting fail
 * with the last error, which says how often and how long it was tried. Past a lease period of
 * outage, a burst fails at once, untried (each try would wait for a connection, and a run whose
 * Redis is gone would take that long per burst to end), while one probe at a time looks for
 * Redis's return. A lease period is also about how long an attempt whose job is in Redis waits
 * for Redis before its lease check fails it.
 * It knows nothing of jobs' contents, outcomes or connections: `remoteQueue.ts` does.
 */
import { RedisConnectionError } from './redisConnection';

/** The first pause before a failed try is made again; each next one is twice as long. */
export const FIRST_PAUSE_MS = 100;
/** The longest pause: a Redis that is back is found within a second. */
export const LONGEST_PAUSE_MS = 1_000;

/** What a Redis that is away for now says (as `RedisTarget.reasonOf` words it), not one that refuses us. */
const AWAY =
  /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|LOADING)\b|Connection is closed|did not answer|no connection for/;

/** What `RedisTarget.reasonOf` adds when a connection that never came up looks like a TLS mismatch. */
const TLS_MISMATCH = /if it expects TLS|if the server does not speak TLS/;

/** Whether `error` says Redis cannot be reached or did not answer, which may pass (a mistake in the URL does not). */
export function saysRedisAway(error: RedisConnectionError): boolean {
  return AWAY.test(error.reason) && !TLS_MISMATCH.test(error.reason);
}

/** One burst to add. */
export interface JobAdds<T> {
  /** Those of the burst still to add, asked before each try: attempts that ended meanwhile drop out. */
  pending(): T[];
  /** Adds them all (one `addBulk`). */
  add(items: readonly T[]): Promise<void>;
  /** The error of a failed add of `count` jobs, naming its cause (`error` may be the reason's text). */
  failure(error: unknown, count: number): RedisConnectionError;
  /** A cheap command that succeeds once Redis answers again (a `PING`). */
  probe(): Promise<void>;
}

/** What became of a burst: the items added by the last try, or those that failed and why. */
export type AddResult<T> = { readonly added: readonly T[] } | { readonly failed: readonly T[]; readonly error: RedisConnectionError };

/** When the current outage of a queue's Redis began, as its adds found it (undefined while adds go through). */
export interface Outage {
  since: number | undefined;
  /** The last error of the outage, once an add failed in it. */
  error?: RedisConnectionError | undefined;
  /** Redis did not answer a read while no add found it away: told as an outage, holding back no add. */
  silent?: boolean;
  /** The probe under way, past a lease period of outage. */
  probing?: Promise<void> | undefined;
  /** Told when an outage begins, with its first error, and when it is over. */
  readonly told?: { failed(error: RedisConnectionError): void; ready(): void } | undefined;
}

/**
 * Adds a burst, trying again while Redis is away, until a lease period (`leaseMs`) has passed
 * since the outage began (see the module's comment): an outage older than that fails the bursts
 * that come later at once, so a run whose Redis is gone ends rather than wait a lease per burst.
 */
export async function addRidingOutages<T>(leaseMs: number, outage: Outage, adds: JobAdds<T>): Promise<AddResult<T>> {
  const awayFor = outage.since === undefined ? 0 : Date.now() - outage.since;
  if (outage.error !== undefined && awayFor >= leaseMs) {
    const items = adds.pending();
    if (items.length === 0) return { added: items };
    lookForReturn(outage, adds);
    const why = `${outage.error.reason} (Redis away for ${Math.round(awayFor / 1000)} s: no job is added until it answers again)`;
    return { failed: items, error: adds.failure(why, items.length) };
  }
  const firstTry = Date.now();
  let tries = 0;
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(2 * pause, LONGEST_PAUSE_MS)) {
    const items = adds.pending();
    if (items.length === 0) return { added: items };
    try {
      tries++;
      await adds.add(items);
      outageOver(outage);
      return { added: items };
    } catch (thrown) {
      const error = adds.failure(thrown, items.length);
      const triedFor = Date.now() - firstTry;
      const away = saysRedisAway(error);
      outageSeen(outage, error, firstTry);
      if (!away || Date.now() - outage.since! + pause > leaseMs) {
        return { failed: items, error: tries === 1 ? error : triedAgain(error, tries, triedFor) };
      }
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** Notes that Redis was found away at `at` (`error`), if the error says so: the outage began then, if not before. */
export function outageSeen(outage: Outage, error: RedisConnectionError, at = Date.now()): void {
  if (!saysRedisAway(error)) return;
  const began = outage.since === undefined && outage.silent !== true;
  outage.since ??= at;
  outage.error = error;
  if (began) outage.told?.failed(error);
}

/**
 * Notes that Redis did not answer a read (a lease check), if `error` says so: told as an outage
 * begun, unless one was, but no add is held back by it (a frozen server keeps its connection, so
 * only an answer would end such an outage, and none may come before the next add's).
 */
export function silenceSeen(outage: Outage, error: RedisConnectionError): void {
  if (!saysRedisAway(error) || outage.since !== undefined || outage.silent === true) return;
  outage.silent = true;
  outage.told?.failed(error);
}

/** Redis answers: the outage is over, and a later one gets its own lease period. */
export function outageOver(outage: Outage): void {
  const was = outage.since !== undefined || outage.silent === true;
  outage.since = undefined;
  outage.error = undefined;
  outage.silent = false;
  if (was) outage.told?.ready();
}

/** Starts a probe unless one is under way: once it succeeds, the outage is over and bursts are tried again. */
function lookForReturn<T>(outage: Outage, adds: JobAdds<T>): void {
  outage.probing ??= adds
    .probe()
    .then(
      () => outageOver(outage),
      () => undefined,
    )
    .finally(() => (outage.probing = undefined));
}

/** `error`, saying how often and how long it was tried. */
function triedAgain(error: RedisConnectionError, tries: number, triedForMs: number): RedisConnectionError {
  return new RedisConnectionError(error.location, error.action, `${error.reason} (tried ${tries} times in ${triedForMs} ms)`);
}
