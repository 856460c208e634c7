/**
 * `remoteAgent`: an agent kind whose attempts run on remote workers through one BullMQ queue.
 * It is an agent with limits (`AgentSpec`) whose single instance is the queue's client, so the
 * scheduler's agent pool opens its connections on first use and closes them when idle or at
 * shutdown. It decides nothing about retries, timeouts or cancellation: the scheduler does, and
 * each attempt's Observable carries its decisions to Redis (unsubscribed early: the job is cancelled).
 */
import type { AgentSpec } from '../index';
import type { CancelNotSent } from './jobCancels';
import { type RedisConnectionChange, type RemoteAgentOptions, resolveRemoteAgentOptions } from './options';
import { saysConnectionDown } from './outageLog';
import type { ConnectionWatch } from './queueConnections';
import { RemoteQueue } from './remoteQueue';
import { appendAll } from '../appendAll';

export type { CancelNotSent } from './jobCancels';

/** What closing a remote agent could not do. */
export interface RemoteAgentClosed {
  /**
   * Cancels that did not reach Redis (it refused them, was unreachable, or did not answer within
   * a few seconds of closing), since the last `close()`: no worker was told, so those attempts
   * may run to their end on a worker.
   */
  readonly cancelsNotSent: readonly CancelNotSent[];
}

declare const remoteClient: unique symbol;

/**
 * What a remote agent's `create` makes and its `run` is given: its connections to the queue, one
 * per scheduler. Opaque: only the agent itself uses it (a type an application can name, in the
 * declarations it emits, without reaching into the package).
 */
export interface RemoteAgentClient {
  readonly [remoteClient]: true;
}

/** An agent kind that runs its attempts on remote workers; `close()` closes its connections now. */
export interface RemoteAgent extends AgentSpec<RemoteAgentClient> {
  /**
   * Closes every connection this agent has open, after the cancels and removals already sent
   * and the end of the jobs it cancelled while they ran (so that their jobs are removed); a Redis
   * that does not answer, or a cancelled agent that ignores its signal, is waited for 2 s at most. Attempts still waiting
   * fail; their jobs stay in Redis for a resumed scheduler. The scheduler also closes them by
   * itself when the agent is idle (`idleMs`) or the scheduler shuts down. Resolves with what
   * could not be done, also by those closes.
   */
  close(): Promise<RemoteAgentClosed>;
}

/**
 * An agent kind whose attempts run on workers started with `startWorker`, through the BullMQ
 * queue `queue`. Each attempt is one job (id from run, task and attempt); the agent resolves with
 * the worker's output (`task.completed` then names the `worker`) or rejects with its error and
 * severity. Cancels and timeouts reach the worker's `AbortSignal` within one lease period.
 * Throws a `TypeError` for bad options, or for a Redis off loopback without `key` or `insecure`.
 *
 * @example
 * const shell = remoteAgent({ connection: 'redis://:secret@10.0.0.5:6379', queue: 'shell', key: process.env.RXDAG_WORKER_KEY });
 * runDag(dag, { agents: { shell } }).subscribe(console.log);
 */
export function remoteAgent(options: RemoteAgentOptions): RemoteAgent {
  const resolved = resolveRemoteAgentOptions(options);
  const { onConnectionChange } = resolved;
  const config =
    onConnectionChange === undefined ? resolved : { ...resolved, connectionWatch: outageWatch(resolved.queue, onConnectionChange) };
  const clients = new Set<RemoteQueue>();
  const closing = new Set<Promise<void>>();
  // cancels the closed clients could not send, until `close()` hands them over
  const notSent: CancelNotSent[] = [];
  const dispose = (client: RemoteQueue): Promise<void> => {
    clients.delete(client);
    const closed = client
      .close()
      .then((unsent) => void appendAll(notSent, unsent))
      .finally(() => closing.delete(closed));
    closing.add(closed);
    return closed;
  };
  const spec: AgentSpec<RemoteQueue> = {
    run: (task, client) => client.run(task),
    create: () => {
      const client = new RemoteQueue(config);
      clients.add(client);
      return client;
    },
    dispose: (client) => dispose(client),
    // one client per scheduler: its connections serve every attempt of this kind
    maxInstances: 1,
    idleMs: resolved.idleMs,
    ...(resolved.capacity === undefined ? {} : { capacity: resolved.capacity }),
  };
  // not enumerable: the scheduler checks agent objects for unknown fields
  Object.defineProperty(spec, 'close', {
    enumerable: false,
    value: async (): Promise<RemoteAgentClosed> => {
      await Promise.all([...[...clients].map(dispose), ...closing]);
      return { cancelsNotSent: notSent.splice(0) };
    },
  });
  return spec as unknown as RemoteAgent;
}

/**
 * Tells `tell` of the outages of an agent's connections: the first error that says Redis is away,
 * and the next connection up after it. Kept by the agent, not by one client: a client closed while
 * Redis is away (idle, or shut down) leaves the news of its return to the next one.
 */
function outageWatch(queue: string, tell: (change: RedisConnectionChange) => void): ConnectionWatch {
  // an outage was told, and no connection came up since
  let away = false;
  const told = (change: RedisConnectionChange) => {
    try {
      tell(change);
    } catch {
      // the application's listener: what it throws is not the agent's
    }
  };
  return {
    failed: (error) => {
      if (away || !saysConnectionDown(error.reason)) return;
      away = true;
      told({ queue, connected: false, error });
    },
    ready: () => {
      if (!away) return;
      away = false;
      told({ queue, connected: true });
    },
  };
}
