/**
 * A minimal HTTP endpoint for Prometheus: `GET /metrics` answers with a registry's metrics in its
 * exposition format; every other path is a 404, every other method a 405. Built on `node:http`
 * alone, for `rxdag run --metrics-port` and `rxdag worker --metrics-port`. It serves nothing else:
 * no TLS, no authentication, no compression (put a proxy in front for those).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry, RegistryContentType } from 'prom-client';

/** How long `close()` lets the scrapes under way finish before it drops their connections. */
const CLOSE_GRACE_MS = 1000;

/** Options of {@link serveMetrics}. */
export interface ServeMetricsOptions {
  /** The registry whose metrics `/metrics` serves. */
  readonly registry: Registry<RegistryContentType>;
  /** The TCP port; 0 picks a free one (read it from `url`). */
  readonly port: number;
  /**
   * The address to listen on. The default answers this machine only; `'0.0.0.0'` (or `'::'`)
   * lets a Prometheus elsewhere scrape it. @default '127.0.0.1'
   */
  readonly host?: string | undefined;
}

/** A running metrics endpoint. */
export interface MetricsServer {
  /** Where the metrics are, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  /**
   * Resolves once a scrape of `/metrics` that began after this call was answered: what it
   * served was collected after the call (for a last scrape before `close()`, say). It never
   * settles when none comes, after `close()` too: race it with a time limit (it does not reject
   * then, so a race already won by the limit leaves no rejection unhandled).
   */
  nextScrape(): Promise<void>;
  /** Stops listening and closes open connections; resolves when the server is closed. Calling it again returns the same promise. */
  close(): Promise<void>;
}

/**
 * Serves `registry` at `http://host:port/metrics` until `close()`. Resolves once listening;
 * rejects when the port cannot be had (in use, no permission).
 *
 * @example
 * const server = await serveMetrics({ registry, port: 0 });
 * console.error(`metrics at ${server.url}`);
 * // … later
 * await server.close();
 */
export function serveMetrics(options: ServeMetricsOptions): Promise<MetricsServer> {
  const { registry, port, host = '127.0.0.1' } = checkOptions(options);
  // requests so far; callers of nextScrape(), each with the count at its call: it hears of the
  // first scrape answered among the requests that began after it (not one begun before, whose
  // answer may end later, nor a HEAD, a failed one or one whose client left)
  let began = 0;
  let waiting: { readonly after: number; readonly scraped: () => void }[] = [];
  const server = createServer((request, response) => {
    const number = ++began;
    // listened to from the start: a client may leave while the metrics are collected
    const closed = new Promise<void>((resolve) => response.once('close', resolve));
    answer(registry, request, response, closed).then(
      (scraped) => {
        if (!scraped) return;
        for (const waiter of waiting) if (waiter.after < number) waiter.scraped();
        waiting = waiting.filter((waiter) => waiter.after >= number);
      },
      (error: unknown) => {
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        response.end(`could not collect the metrics: ${error instanceof Error ? error.message : String(error)}\n`);
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      let closing: Promise<void> | undefined;
      resolve({
        url: `http://${shownHost}:${address.port}/metrics`,
        nextScrape: () => new Promise<void>((scraped) => waiting.push({ after: began, scraped })),
        close: () =>
          (closing ??= new Promise<void>((closed, failed) => {
            server.close((error) => (error === undefined ? closed() : failed(error)));
            // idle keep-alive connections would hold close() open; scrapes under way are answered first, for a while
            server.closeIdleConnections();
            setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
          })),
      });
    });
  });
}

/**
 * Answers one request; resolves, once `closed` (the response's `close`), with whether it was a
 * scrape (a GET of `/metrics`) answered whole: not one whose client left first.
 */
async function answer(
  registry: Registry<RegistryContentType>,
  request: IncomingMessage,
  response: ServerResponse,
  closed: Promise<void>,
): Promise<boolean> {
  const path = (request.url ?? '/').split('?')[0];
  if (path !== '/metrics') {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: metrics are at /metrics\n');
    return false;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
    return false;
  }
  const text = await registry.metrics();
  const scrape = request.method === 'GET';
  if (!response.destroyed) response.writeHead(200, { 'content-type': registry.contentType }).end(scrape ? text : undefined);
  await closed;
  return scrape && response.writableFinished;
}

function checkOptions(options: ServeMetricsOptions): ServeMetricsOptions {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('serveMetrics needs an object of options { registry, port, host? }');
  const { registry, port, host } = options;
  if (typeof registry?.metrics !== 'function') throw new TypeError('`registry` must be a prom-client Registry');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(
      `\`port\` must be an integer from 0 to 65535 (0 picks a free port), got ${typeof port === 'string' ? JSON.stringify(port) : String(port)}`,
    );
  }
  if (host !== undefined && (typeof host !== 'string' || host.length === 0)) throw new TypeError('`host` must be a non-empty string');
  return options;
}
