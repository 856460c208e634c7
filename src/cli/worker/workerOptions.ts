/**
 * The options of `rxdag worker`, from commander's strings to checked values with defaults, every
 * bad one reported at once (exit 2): `--redis` (required) and the other remote options,
 * `--concurrency`, `--lease-ms`, `--kill-grace`, `--agents` (the allowlist), `--name`, `--metrics-port` and `--metrics-linger`. Opens nothing:
 * whether Redis answers is checked when the worker starts.
 */
import { MAX_TIMER_MS, TIMER_LIMIT_MESSAGE } from '../../dag/schema';
import { characterCount, hasControlCharacters } from '../../dag/text';
import { SHELL_AGENT } from '../agents/shellAgent';
import { MOST_ERROR_LINES } from '../agents/errorLines';
import { SLEEP_AGENT } from '../agents/sleepAgent';
import { checkMetricsHost, checkMetricsPort, DEFAULT_METRICS_HOST } from '../output/metricsEndpoint';
import { checkMetricsLinger, DEFAULT_METRICS_LINGER_MS } from '../output/metricsLinger';
import { DEFAULT_KILL_GRACE_MS } from '../commands/runOptions';
import { InvalidInputError, optionNumber, type Problem } from '../problems';
import { type RawRemoteOptions, type RemoteSettings, resolveRemoteOptions } from '../remote/remoteOptions';

/** `rxdag worker` options as commander hands them over. */
export interface RawWorkerOptions extends RawRemoteOptions {
  readonly concurrency?: string;
  readonly leaseMs?: string;
  readonly killGrace?: string;
  /** `--error-lines N`. */
  readonly errorLines?: string;
  /** `--agents shell,sleep`. */
  readonly agents?: string;
  readonly metricsPort?: string;
  readonly metricsHost?: string;
  readonly metricsLinger?: string;
  readonly name?: string;
}

/** `rxdag worker` options, checked, with defaults. */
export interface WorkerCommandOptions {
  readonly remote: RemoteSettings;
  /** Attempts run at once per queue. */
  readonly concurrency: number;
  readonly leaseMs: number;
  /** The time a stopped shell task gets between SIGTERM and SIGKILL. */
  readonly killGraceMs: number;
  /** Lines of a failed command's output its error quotes (`--error-lines`), when given. */
  readonly errorLines: number | undefined;
  /** The built-in agents this worker runs; jobs for the others are refused. */
  readonly agents: readonly string[];
  /** Where `/metrics` is served (0: a free port), if anywhere. */
  readonly metricsPort: number | undefined;
  /** The address it listens on (127.0.0.1 unless `--metrics-host` says). */
  readonly metricsHost: string;
  /** How long `/metrics` stays up after a graceful stop for a last scrape (see `metricsLinger.ts`). */
  readonly metricsLingerMs: number;
  /** How the worker names itself (results, `rxdag show`, its lines); `HOST:PID` when not given. */
  readonly name: string | undefined;
}

/** The agents a worker can run: the CLI's built-in ones. */
export const WORKER_AGENTS: readonly string[] = [SHELL_AGENT, SLEEP_AGENT];

export const DEFAULT_WORKER_CONCURRENCY = 8;
export const DEFAULT_LEASE_MS = 30_000;
/**
 * The shortest lease the CLI takes. A worker renews its leases every third of one, so a pause of
 * its event loop (spawning a process, a long GC) of two thirds of a lease loses the job to
 * another worker: below a second, a busy machine's pauses did. (`startWorker` takes 50 ms.)
 */
const MIN_LEASE_MS = 1000;

/** Checks every `rxdag worker` option and reports all bad ones together. */
export function resolveWorkerOptions(raw: RawWorkerOptions, env: NodeJS.ProcessEnv): WorkerCommandOptions {
  const problems: Problem[] = [];
  const integer = (flag: string, value: string | undefined, min: number, max: number, expected: string): number | undefined => {
    if (value === undefined) return undefined;
    const parsed = optionNumber(value);
    if (Number.isSafeInteger(parsed) && parsed >= min && parsed <= max) return parsed;
    problems.push({ message: `${flag} must be ${expected} (got ${JSON.stringify(value)})` });
    return undefined;
  };
  const concurrency = integer('--concurrency', raw.concurrency, 1, 10_000, 'an integer from 1 to 10000');
  let leaseMs = integer(
    '--lease-ms',
    raw.leaseMs,
    MIN_LEASE_MS,
    Number.MAX_SAFE_INTEGER,
    `a whole number of milliseconds from ${MIN_LEASE_MS} (a shorter lease is lost while the worker's event loop pauses, as when it spawns a task)`,
  );
  if (leaseMs !== undefined && leaseMs > MAX_TIMER_MS) {
    problems.push({ message: `--lease-ms ${TIMER_LIMIT_MESSAGE} (got ${JSON.stringify(raw.leaseMs)})` });
    leaseMs = undefined;
  }
  const killGraceMs = integer('--kill-grace', raw.killGrace, 0, MAX_TIMER_MS, `a whole number of milliseconds from 0 to ${MAX_TIMER_MS}`);
  const errorLines = integer('--error-lines', raw.errorLines, 1, MOST_ERROR_LINES, `a whole number from 1 to ${MOST_ERROR_LINES}`);
  const metricsPort = checkMetricsPort(raw.metricsPort, problems);
  const metricsHost = checkMetricsHost(raw.metricsHost, raw.metricsPort, problems);
  const metricsLingerMs = checkMetricsLinger(raw.metricsLinger, raw.metricsPort, problems);
  const name = workerName(raw.name, problems);
  const agents = agentList(raw.agents, problems);
  if (raw.redis === undefined) {
    problems.push({
      message: '--redis is required: the Redis that schedulers send attempts through (e.g. --redis redis://127.0.0.1:6379)',
    });
  }
  const remote = raw.redis === undefined ? undefined : resolveRemoteOptions(raw, env, problems);
  if (problems.length > 0 || remote === undefined) throw new InvalidInputError(problems);
  return {
    remote,
    concurrency: concurrency ?? DEFAULT_WORKER_CONCURRENCY,
    leaseMs: leaseMs ?? DEFAULT_LEASE_MS,
    killGraceMs: killGraceMs ?? DEFAULT_KILL_GRACE_MS,
    errorLines,
    agents,
    metricsPort,
    metricsHost: metricsHost ?? DEFAULT_METRICS_HOST,
    metricsLingerMs: metricsLingerMs ?? DEFAULT_METRICS_LINGER_MS,
    name,
  };
}

/** `--name`: a name to show, as the `HOST:PID` it stands for is: one line of printable text. */
function workerName(name: string | undefined, problems: Problem[]): string | undefined {
  if (name === undefined) return undefined;
  if (name.trim() === '' || characterCount(name) > MAX_NAME_LENGTH || hasControlCharacters(name)) {
    problems.push({
      message: `--name must be 1 to ${MAX_NAME_LENGTH} printable characters, not only spaces (got ${JSON.stringify(name)})`,
    });
    return undefined;
  }
  return name;
}

/** The longest worker name `startWorker` takes. */
const MAX_NAME_LENGTH = 200;

/** `--agents shell,sleep`: known names, at least one; every built-in agent when not given. */
function agentList(text: string | undefined, problems: Problem[]): readonly string[] {
  if (text === undefined) return WORKER_AGENTS;
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !WORKER_AGENTS.includes(name));
  for (const name of unknown) {
    problems.push({ message: `--agents: unknown agent ${JSON.stringify(name)} (a worker runs: ${WORKER_AGENTS.join(', ')})` });
  }
  if (names.length === 0) problems.push({ message: `--agents must name at least one agent (${WORKER_AGENTS.join(', ')})` });
  return [...new Set(names)];
}
