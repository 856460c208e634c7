/**
 * `--metrics-linger MS`: the `--metrics-port` endpoint kept up after the command's work ended
 * (a run, a worker's last attempts) until Prometheus scrapes it once more. A scrape only samples,
 * and the last increments of a run come at its end: an endpoint closed at once is never seen
 * with the final counts. The wait ends at the first scrape that began after it, after `MS` (the
 * default is a common scrape interval), or at a stop signal, whichever comes first.
 *
 * It does not decide whether to wait (the command does: not after a stop signal ended its work)
 * nor close the endpoint.
 */
import { MAX_TIMER_MS, TIMER_LIMIT_MESSAGE } from '../../dag/specLimits';
import { onStopSignals } from '../commands/interrupts';
import { optionNumber, type Problem } from '../problems';

/** How long an endpoint waits for its last scrape by default: 15 s, the scrape interval of Prometheus's sample configuration. */
export const DEFAULT_METRICS_LINGER_MS = 15_000;

/**
 * The milliseconds `--metrics-linger` names, or undefined when it is wrong or given without
 * `--metrics-port` (a problem is then added to `problems`). Without it: the default, or 0 for
 * `--metrics-port 0`, a port no Prometheus was told of beforehand.
 */
export function checkMetricsLinger(value: string | undefined, metricsPort: string | undefined, problems: Problem[]): number | undefined {
  if (value === undefined) return metricsPort !== undefined && optionNumber(metricsPort) === 0 ? 0 : DEFAULT_METRICS_LINGER_MS;
  if (metricsPort === undefined) {
    problems.push({ message: '--metrics-linger only applies with --metrics-port (it keeps that endpoint up for a last scrape)' });
    return undefined;
  }
  const ms = optionNumber(value);
  if (!Number.isSafeInteger(ms) || ms < 0) {
    problems.push({
      message: `--metrics-linger must be a whole number of milliseconds >= 0 (0: close at once) (got ${JSON.stringify(value)})`,
    });
    return undefined;
  }
  if (ms > MAX_TIMER_MS) {
    problems.push({ message: `--metrics-linger ${TIMER_LIMIT_MESSAGE} (got ${JSON.stringify(value)})` });
    return undefined;
  }
  return ms;
}

/** What the wait needs of an endpoint. */
export interface ScrapedEndpoint {
  readonly url: string;
  /** Resolves once a scrape that began after this call was answered. */
  nextScrape(): Promise<void>;
}

/**
 * Waits until `endpoint` is scraped once more, at most `lingerMs`, or until a stop signal; says
 * so first through `say` (a line without its command's prefix). Resolves at once for 0.
 *
 * @example
 * await lingerForScrape(server, 15_000, (text) => process.stderr.write(`rxdag: ${text}\n`));
 * // rxdag: serving the final metrics at http://127.0.0.1:9464/metrics until they are scraped (at most 15 s; …)
 */
export async function lingerForScrape(endpoint: ScrapedEndpoint, lingerMs: number, say: (text: string) => void): Promise<void> {
  if (lingerMs === 0) return;
  say(
    `serving the final metrics at ${endpoint.url} until they are scraped (at most ${seconds(lingerMs)}; Ctrl-C ends the wait, --metrics-linger 0 skips it)`,
  );
  let timer: NodeJS.Timeout | undefined;
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  // any stop signal ends the wait (a SIGHUP as during a run: the command then ends by it)
  const stopListening = onStopSignals({ graceful: stop, immediate: stop });
  try {
    await Promise.race([endpoint.nextScrape(), new Promise<void>((resolve) => (timer = setTimeout(resolve, lingerMs))), stopped]);
  } finally {
    clearTimeout(timer);
    stopListening();
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
