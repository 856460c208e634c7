/**
 * A worker's log of Redis outages, one source at a time (a queue's connections, the cancel
 * watch's): the first connection error of an outage is logged, later ones of that outage are not
 * (ioredis and BullMQ report every reconnect try, a queue has two connections that fail together,
 * and a dropped connection says ECONNRESET before the next try says ECONNREFUSED), and one line
 * says when the source is connected again. Other errors (a command's own) are always logged. It
 * decides nothing and holds no timer.
 */

/** What a connection that is down says (as `RedisTarget.reasonOf` words it). */
const CONNECTION_DOWN =
  /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|NOAUTH|WRONGPASS)\b|Connection is closed|certificate|did not answer/i;

/** Whether `reason` (as `RedisTarget.reasonOf` words it) says the connection is down, not that a command failed. */
export function saysConnectionDown(reason: string): boolean {
  return CONNECTION_DOWN.test(reason);
}

export class OutageLog {
  // sources in an outage
  private readonly down = new Set<string>();

  constructor(private readonly log: (line: string) => void) {}

  /** Logs `line` for `source`, unless `reason` says the connection is down and this outage was logged. */
  failed(source: string, reason: string, line: string): void {
    if (saysConnectionDown(reason)) {
      if (this.down.has(source)) return;
      this.down.add(source);
    }
    this.log(line);
  }

  /** `source` is connected: ends its outage, with `line` when it had one. */
  connected(source: string, line: string): void {
    if (this.down.delete(source)) this.log(line);
  }
}
