/**
 * How the CLI loads what needs BullMQ and a Redis client: on demand, only with `--redis` or
 * `rxdag worker`, so a plain `rxdag run` never loads them; a missing `bullmq` or `ioredis`
 * package is one line saying what to install (exit 2). Also how `rxdag run --redis` and
 * `rxdag resume --redis` get their remote agents, saying on stderr where attempts go. It does
 * not check options (`remoteOptions.ts`) nor make the agents (`remoteAgents.ts`).
 */
import type { DagSpec } from '../../index';
import { type DagEvent, isTerminalEvent } from '../../events';
import { InvalidInputError } from '../problems';
import { installCommand } from '../../peerDependency';
import type { RemoteAgents } from './remoteAgents';
import type { RemoteSettings } from './remoteOptions';

/**
 * `load()` (a `require` of a module that needs BullMQ), with a missing package reported as
 * invalid input. A plain `require`, not `import()`: these files are CommonJS, and specs load
 * the TypeScript source.
 */
export function loadRemoteModule<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    const { code, message } = (error ?? {}) as NodeJS.ErrnoException;
    const missing = code === 'MODULE_NOT_FOUND' ? /Cannot find module '(bullmq|ioredis)(?:\/[^']*)?'/.exec(String(message)) : null;
    if (missing === null) throw error;
    throw new InvalidInputError([
      { message: `--redis needs the "${missing[1]}" package (rxdag workers run on BullMQ): ${installCommand(['bullmq', 'ioredis'])}` },
    ]);
  }
}

/**
 * The run's remote agents, once Redis answered; throws `InvalidInputError` (exit 2, nothing
 * run) when it is refused or does not answer. The caller closes them after the run. `stderr`
 * gets the lines said as they open; `afterRun`, what happens to them once the run started (Redis
 * lost and back) and what their closing could not do (the run's setup notes are printed before
 * the run, these come during and after it).
 */
export async function openRemoteAgents(
  settings: RemoteSettings,
  stderr: { write(text: string): unknown },
  afterRun: { write(text: string): unknown },
  /** The agents the run's tasks name: only their queues are looked at for connected workers. */
  used?: ReadonlySet<string>,
): Promise<RemoteAgents> {
  const { remoteAgents } = loadRemoteModule(() => require('./remoteAgents') as typeof import('./remoteAgents'));
  const remote = await remoteAgents(settings, afterRun, used);
  const queues = Object.keys(remote.agents).join(', ');
  const signed =
    settings.keySource === undefined
      ? 'jobs unsigned (no key)'
      : `jobs signed with the key of ${settings.keySource}${settings.keyNote === undefined ? '' : `, ${settings.keyNote}`}`;
  stderr.write(
    `rxdag: attempts run on rxdag workers through Redis at ${remote.location} (queues ${queues}, prefix ${settings.prefix}; ${signed})\n`,
  );
  if (remote.noWorkerHint !== undefined) stderr.write(`${remote.noWorkerHint}\n`);
  if (remote.cancelsNote !== undefined) stderr.write(`${remote.cancelsNote}\n`);
  if (remote.evictsNote !== undefined) stderr.write(`${remote.evictsNote}\n`);
  return remote;
}

/** The agents the tasks of `spec` name (a task's own, else the defaults'); of a resumed run (its `history`), those of the tasks left. */
export function agentsOf(spec: DagSpec, history: readonly DagEvent[] = []): Set<string> {
  // a resumed run's: the tasks it spawned count, those that ended do not (no worker need take them)
  const ended = new Set(history.filter(isTerminalEvent).map((event) => event.taskId));
  const spawned = history.flatMap((event) => (event.type === 'tasks.spawned' ? event.tasks : []));
  const agents = new Set<string>();
  for (const task of [...spec.tasks, ...spawned]) {
    const agent = task.agent ?? spec.defaults?.agent;
    if (agent !== undefined && !ended.has(task.id)) agents.add(agent);
  }
  return agents;
}
