import type { Redis } from 'ioredis';
import type { AgentDefinition, AgentSpec, TaskContext } from '../../../src';
import { type RemoteAgent, remoteAgent, type RemoteWorker, startWorker } from '../../../src/bullmq';
import type { KindGen } from './scenario';

/**
 * What one remote scenario runs on: a scheduler-side `remoteAgent` per agent kind (one BullMQ
 * queue each) and two `startWorker` workers in this process serving every queue, all under a key
 * prefix of the scenario's own. Counts the remote agents' clients the scheduler opens and closes,
 * lists the jobs left in Redis, and closes everything and deletes the prefix's keys at the end.
 * It judges nothing: the harness and the invariants do.
 */

/** The client a remote agent opens for a scheduler. */
type RemoteClient = Awaited<ReturnType<NonNullable<RemoteAgent['create']>>>;

/** The workers' names, as `task.completed.worker` gives them. */
export const WORKER_NAMES = ['w1', 'w2'] as const;

/** Attempts a worker runs at once per queue: more than a scenario lets start, so workers never hold back. */
const WORKER_CONCURRENCY = 16;

/** How long a closing worker may wait for its attempts before it is forced. */
const GENTLE_CLOSE_MS = 3000;

export interface RemoteStageOptions {
  readonly url: string;
  readonly prefix: string;
  /** The scheduler's agent kinds by name (`k0`, `k1`…): one queue each. */
  readonly kinds: ReadonlyMap<string, KindGen>;
  readonly leaseMs: number;
  /** Runs one attempt on a worker: what the kind's agent does there. */
  readonly call: (kind: string, ctx: TaskContext, worker: string) => unknown;
  /** A client for looking at and deleting the prefix's keys. */
  readonly client: Redis;
}

export class RemoteStage {
  /** The scheduler's agents: one remote agent per kind. */
  readonly agents: Record<string, AgentDefinition> = {};
  /** Clients of the remote agents the scheduler's agent pool opened, and disposed. */
  created = 0;
  disposed = 0;
  /** What the workers logged (refused jobs, Redis errors). */
  readonly logs: string[] = [];
  private readonly remotes: RemoteAgent[] = [];
  private readonly workers: RemoteWorker[] = [];

  private constructor(private readonly options: RemoteStageOptions) {
    for (const [name, kind] of options.kinds) {
      const remote = remoteAgent({
        connection: options.url,
        prefix: options.prefix,
        queue: name,
        leaseMs: options.leaseMs,
        idleMs: kind.idleMs, // 0 keeps the connections until the scheduler shuts down
        ...(kind.capacity === undefined ? {} : { capacity: kind.capacity }),
      });
      this.remotes.push(remote);
      const counted: AgentSpec<RemoteClient> = {
        ...remote,
        create: () => {
          this.created++;
          return remote.create!();
        },
        dispose: (client) => {
          this.disposed++;
          remote.dispose!(client);
        },
      };
      this.agents[name] = counted;
    }
  }

  /** Starts the workers and waits until they listen. */
  static async open(options: RemoteStageOptions): Promise<RemoteStage> {
    const stage = new RemoteStage(options);
    for (const name of WORKER_NAMES) {
      const agents = Object.fromEntries(
        [...options.kinds.keys()].map((kind) => [kind, (ctx: TaskContext) => options.call(kind, ctx, name)]),
      );
      stage.workers.push(
        startWorker({
          connection: options.url,
          prefix: options.prefix,
          agents,
          concurrency: WORKER_CONCURRENCY,
          leaseMs: options.leaseMs,
          name,
          onLog: (line) => stage.logs.push(`${name}: ${line}`),
        }),
      );
    }
    try {
      await Promise.all(stage.workers.map((worker) => worker.ready()));
    } catch (error) {
      await stage.close();
      throw error;
    }
    return stage;
  }

  /** Keys of jobs (and their locks and logs) still in Redis; cancel keys expire by themselves and are not listed. */
  async jobKeys(): Promise<string[]> {
    return (await this.keys()).filter((key) => key.includes('|') && !key.includes(':rxdag-cancel:'));
  }

  /** Closes the remote agents and the workers (forced when they take too long), then deletes every key of the prefix. */
  async close(): Promise<void> {
    await Promise.allSettled(this.remotes.map((remote) => remote.close()));
    await Promise.allSettled(
      this.workers.map(async (worker) => {
        const gentle = worker.close();
        const timer = setTimeout(() => void worker.close({ force: true }), GENTLE_CLOSE_MS);
        await gentle.finally(() => clearTimeout(timer));
      }),
    );
    const left = await this.keys();
    for (let start = 0; start < left.length; start += 500) await this.options.client.del(...left.slice(start, start + 500));
  }

  private async keys(): Promise<string[]> {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.options.client.scan(cursor, 'MATCH', `${this.options.prefix}:*`, 'COUNT', 1000);
      found.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return found;
  }
}
