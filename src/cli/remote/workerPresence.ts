/**
 * Whether any worker is connected to a run's queues when `rxdag run --redis` (or `resume`)
 * starts, and as it goes on (workers that leave, the first of a queue that had none): hints for
 * the person at the terminal, who would otherwise watch attempts wait in Redis with no sign of
 * why. It decides nothing: workers may start later, and a Redis that does not list its clients
 * (some hosted ones refuse `CLIENT LIST`) gets no hint. Loaded only with `--redis`. It keeps no
 * connection open between looks.
 */
import { Queue } from 'bullmq';
import { DEFAULT_PREFIX } from '../../bullmq/jobFormat';
import type { RedisTarget } from '../../bullmq/redisConnection';
import { shellWord } from '../shellWord';

/** How long the count may take: past it, no hint. */
const COUNT_TIMEOUT_MS = 2000;

/**
 * The workers connected to each queue: their names, one entry per connection (two workers may
 * share a name: containers of one host given none of their own). By name, not by connection: a
 * worker that reconnected after a Redis blip is the same worker; one restarted under another name
 * (a new pid) is another, one restarted under the same (a container's `HOST:1`, a `--name`) is not told apart.
 */
export type ConnectedWorkers = ReadonlyMap<string, readonly string[]>;

/**
 * The workers connected to each of `queues` of `target`'s database now (BullMQ's list, which
 * `rxdag worker` processes are part of; Redis lists the clients of every database), or
 * `undefined` when Redis does not tell in time.
 */
export async function connectedWorkers(
  target: RedisTarget,
  prefix: string,
  queues: readonly string[],
): Promise<ConnectedWorkers | undefined> {
  const opened = queues.map((name) => new Queue(name, { connection: { ...target.bullmqOptions, maxRetriesPerRequest: 0 }, prefix }));
  for (const queue of opened) queue.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), COUNT_TIMEOUT_MS);
  });
  try {
    const db = String(target.options.db ?? 0);
    // a Redis that lists no database (a hosted one's stand-in entry) counts as this one
    const ofThisDatabase = (workers: readonly Record<string, string>[]) =>
      workers.filter((worker) => (worker.db ?? db) === db).map((worker) => worker.rawname ?? worker.name ?? '');
    const listed = Promise.all(opened.map((queue) => queue.getWorkers().then(ofThisDatabase))).then(
      (names) => new Map(queues.map((name, i) => [name, names[i]!])),
    );
    return await Promise.race([listed.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
    await Promise.allSettled(opened.map((queue) => queue.close()));
  }
}

/**
 * The line said when no worker is connected to some of the queues (workers started with
 * `--agents` serve only theirs), or `undefined` when there is nothing to say.
 */
export function noWorkerHint(workers: ConnectedWorkers | undefined, prefix: string, signed: boolean): string | undefined {
  if (workers === undefined) return undefined;
  const unserved = [...workers].filter(([, names]) => names.length === 0).map(([queue]) => queue);
  if (unserved.length === 0) return undefined;
  const flags = `${prefix === DEFAULT_PREFIX ? '' : ` --redis-prefix ${shellWord(prefix)}`}${signed ? ' and the same key' : ''}`;
  if (unserved.length === workers.size) {
    return `rxdag: no worker is connected to these queues yet: attempts wait in Redis until one starts (rxdag worker --redis URL${flags})`;
  }
  const names = unserved.join(', ');
  return (
    `rxdag: no worker takes jobs of queue ${names} yet (the workers connected run other agents): ` +
    `${names} tasks wait in Redis until one does (rxdag worker --redis URL${flags} --agents ${unserved.join(',')})`
  );
}

/** How often a run looks again at the workers connected to its queues. */
export const WATCH_INTERVAL_MS = 15_000;

/**
 * The line said when the workers connected to `queue` went from `before` to `now` during a run,
 * or `undefined` for nothing worth a line (more workers of a queue that had some). A worker that
 * left is said also when another came meanwhile (a rolling restart between two looks).
 */
export function workersChangedLine(queue: string, before: readonly string[], now: readonly string[]): string | undefined {
  const gone = leftOf(before, now);
  if (gone > 0 && now.length === 0) {
    return `rxdag: no worker is connected to queue ${queue} any more: its attempts wait in Redis until one starts (those a worker was running once their lease lapses)`;
  }
  if (gone > 0) {
    return `rxdag: ${gone === 1 ? 'a worker' : `${gone} workers`} left queue ${queue} (${now.length} connected now): an attempt ${gone === 1 ? 'it' : 'they'} still held goes to another (at once if handed back, else once its lease lapses)`;
  }
  if (before.length === 0 && now.length > 0)
    return `rxdag: ${now.length === 1 ? 'a worker is' : `${now.length} workers are`} connected to queue ${queue} now`;
  return undefined;
}

/** How many of the workers `before` names are not among those `now` names (each name counted as often as it is listed). */
function leftOf(before: readonly string[], now: readonly string[]): number {
  const stayed = new Map<string, number>();
  for (const name of now) stayed.set(name, (stayed.get(name) ?? 0) + 1);
  let gone = 0;
  for (const name of before) {
    const left = stayed.get(name) ?? 0;
    if (left === 0) gone++;
    else stayed.set(name, left - 1);
  }
  return gone;
}

/**
 * Looks at the workers connected to each queue of `initial` (those at a run's start) every
 * `intervalMs` while the run goes on, and says through `say` when a queue
 * lost workers or got its first ones (see {@link workersChangedLine}): the person watching a run
 * whose attempts wait otherwise sees only their count. A list Redis does not give in time is
 * skipped. Returns the function that stops looking.
 */
export function watchWorkers(
  target: RedisTarget,
  prefix: string,
  initial: ConnectedWorkers,
  say: (line: string) => void,
  intervalMs = WATCH_INTERVAL_MS,
): () => void {
  const last = new Map(initial);
  let stopped = false;
  let looking = false;
  const look = async () => {
    if (looking) return;
    looking = true;
    try {
      const now = await connectedWorkers(target, prefix, [...last.keys()]);
      if (stopped || now === undefined) return;
      for (const [queue, names] of now) {
        const line = workersChangedLine(queue, last.get(queue) ?? [], names);
        if (line !== undefined) say(line);
        last.set(queue, names);
      }
    } finally {
      looking = false;
    }
  };
  const timer = setInterval(() => void look(), intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
