import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { ensureBuilt } from '../cli/support/builtCli';
import { prefixPerTest, type RedisTestEnv } from '../support/redis';
import { Closer } from './helpers';

/**
 * Worker processes for the specs that need workers in processes of their own (to SIGKILL one):
 * `fixtures/worker.js` serving the built-in agents on a Redis and prefix, and what each printed.
 * Every process started is kept in the list given, for {@link stopWorkerProcesses}; a spec file's
 * hooks for them are {@link workerProcessSuite}'s.
 */

const FIXTURE = path.join(__dirname, 'fixtures', 'worker.js');

/** A worker process and what it printed. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Its worker id, once it said it is ready ('' until then). */
  id: string;
  /** `task attempt` of every attempt it started. */
  readonly started: string[];
  readonly exited: Promise<void>;
}

/** Starts a worker process on Redis `url` under `prefix` with lease `leaseMs` (and `extraEnv`, the fixture's other settings), kept in `children`. */
export function startWorkerProcess(
  children: WorkerProcess[],
  { url, prefix, leaseMs }: { readonly url: string; readonly prefix: string; readonly leaseMs: number },
  extraEnv: Record<string, string> = {},
): WorkerProcess {
  const child = spawn(process.execPath, [FIXTURE], {
    env: {
      ...process.env,
      RXDAG_FIXTURE_REDIS: url,
      RXDAG_FIXTURE_PREFIX: prefix,
      RXDAG_FIXTURE_LEASE_MS: String(leaseMs),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const worker: WorkerProcess = { child, id: '', started: [], exited: new Promise((resolve) => child.once('exit', () => resolve())) };
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const [word, ...rest] = line.split(' ');
      if (word === 'ready') worker.id = rest[0]!;
      if (word === 'started') worker.started.push(`${rest[1]} ${rest[2]}`);
    }
  });
  child.stderr!.resume();
  children.push(worker);
  return worker;
}

/** Kills every process of `children` still running (SIGKILL) and waits for all to exit; empties the list. */
export async function stopWorkerProcesses(children: WorkerProcess[]): Promise<void> {
  for (const worker of children.splice(0)) {
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await worker.exited;
  }
}

/**
 * The hooks of a spec file whose tests start worker processes: a key prefix of each test's own
 * (given to `usePrefix`), the CLI built (the fixture runs `dist/`), and after each test its
 * closers closed and its processes stopped. `start` starts a worker process under the test's prefix.
 */
export function workerProcessSuite(
  env: RedisTestEnv,
  leaseMs: number,
  usePrefix: (prefix: string) => void,
): { readonly closer: Closer; readonly start: (extraEnv?: Record<string, string>) => WorkerProcess } {
  const closer = new Closer();
  const children: WorkerProcess[] = [];
  let prefix = '';
  prefixPerTest(env, (fresh) => usePrefix((prefix = fresh)));
  beforeAll(() => ensureBuilt(), 120_000);
  afterEach(async () => {
    await closer.closeAll();
    await stopWorkerProcesses(children);
  });
  return { closer, start: (extraEnv) => startWorkerProcess(children, { url: env.url, prefix, leaseMs }, extraEnv) };
}
