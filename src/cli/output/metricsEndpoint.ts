/**
 * The Prometheus metrics of a command's run (`rxdag/prometheus`, counted from its events into one
 * registry), served with `--metrics-port PORT` at `http://127.0.0.1:PORT/metrics` while the
 * command runs, its URL printed on stderr, and pushed with `--metrics-push URL` when it ends
 * (see `metricsPush.ts`); with both flags, the endpoint and the push show the same registry.
 * prom-client and `rxdag/prometheus` are loaded only here, when a flag is given, so a command
 * without them never loads them. A port that cannot be had (in use, no permission) or a missing
 * prom-client is invalid input (exit 2), found before anything runs.
 *
 * It does not decide when the endpoint closes, lingers for a last scrape or the push happens (the
 * command does, when it ends) nor what the metrics are (`rxdag/prometheus` does).
 */
import { isIP } from 'node:net';
import type { Registry } from 'prom-client';
import type { Observable } from 'rxjs';
import type { DagEvent } from '../../index';
import { InvalidInputError, optionNumber, type Problem } from '../problems';
import { installCommand } from '../../peerDependency';
import { lingerForScrape } from './metricsLinger';
import { pushMetrics } from './metricsPush';

/** What a command does with its run's metrics: either flag, or both. */
export interface RunMetricsOptions {
  /** `--metrics-port`: where `/metrics` is served (0: a free port), if anywhere. */
  readonly port: number | undefined;
  /** `--metrics-host`: the address it listens on. @default {@link DEFAULT_METRICS_HOST} */
  readonly host?: string | undefined;
  /** `--metrics-push`: the Pushgateway the metrics go to when the command ends, if any. */
  readonly pushUrl: string | undefined;
  /** `--metrics-linger`: how long {@link RunMetrics.linger} waits for a last scrape (default: none). */
  readonly lingerMs?: number | undefined;
  /**
   * When counting ends before the run does: the run's journal halted (SIGTERM), so that what its
   * stopped tasks do next is not counted, as it is not recorded; its running attempts count as
   * `interrupted` (its resume runs them again) and leave the gauges.
   */
  readonly until?: Promise<void> | undefined;
}

/** A command's run metrics, counting its run's events. */
export interface RunMetrics {
  /** `http://127.0.0.1:PORT/metrics` (the port chosen when 0 was asked for), with `--metrics-port`. */
  readonly url: string | undefined;
  /**
   * With `--metrics-push`, pushes what was counted for the DAG `dagId` and resolves with the
   * line that says why it failed, if it did (see `pushMetrics`); undefined without the flag.
   */
  readonly push: ((dagId: string) => Promise<string | undefined>) | undefined;
  /** With `--metrics-port`, once the run ended: waits for a last scrape (see `metricsLinger.ts`), said on `stderr`. */
  linger(stderr: { write(text: string): unknown }): Promise<void>;
  /** Stops counting and closes the server (open connections too). */
  close(): Promise<void>;
}

/** What the metrics load on demand: `rxdag/prometheus` and prom-client. */
export interface PrometheusModules {
  readonly prometheus: typeof import('../../observe/prometheus');
  readonly promClient: typeof import('prom-client');
}

/**
 * What the endpoint serves: the run's metrics and prom-client's default ones of this process
 * (CPU, memory, event loop, `process_start_time_seconds`), as a served process is expected to
 * have. A push sends the run's only: the gateway keeps a batch job's results, not its process.
 */
function withProcessMetrics(promClient: PrometheusModules['promClient'], registry: Registry): Registry {
  const processMetrics = new promClient.Registry();
  promClient.collectDefaultMetrics({ register: processMetrics });
  return promClient.Registry.merge([registry, processMetrics]);
}

/** What `--metrics-port` says when prom-client is not installed. */
export const NO_PROM_CLIENT = noPromClient(['--metrics-port']);

/** What the metrics flags given say when prom-client is not installed. */
function noPromClient(flags: readonly string[]): string {
  return `${flags.join(' and ')} ${flags.length === 1 ? 'needs' : 'need'} the prom-client package, which is not installed: ${installCommand(['prom-client'])}`;
}

/** The address the endpoint listens on unless `--metrics-host` says: this machine only. */
export const DEFAULT_METRICS_HOST = '127.0.0.1';

/**
 * `url` as a line shows where the metrics are: an endpoint on every interface (`0.0.0.0`, `::`)
 * is reached from elsewhere at this machine's address, which its URL does not give.
 */
export function metricsAt(url: string): string {
  return /^http:\/\/(?:0\.0\.0\.0|\[::\]):/.test(url) ? `${url} (every interface: from another machine, at this one's address)` : url;
}

/**
 * The address `--metrics-host` names (an IP address: `0.0.0.0` for every IPv4 interface, `::`
 * for every interface), {@link DEFAULT_METRICS_HOST} when absent, or undefined when wrong (a
 * problem added: also when given without `--metrics-port`, which it would change nothing of).
 */
export function checkMetricsHost(value: string | undefined, metricsPort: string | undefined, problems: Problem[]): string | undefined {
  if (value === undefined) return DEFAULT_METRICS_HOST;
  if (metricsPort === undefined) {
    problems.push({ message: '--metrics-host needs --metrics-port: it says where /metrics listens' });
    return undefined;
  }
  if (isIP(value) !== 0) return value;
  problems.push({
    message: `--metrics-host must be an IP address to listen on, such as 127.0.0.1 (this machine only) or 0.0.0.0 (every IPv4 interface) (got ${JSON.stringify(value)})`,
  });
  return undefined;
}

/**
 * The port `--metrics-port` names, or undefined when the flag is absent or wrong (then a
 * problem is added to `problems`: the CLI reports every bad option at once).
 */
export function checkMetricsPort(value: string | undefined, problems: Problem[]): number | undefined {
  if (value === undefined) return undefined;
  // (a leading zero, `022`, could be meant as another number: refused)
  const port = /^0\d/.test(value) ? Number.NaN : optionNumber(value);
  if (Number.isInteger(port) && port >= 0 && port <= 65_535) return port;
  problems.push({ message: `--metrics-port must be a TCP port from 0 to 65535 (0 picks a free one) (got ${JSON.stringify(value)})` });
  return undefined;
}

/**
 * Counts the run on `events$` into a registry of its own; with a `port`, serves it on that port
 * (0: a free one) of `host` (127.0.0.1 by default) and prints `rxdag: metrics at URL` on `stderr`; with a `pushUrl`,
 * makes `push` ready for the command's end. Undefined when neither is given (nothing is loaded).
 * Throws `InvalidInputError` when the port cannot be had or prom-client is not installed;
 * nothing is left open then. `load` is for tests: the default loads the modules from this package.
 */
export async function openRunMetrics(
  events$: Observable<DagEvent>,
  { port, host = DEFAULT_METRICS_HOST, pushUrl, until, lingerMs = 0 }: RunMetricsOptions,
  stderr: { write(text: string): unknown },
  load: () => PrometheusModules = loadPrometheus,
): Promise<RunMetrics | undefined> {
  if (port === undefined && pushUrl === undefined) return undefined;
  const flags = [...(port === undefined ? [] : ['--metrics-port']), ...(pushUrl === undefined ? [] : ['--metrics-push'])];
  const { prometheus, promClient } = loadOrRefuse(load, flags);
  const registry = new promClient.Registry();
  // the end of counting is the end of its stream: the attempts then running count as interrupted
  const counted = until === undefined ? events$ : events$.pipe(stopWhen(until));
  const counting = prometheus.collectMetrics(counted, { registry });
  const server =
    port === undefined
      ? undefined
      : await prometheus.serveMetrics({ registry: withProcessMetrics(promClient, registry), port, host }).catch((error: unknown) => {
          counting.unsubscribe();
          throw new InvalidInputError([{ message: listenProblem(port, error, host) }]);
        });
  if (server !== undefined) stderr.write(`rxdag: metrics at ${metricsAt(server.url)}\n`);
  return {
    url: server?.url,
    push: pushUrl === undefined ? undefined : (dagId) => pushMetrics(promClient, registry, pushUrl, dagId),
    linger: async (output) => {
      if (server !== undefined) await lingerForScrape(server, lingerMs, (text) => output.write(`rxdag: ${text}\n`));
    },
    close: async () => {
      counting.unsubscribe();
      await server?.close();
    },
  };
}

/**
 * {@link openRunMetrics} with `--metrics-port` alone: the endpoint, served on `port`.
 *
 * @example
 * const endpoint = await openMetricsEndpoint(run.events$, 0, process.stderr); // rxdag: metrics at http://127.0.0.1:40713/metrics
 */
export async function openMetricsEndpoint(
  events$: Observable<DagEvent>,
  port: number,
  stderr: { write(text: string): unknown },
  load: () => PrometheusModules = loadPrometheus,
): Promise<{ readonly url: string; close(): Promise<void> }> {
  const metrics = (await openRunMetrics(events$, { port, pushUrl: undefined }, stderr, load))!;
  return { url: metrics.url!, close: () => metrics.close() };
}

/** `takeUntil(until)`, RxJS loaded only here: the commands that parse this module's options run without it. */
function stopWhen(until: Promise<void>) {
  const { from, takeUntil } = require('rxjs') as typeof import('rxjs');
  return takeUntil<DagEvent>(from(until));
}

function loadPrometheus(): PrometheusModules {
  // a plain require, not import(): this file is CommonJS, and specs load the TypeScript source
  return {
    promClient: require('prom-client') as typeof import('prom-client'),
    prometheus: require('../../observe/prometheus') as typeof import('../../observe/prometheus'),
  };
}

function loadOrRefuse(load: () => PrometheusModules, flags: readonly string[]): PrometheusModules {
  try {
    return load();
  } catch (error) {
    const { code, message } = (error ?? {}) as NodeJS.ErrnoException;
    if (code === 'MODULE_NOT_FOUND' && /Cannot find module 'prom-client'/.test(String(message))) {
      throw new InvalidInputError([{ message: noPromClient(flags) }]);
    }
    throw error;
  }
}

/**
 * Why a metrics endpoint could not listen on `port`, in one line: the words of `rxdag run`,
 * `resume` and `worker` alike.
 */
export function listenProblem(port: number, error: unknown, host: string = DEFAULT_METRICS_HOST): string {
  const { code, message } = (error ?? {}) as NodeJS.ErrnoException;
  switch (code) {
    case 'EADDRINUSE':
      return `--metrics-port ${port}: the port is in use on ${host} (choose another, or 0 for a free one)`;
    case 'EACCES':
      return `--metrics-port ${port}: no permission to listen on this port (ports below 1024 need privileges; choose another, or 0 for a free one)`;
    default:
      return `--metrics-port ${port}: cannot listen on ${host}: ${code ?? message ?? String(error)}`;
  }
}
