/**
 * The jobs of a worker whose agent returned and whose outcome (or hand-back) Redis has not
 * recorded yet, each since when: a close waits for them. A job whose outcome Redis never
 * recorded is another worker's once its lease lapsed, so an entry older than a lease is dropped
 * as the next one comes. It talks to no one: `startWorker` says when each starts and ends.
 */
export class SettlingJobs {
  private readonly since = new Map<string, number>();

  constructor(private readonly leaseMs: number) {}

  get size(): number {
    return this.since.size;
  }

  jobs(): string[] {
    return [...this.since.keys()];
  }

  /** The agent of the job `jobEntry` returned: its outcome is being written. */
  start(jobEntry: string): void {
    const now = Date.now();
    for (const [other, since] of this.since) if (now - since > this.leaseMs) this.since.delete(other);
    this.since.set(jobEntry, now);
  }

  /** Redis recorded what became of the job (or never will). */
  settled(jobEntry: string): void {
    this.since.delete(jobEntry);
  }
}
