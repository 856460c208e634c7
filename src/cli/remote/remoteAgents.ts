/**
 * The agents of `rxdag run --redis` and `rxdag resume --redis`: one `remoteAgent` per built-in
 * agent name (`shell`, `sleep`), each on the queue of that name, so every attempt runs on an
 * `rxdag worker` process. Loaded only with `--redis` (it imports the BullMQ integration). It
 * decides nothing about the run: the scheduler does, exactly as with local agents.
 */
import { type RemoteAgent, remoteAgent } from '../../bullmq/index';
import { SHELL_AGENT } from '../agents/shellAgent';
import { SLEEP_AGENT } from '../agents/sleepAgent';
import { reachRedis } from './redisAccess';
import { connectedWorkers, noWorkerHint } from './workerPresence';
import type { RemoteSettings } from './remoteOptions';

/** The remote agents of a run and how to close their connections. */
export interface RemoteAgents {
  readonly agents: Readonly<Record<string, RemoteAgent>>;
  /** Where they send attempts, safe to print: `redis://:***@host:port/db`. */
  readonly location: string;
  /** A line to say when no worker was connected to their queues as they were made. */
  readonly noWorkerHint: string | undefined;
  /**
   * Closes their connections once the cancels and removals already sent have gone out (after a
   * Ctrl-C, the workers still hear the cancel of each running attempt).
   */
  close(): Promise<void>;
}

/**
 * Checks the Redis (see `reachRedis`) and makes the remote agents; throws `InvalidInputError`
 * (exit 2, nothing run) when the Redis is refused or does not answer.
 */
export async function remoteAgents(settings: RemoteSettings): Promise<RemoteAgents> {
  const target = await reachRedis(settings);
  const agents: Record<string, RemoteAgent> = {};
  for (const name of [SHELL_AGENT, SLEEP_AGENT]) {
    agents[name] = remoteAgent({
      connection: settings.url,
      queue: name,
      prefix: settings.prefix,
      ...(settings.key === undefined ? {} : { key: settings.key }),
      insecure: settings.insecure,
    });
  }
  return {
    agents,
    location: target.location,
    noWorkerHint: noWorkerHint(await connectedWorkers(target, settings.prefix, Object.keys(agents)), settings.prefix, settings.key !== undefined),
    close: async () => {
      await Promise.all(Object.values(agents).map((agent) => agent.close()));
    },
  };
}
