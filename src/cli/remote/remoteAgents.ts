/**
 * The agents of `rxdag run --redis` and `rxdag resume --redis`: one `remoteAgent` per built-in
 * agent name (`shell`, `sleep`), each on the queue of that name, so every attempt runs on an
 * `rxdag worker` process. Loaded only with `--redis` (it imports the BullMQ integration). Closing
 * them says on stderr which attempts the workers could not be told to stop; while the run goes on,
 * one line says when they lose Redis and one when it is back, and one when workers leave a queue
 * (or a queue that had none gets its first). It decides nothing about the run:
 * the scheduler does, exactly as with local agents.
 */
import { type CancelNotSent, type RedisConnectionChange, type RemoteAgent, remoteAgent } from '../../bullmq/index';
import { saysUnanswered } from '../../bullmq/commandConnection';
import { refusesCredentials } from '../../bullmq/redisConnection';
import { escapeControls } from '../../dag/text';
import { SHELL_AGENT } from '../agents/shellAgent';
import { SLEEP_AGENT } from '../agents/sleepAgent';
import { cancelChannelNote, evictionNote, reachRedis } from './redisAccess';
import { connectedWorkers, noWorkerHint, watchWorkers } from './workerPresence';
import { credentialsAsGiven, type RemoteSettings } from './remoteOptions';

/** The remote agents of a run and how to close their connections. */
export interface RemoteAgents {
  readonly agents: Readonly<Record<string, RemoteAgent>>;
  /** Where they send attempts, safe to print: `redis://:***@host:port/db`. */
  readonly location: string;
  /** A line to say when no worker was connected to their queues as they were made. */
  readonly noWorkerHint: string | undefined;
  /** A line to say when the user may not publish cancels (see `cancelChannelNote`). */
  readonly cancelsNote: string | undefined;
  /** A line to say when Redis evicts keys (see `evictionNote`). */
  readonly evictsNote: string | undefined;
  /**
   * Closes their connections once the cancels and removals already sent have gone out (after a
   * Ctrl-C, the workers still hear the cancel of each running attempt), waiting a few seconds at
   * most for a Redis that does not answer; says on stderr which cancels did not go out.
   */
  close(): Promise<void>;
  /** While {@link close} is under way, what stopping it leaves undone, for the line that says so; else undefined. */
  cutShort(): string | undefined;
}

/** What a close of the remote agents cut short leaves undone: cancels and removals not all sent. */
const CLOSE_CUT_SHORT =
  'the workers may not have heard the cancel of every attempt: a job whose cancel did not reach Redis runs on the next worker that takes it';

/** Job ids a line names at most. */
const MOST_NAMED = 5;

/**
 * Checks the Redis (see `reachRedis`) and makes the remote agents; throws `InvalidInputError`
 * (exit 2, nothing run) when the Redis is refused or does not answer. `stderr` gets what happens
 * to them during and after the run: Redis lost and back, cancels that did not go out.
 */
export async function remoteAgents(
  settings: RemoteSettings,
  stderr: { write(text: string): unknown },
  /** The agents the run's tasks name: a queue no task uses needs no worker. @default every agent */
  used?: ReadonlySet<string>,
): Promise<RemoteAgents> {
  const target = await reachRedis(
    settings,
    [SHELL_AGENT, SLEEP_AGENT].filter((name) => used === undefined || used.has(name)),
  );
  const cancelsNote = await cancelChannelNote(target, settings.prefix);
  const evicts = await evictionNote(target);
  const evictsNote = evicts === undefined ? undefined : `rxdag: ${evicts}`;
  const say = (line: string) => stderr.write(`${line}\n`);
  const asGiven = credentialsAsGiven(settings.passwordFromEnv, target.options.username);
  const onConnectionChange = outageLines(target.location, (line) => say(asGiven(line)));
  const agents: Record<string, RemoteAgent> = {};
  for (const name of [SHELL_AGENT, SLEEP_AGENT]) {
    agents[name] = remoteAgent({
      connection: settings.url,
      queue: name,
      prefix: settings.prefix,
      ...(settings.key === undefined ? {} : { key: settings.key }),
      insecure: settings.insecure,
      onConnectionChange,
      onLeaseLapsed: ({ taskId, attempt }) => say(leaseLapseLine(taskId, attempt)),
    });
  }
  const workers = await connectedWorkers(
    target,
    settings.prefix,
    Object.keys(agents).filter((name) => used === undefined || used.has(name)),
  );
  // while the run goes on: workers that leave, or the first ones of a queue that had none
  const stopWatching = workers === undefined ? () => undefined : watchWorkers(target, settings.prefix, workers, say);
  let closing = false;
  return {
    agents,
    location: target.location,
    noWorkerHint: noWorkerHint(workers, settings.prefix, settings.key !== undefined),
    cancelsNote,
    evictsNote,
    close: async () => {
      stopWatching();
      closing = true;
      const closed = await Promise.all(Object.values(agents).map((agent) => agent.close()));
      closing = false;
      const notSent = closed.flatMap(({ cancelsNotSent }) => cancelsNotSent);
      if (notSent.length > 0) stderr.write(`${notToldLine(notSent)}\n`);
    },
    cutShort: () => (closing ? CLOSE_CUT_SHORT : undefined),
  };
}

/**
 * What the run says of an attempt whose worker stopped renewing its lease: its events do not
 * tell it (the attempt goes on, under its number), and part of its work may be done twice.
 */
export function leaseLapseLine(taskId: string, attempt: number): string {
  return escapeControls(
    `rxdag: task ${taskId} #${attempt}: its worker stopped renewing its lease (it died, or lost Redis): it runs again on another worker, and what it did there may be done twice`,
  );
}

/**
 * What says when the agents lose Redis and when it is back: one line when the first of them loses
 * it (or finds it silent: a command that got no answer in its time), one when the first is
 * connected again, or hears it answer (they share one Redis; an agent closed while it was away,
 * idle, never says it is back).
 */
export function outageLines(location: string, say: (line: string) => void): (change: RedisConnectionChange) => void {
  let away = false;
  // the outage began with a command left unanswered: the connection stayed up (ioredis does not reconnect)
  let silent = false;
  return ({ connected, error }) => {
    if (connected === !away) return; // nothing new: up while up, or down while down
    away = !connected;
    if (connected) return say(silent ? `rxdag: Redis at ${location} answers again` : `rxdag: connected to Redis at ${location} again`);
    const reason = error?.reason;
    silent = reason !== undefined && saysUnanswered(reason);
    if (silent) {
      say(
        `rxdag: Redis at ${location} stopped answering (${reason}): ` +
          'attempts on the workers go on, and their outcomes are read once it answers; an attempt whose job it does not take fails',
      );
    } else if (reason !== undefined && refusesCredentials(reason)) {
      // a password changed (rotated) under a running command: trying again will not change the answer
      say(
        `rxdag: Redis at ${location} refuses this command's credentials now (${reason}): ` +
          'attempts on the workers go on, but their outcomes cannot be read until it takes them again; stop the run and resume it (or run it again) with the new password',
      );
    } else {
      say(
        `rxdag: lost Redis at ${location}${reason === undefined ? '' : ` (${reason})`}: reconnecting; ` +
          'attempts on the workers go on, and their outcomes are read once it is back',
      );
    }
  };
}

/**
 * `rxdag: the workers could not be told to stop 1 attempt (job "…"): Redis at …: cannot send the
 * cancel of job "…": it did not answer within 2000 ms; it may run on a worker until it ends`.
 */
export function notToldLine(notSent: readonly CancelNotSent[]): string {
  const one = notSent.length === 1;
  const named = notSent.slice(0, MOST_NAMED).map(({ jobId }) => JSON.stringify(jobId));
  const more = notSent.length > MOST_NAMED ? ` and ${notSent.length - MOST_NAMED} more` : '';
  return (
    `rxdag: the workers could not be told to stop ${one ? '1 attempt' : `${notSent.length} attempts`} ` +
    `(job${one ? '' : 's'} ${named.join(', ')}${more}): ${notSent[0]!.error.message}; ` +
    `${one ? 'it' : 'they'} may run on a worker until ${one ? 'it ends' : 'they end'}`
  );
}
