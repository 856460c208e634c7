/**
 * The removal of finished jobs, in bulk: the scheduler side hands over the id of each job whose
 * outcome it read, which is removed once that outcome is recorded in the run's journal (until
 * then a resume after a crash re-attaches to the job and reads its outcome again; if the run stops
 * first, the job stays for that resume), and the ids of the same tick leave in one Lua script call instead
 * of one BullMQ `remove` each (BullMQ's removal also looks for locks, parents and children, which
 * an rxdag job never has, and writes a `removed` event every scheduler of the queue must read).
 * Only jobs BullMQ holds as completed or failed are removed; a job waiting or running again is
 * left alone. It does not remove waiting or running jobs (a cancel uses BullMQ's `remove`), and
 * it writes no `removed` event.
 */
import type { Redis } from 'ioredis';
import { afterRecorded, type TaskContext } from '../index';

/**
 * KEYS: the queue's completed and failed sets. ARGV: the queue's job key prefix, then job ids.
 * A job's keys are its hash and the keys BullMQ keeps beside it (logs, and those of flows).
 * Returns how many jobs it removed.
 */
const REMOVE_FINISHED = `
local removed = 0
for i = 2, #ARGV do
  local jobId = ARGV[i]
  if redis.call("ZREM", KEYS[1], jobId) == 1 or redis.call("ZREM", KEYS[2], jobId) == 1 then
    local jobKey = ARGV[1] .. jobId
    redis.call("DEL", jobKey, jobKey .. ":logs", jobKey .. ":dependencies", jobKey .. ":processed", jobKey .. ":failed", jobKey .. ":unsuccessful")
    removed = removed + 1
  end
end
return removed
`;

const COMMAND = 'rxdagRemoveFinished';

/** Ids per script call: a script holds Redis for its whole run. */
const MOST_PER_CALL = 500;

/** Where one queue keeps its jobs, as BullMQ names the keys. */
export interface QueueKeys {
  readonly completed: string;
  readonly failed: string;
  /** What a job id is appended to for the job's own key (`prefix:queue:`). */
  readonly jobPrefix: string;
}

type RemoveFinished = (completed: string, failed: string, jobPrefix: string, ...jobIds: string[]) => Promise<number>;

/** Collects finished jobs and removes those of one tick together. */
export class FinishedJobs {
  // ids handed over since the last removal was sent
  private batch: string[] = [];
  // jobs whose outcome was read and is not recorded yet, and who waits for there to be none
  private unrecorded = 0;
  private whenAllRecorded: Array<() => void> = [];
  private readonly removeFinished: RemoveFinished;

  constructor(
    redis: Redis,
    private readonly keys: QueueKeys,
    /** Receives each removal sent, so the owner can wait for it before closing. */
    private readonly track: (sending: Promise<unknown>) => void,
  ) {
    if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { numberOfKeys: 2, lua: REMOVE_FINISHED });
    const command = (redis as unknown as Record<string, RemoveFinished>)[COMMAND];
    this.removeFinished = command.bind(redis);
  }

  /** Removes the job once the outcome `task`'s attempt read from it is recorded (see {@link afterRecorded}); kept if the run stops first. */
  removeOnceRecorded(task: TaskContext, jobId: string): void {
    this.unrecorded++;
    afterRecorded(task, (recorded) => {
      if (recorded) this.remove(jobId);
      if (--this.unrecorded === 0) for (const resolve of this.whenAllRecorded.splice(0)) resolve();
    });
  }

  /** Resolves once each outcome read is recorded, or will not be (at once when none waits). */
  allRecorded(): Promise<void> {
    if (this.unrecorded === 0) return Promise.resolve();
    return new Promise((resolve) => this.whenAllRecorded.push(resolve));
  }

  /** Removes the job in this tick's call; a failed removal is left to BullMQ's own clean-up (`retainMs`). */
  remove(jobId: string): void {
    if (this.batch.push(jobId) > 1) return;
    this.track(Promise.resolve().then(() => this.send()));
  }

  private async send(): Promise<void> {
    const { completed, failed, jobPrefix } = this.keys;
    const batch = this.batch;
    this.batch = [];
    const calls: Promise<unknown>[] = [];
    for (let from = 0; from < batch.length; from += MOST_PER_CALL) {
      calls.push(this.removeFinished(completed, failed, jobPrefix, ...batch.slice(from, from + MOST_PER_CALL)).catch(() => undefined));
    }
    await Promise.all(calls);
  }
}
