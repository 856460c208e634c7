/**
 * `--metrics-port PORT`: the Prometheus metrics of a command's runs (`rxdag/prometheus`, counted
 * from their events) served at `http://127.0.0.1:PORT/metrics` while the command runs, its URL
 * printed on stderr. prom-client and `rxdag/prometheus` are loaded only here, when the flag is
 * given, so a command without it never loads them. A port that cannot be had (in use, no
 * permission) or a missing prom-client is invalid input (exit 2), found before anything runs.
 *
 * It does not decide when the endpoint closes (the command does, when it ends) nor what the
 * metrics are (`rxdag/prometheus` does).
 */
import type { Observable } from 'rxjs';
import type { DagEvent } from '../../index';
import { InvalidInputError, optionNumber, type Problem } from '../problems';
import { installCommand } from '../../peerDependency';

/** A command's metrics endpoint, counting its runs' events. */
export interface MetricsEndpoint {
  /** `http://127.0.0.1:PORT/metrics`, the port chosen when 0 was asked for. */
  readonly url: string;
  /** Stops counting and closes the server (open connections too). */
  close(): Promise<void>;
}

/** What the endpoint loads on demand: `rxdag/prometheus` and prom-client. */
export interface PrometheusModules {
  readonly prometheus: typeof import('../../observe/prometheus');
  readonly promClient: typeof import('prom-client');
}

/** What `--metrics-port` says when prom-client is not installed. */
export const NO_PROM_CLIENT = `--metrics-port needs the prom-client package, which is not installed: ${installCommand(['prom-client'])}`;

/** The address the endpoint listens on: this machine only (a Prometheus elsewhere needs a proxy). */
const HOST = '127.0.0.1';

/**
 * The port `--metrics-port` names, or undefined when the flag is absent or wrong (then a
 * problem is added to `problems`: the CLI reports every bad option at once).
 */
export function checkMetricsPort(value: string | undefined, problems: Problem[]): number | undefined {
  if (value === undefined) return undefined;
  const port = optionNumber(value);
  if (Number.isInteger(port) && port >= 0 && port <= 65_535) return port;
  problems.push({ message: `--metrics-port must be a TCP port from 0 to 65535 (0 picks a free one) (got ${JSON.stringify(value)})` });
  return undefined;
}

/**
 * Counts the runs on `events$` into a registry of their own and serves it on `port` (0: a free
 * one) of 127.0.0.1, then prints `rxdag: metrics at URL` on `stderr`. Throws `InvalidInputError`
 * when the port cannot be had or prom-client is not installed; nothing is left open then.
 * `load` is for tests: the default loads the modules from this package.
 */
export async function openMetricsEndpoint(
  events$: Observable<DagEvent>,
  port: number,
  stderr: { write(text: string): unknown },
  load: () => PrometheusModules = loadPrometheus,
): Promise<MetricsEndpoint> {
  const { prometheus, promClient } = loadOrRefuse(load);
  const registry = new promClient.Registry();
  const server = await prometheus.serveMetrics({ registry, port, host: HOST }).catch((error: unknown) => {
    throw new InvalidInputError([{ message: listenProblem(port, error) }]);
  });
  const counting = prometheus.collectMetrics(events$, { registry });
  stderr.write(`rxdag: metrics at ${server.url}\n`);
  return {
    url: server.url,
    close: async () => {
      counting.unsubscribe();
      await server.close();
    },
  };
}

function loadPrometheus(): PrometheusModules {
  // a plain require, not import(): this file is CommonJS, and specs load the TypeScript source
  return {
    promClient: require('prom-client') as typeof import('prom-client'),
    prometheus: require('../../observe/prometheus') as typeof import('../../observe/prometheus'),
  };
}

function loadOrRefuse(load: () => PrometheusModules): PrometheusModules {
  try {
    return load();
  } catch (error) {
    const { code, message } = (error ?? {}) as NodeJS.ErrnoException;
    if (code === 'MODULE_NOT_FOUND' && /Cannot find module 'prom-client'/.test(String(message))) {
      throw new InvalidInputError([{ message: NO_PROM_CLIENT }]);
    }
    throw error;
  }
}

/**
 * Why a metrics endpoint could not listen on `port`, in one line: the words of `rxdag run`,
 * `resume` and `worker` alike.
 */
export function listenProblem(port: number, error: unknown): string {
  const { code, message } = (error ?? {}) as NodeJS.ErrnoException;
  switch (code) {
    case 'EADDRINUSE':
      return `--metrics-port ${port}: the port is in use on ${HOST} (choose another, or 0 for a free one)`;
    case 'EACCES':
      return `--metrics-port ${port}: no permission to listen on this port (ports below 1024 need privileges; choose another, or 0 for a free one)`;
    default:
      return `--metrics-port ${port}: cannot listen on ${HOST}: ${code ?? message ?? String(error)}`;
  }
}
