/**
 * The options of `rxdag run` and `rxdag resume`, from commander's strings to checked values with
 * defaults: every bad option is reported at once, in the CLI's own words (`--concurrency`, not
 * the library's `maxConcurrency`), and nothing the library would refuse gets through (a count
 * past the safe integers, a time past the longest timer Node keeps). Does not read the DAG file,
 * check the output paths nor open the store: `loadDagFile`, `writeTarget` and `openStore` do.
 */
import { MAX_TIMER_MS, TIMER_LIMIT_MESSAGE } from '../../dag/specLimits';
import { MOST_ERROR_LINES } from '../agents/errorLines';
import { InvalidInputError, optionNumber, type Problem } from '../problems';
import { checkMetricsHost, checkMetricsPort, DEFAULT_METRICS_HOST } from '../output/metricsEndpoint';
import { checkMetricsLinger, DEFAULT_METRICS_LINGER_MS } from '../output/metricsLinger';
import { checkMetricsPush } from '../output/metricsPush';
import { checkOtlpUrl } from '../output/otlpTraces';
import { type RawRemoteOptions, type RemoteSettings, resolveRemoteOptions } from '../remote/remoteOptions';

/** `rxdag run` options as commander hands them over: strings, checked here all at once. */
export interface RawRunOptions extends RawRemoteOptions {
  readonly concurrency?: string;
  readonly mode?: string;
  readonly pollInterval?: string;
  readonly events?: string;
  readonly report?: string;
  readonly failFast?: boolean;
  readonly quiet?: boolean;
  readonly json?: boolean;
  readonly killGrace?: string;
  /** `--error-lines N`. */
  readonly errorLines?: string;
  /** `--store DIR|postgres://…`. */
  readonly store?: string;
  /** false with `--no-journal` (commander's negated flag); `resume` has no such flag. */
  readonly journal?: boolean;
  /** `--sync fsync|none`: when a folder store's journal syncs to disk. */
  readonly sync?: string;
  /** false with `--no-history`; `resume` has no such flag (a resumed run keeps its estimates). */
  readonly history?: boolean;
  /** `--metrics-port PORT`. */
  readonly metricsPort?: string;
  /** `--metrics-host ADDRESS`. */
  readonly metricsHost?: string;
  /** `--metrics-push URL`. */
  readonly metricsPush?: string;
  /** `--otlp URL`. */
  readonly otlp?: string;
  /** `--metrics-linger MS`. */
  readonly metricsLinger?: string;
  /** `--logs DIR`. */
  readonly logs?: string;
}

/** What is wrong with a number of `--error-lines`, if anything. */
function errorLinesProblem(n: number): string | undefined {
  return Number.isSafeInteger(n) && n >= 1 && n <= MOST_ERROR_LINES ? undefined : `must be a whole number from 1 to ${MOST_ERROR_LINES}`;
}

/** How the run is shown: a live bar, a line per event, failures only, or JSON lines. */
export type OutputMode = 'progress' | 'lines' | 'quiet' | 'json';

/** `rxdag run` options, checked and with defaults filled in. */
export interface RunCommandOptions {
  readonly maxConcurrency: number | undefined;
  readonly mode: 'event' | 'polling';
  readonly pollIntervalMs: number | undefined;
  readonly eventsPath: string | undefined;
  readonly reportPath: string | undefined;
  readonly failFast: boolean;
  /** `progress` is only chosen when the output is a terminal; see {@link resolveRunOptions}. */
  readonly output: OutputMode;
  readonly killGraceMs: number;
  /** Lines of a failed command's output its error quotes (`--error-lines`), when given. */
  readonly errorLines: number | undefined;
  /** `--store` as given (the store is chosen with `RXDAG_STORE` and the default by `storeLocation`). */
  readonly store: string | undefined;
  /** Whether the run is journaled (`--no-journal` turns it off). */
  readonly journal: boolean;
  /** When a folder store's journal syncs to disk (`--sync`): `fsync` (the default) or `none`. */
  readonly sync: 'fsync' | 'none';
  /** Whether estimates come from earlier runs in the store (`--no-history` turns it off). */
  readonly history: boolean;
  /** `--redis` and its options: attempts go to `rxdag worker` processes. */
  readonly remote: RemoteSettings | undefined;
  /** Where `/metrics` is served while the command runs (0: a free port), if anywhere. */
  readonly metricsPort: number | undefined;
  /** The address it listens on (127.0.0.1 unless `--metrics-host` says). */
  readonly metricsHost: string;
  /** The Pushgateway the run's metrics are pushed to when the command ends (http:// or https://), if any. */
  readonly metricsPush: string | undefined;
  /** `--otlp`: the collector the run's spans go to (`/v1/traces` added to a URL without a path), if any. */
  readonly otlp: string | undefined;
  /** How long the `/metrics` endpoint stays up after the run for a last scrape (see `metricsLinger.ts`). */
  readonly metricsLingerMs: number;
  /** `--logs DIR` as given: where each shell attempt writes its whole output (see `taskLogs.ts`). */
  readonly logsDir: string | undefined;
}

/** Default time between SIGTERM and SIGKILL for a stopped shell task. */
export const DEFAULT_KILL_GRACE_MS = 2000;

/**
 * Checks every `rxdag run` option and reports all bad ones together (exit 2).
 * `interactive` says whether stdout and stderr are terminals (live progress is shown then).
 * `modeOfJournal`: without `--mode`, the run's mode is the one its journal holds (`resume`), so
 * `--poll-interval` alone is checked against that mode once it is read, not here.
 */
export function resolveRunOptions(raw: RawRunOptions, interactive: boolean, modeOfJournal = false): RunCommandOptions {
  const problems: Problem[] = [];
  /** The number `value` holds when `check` finds nothing wrong with it (else what is wrong, as "must be …"). */
  const number = (flag: string, value: string | undefined, check: (n: number) => string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const parsed = optionNumber(value);
    const wrong = check(parsed);
    if (wrong === undefined) return parsed;
    problems.push({ message: `${flag} ${wrong} (got ${JSON.stringify(value)})` });
    return undefined;
  };
  const milliseconds = (valid: (n: number) => boolean, expected: string) => (n: number) =>
    !Number.isFinite(n) || !valid(n) ? `must be ${expected}` : n > MAX_TIMER_MS ? TIMER_LIMIT_MESSAGE : undefined;
  // past 2^53 a number is no longer an integer one can count to (the library refuses it)
  const maxConcurrency = number('--concurrency', raw.concurrency, (n) =>
    Number.isSafeInteger(n) && n > 0 ? undefined : 'must be a positive integer',
  );
  const pollIntervalMs = number(
    '--poll-interval',
    raw.pollInterval,
    milliseconds((n) => n > 0, 'a positive number of milliseconds'),
  );
  const killGraceMs = number(
    '--kill-grace',
    raw.killGrace,
    milliseconds((n) => n >= 0, 'a number of milliseconds >= 0'),
  );
  const errorLines = number('--error-lines', raw.errorLines, errorLinesProblem);
  const mode = raw.mode ?? 'event';
  if (mode !== 'event' && mode !== 'polling')
    problems.push({ message: `--mode must be "event" or "polling" (got ${JSON.stringify(mode)})` });
  if (raw.pollInterval !== undefined && mode !== 'polling' && !(modeOfJournal && raw.mode === undefined))
    problems.push({ message: '--poll-interval only applies with --mode polling' });
  if (raw.journal === false && raw.store !== undefined)
    problems.push({ message: '--store and --no-journal cannot be used together (--no-journal writes no journal anywhere)' });
  const sync = raw.sync ?? 'fsync';
  if (sync !== 'fsync' && sync !== 'none') problems.push({ message: `--sync must be "fsync" or "none" (got ${JSON.stringify(sync)})` });
  else if (raw.sync !== undefined && raw.journal === false)
    problems.push({ message: '--sync and --no-journal cannot be used together (--no-journal writes no journal to sync)' });
  if (raw.quiet === true && raw.json === true)
    problems.push({ message: '--quiet and --json cannot be used together (--json already prints only events)' });
  const remote = resolveRemoteOptions(raw, process.env, problems);
  if (raw.logs !== undefined && raw.redis !== undefined)
    problems.push({
      message:
        '--logs and --redis cannot be used together: with --redis the tasks run on the workers, which send back only the end of their output',
    });
  if (raw.killGrace !== undefined && raw.redis !== undefined)
    problems.push({
      message:
        "--kill-grace and --redis cannot be used together: with --redis the tasks run on the workers, and a stopped task's grace is theirs (rxdag worker --kill-grace MS)",
    });
  if (raw.errorLines !== undefined && raw.redis !== undefined)
    problems.push({
      message:
        '--error-lines and --redis cannot be used together: with --redis the tasks run on the workers, which write their errors (rxdag worker --error-lines N)',
    });
  const metricsPort = checkMetricsPort(raw.metricsPort, problems);
  const metricsHost = checkMetricsHost(raw.metricsHost, raw.metricsPort, problems);
  const metricsPush = checkMetricsPush(raw.metricsPush, problems);
  const metricsLingerMs = checkMetricsLinger(raw.metricsLinger, raw.metricsPort, problems);
  const otlp = checkOtlpUrl(raw.otlp, problems);
  if (problems.length > 0) throw new InvalidInputError(problems);
  return {
    maxConcurrency,
    mode: mode === 'polling' ? 'polling' : 'event',
    pollIntervalMs,
    eventsPath: raw.events,
    reportPath: raw.report,
    failFast: raw.failFast === true,
    output: raw.json === true ? 'json' : raw.quiet === true ? 'quiet' : interactive ? 'progress' : 'lines',
    killGraceMs: killGraceMs ?? DEFAULT_KILL_GRACE_MS,
    errorLines,
    store: raw.store,
    journal: raw.journal !== false,
    sync: sync === 'none' ? 'none' : 'fsync',
    history: raw.history !== false,
    remote,
    metricsPort,
    metricsHost: metricsHost ?? DEFAULT_METRICS_HOST,
    metricsPush,
    metricsLingerMs: metricsLingerMs ?? DEFAULT_METRICS_LINGER_MS,
    otlp,
    logsDir: raw.logs,
  };
}
