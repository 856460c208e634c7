/**
 * A worker's log of Redis outages, one source at a time (a queue's connections, the cancel
 * watch's): the first connection error of an outage is logged, later ones of that outage are not
 * (ioredis and BullMQ report every reconnect try, a queue has two connections that fail together,
 * and a dropped connection says ECONNRESET before the next try says ECONNREFUSED), and one line
 * says when the source is connected again. Other errors (a command's own: an ACL that refuses
 * it) are logged once in {@link REPEAT_WINDOW_MS}, the next time with how often they came
 * meanwhile: BullMQ tries a refused command again at once, thousands of times a second. It
 * decides nothing and holds no timer.
 */

/** What a connection that is down says (as `RedisTarget.reasonOf` words it). */
const CONNECTION_DOWN =
  /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|NOAUTH|WRONGPASS)\b|Connection is closed|certificate|did not answer/i;

/** Whether `reason` (as `RedisTarget.reasonOf` words it) says the connection is down, not that a command failed. */
export function saysConnectionDown(reason: string): boolean {
  return CONNECTION_DOWN.test(reason);
}

/** How long a line that is not of an outage is not logged again after it was. */
export const REPEAT_WINDOW_MS = 30_000;

/** Lines logged within the window kept at most: older ones are forgotten first. */
const REPEATS_KEPT = 100;

export class OutageLog {
  // sources in an outage
  private readonly down = new Set<string>();
  // lines not of an outage logged in the window: when, and how often they came since
  private readonly said = new Map<string, { at: number; again: number }>();

  constructor(
    private readonly log: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Logs `line` for `source`, unless `reason` says the connection is down and this outage was
   * logged, or the same line was logged less than {@link REPEAT_WINDOW_MS} ago.
   */
  failed(source: string, reason: string, line: string): void {
    if (saysConnectionDown(reason)) {
      if (this.down.has(source)) return;
      this.down.add(source);
      return this.log(line);
    }
    const now = this.now();
    const earlier = this.said.get(line);
    if (earlier !== undefined && now - earlier.at < REPEAT_WINDOW_MS) {
      earlier.again++;
      return;
    }
    this.said.delete(line);
    if (this.said.size >= REPEATS_KEPT) this.said.delete(this.said.keys().next().value!);
    this.said.set(line, { at: now, again: 0 });
    const again = earlier?.again ?? 0;
    this.log(again === 0 ? line : `${line} (and ${again} time${again === 1 ? '' : 's'} more since it was said)`);
  }

  /** `source` is connected: ends its outage, with `line` when it had one. */
  connected(source: string, line: string): void {
    if (this.down.delete(source)) this.log(line);
  }
}
