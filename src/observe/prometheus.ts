/**
 * `rxdag/prometheus`: Prometheus metrics of runs, built from their events, and a small `/metrics`
 * endpoint to serve them. Works for any number of runs interleaved on one stream (a scheduler's
 * `events$`), in real or virtual time. It needs `prom-client` (an optional peer dependency of
 * rxdag); the core package never loads this entry. It registers only rxdag's own metrics (no
 * process or default metrics: `collectDefaultMetrics` of prom-client adds those) and never
 * changes what a run does: it only listens.
 */
// first: a missing `prom-client` is said in one line
import './prometheusPeer';
import type { Registry, RegistryContentType } from 'prom-client';
import { asyncScheduler, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { describeKind, unknownOptionMessages } from '../dag/text';
import { withoutPassword } from '../urlCredentials';
import type { DagEvent } from '../events';
import { checkEventSource, listenOnce } from './eventSource';
import { checkRunLabels, type RunLabels } from './runLabels';
import { DEFAULT_BUCKETS, rxdagMetrics } from './rxdagMetrics';

export { serveMetrics, type MetricsServer, type ServeMetricsOptions } from './serveMetrics';
export { NO_AGENT } from './metricsTally';
export type { AttemptOutcome, TaskOutcome } from './outcomes';
export { DEFAULT_BUCKETS } from './rxdagMetrics';
export type { RunLabels } from './runLabels';

/** Options of {@link collectMetrics}. */
export interface MetricsOptions {
  /** The prom-client registry the metrics are registered in (once, however many collectors use it). */
  readonly registry: Registry<RegistryContentType>;
  /** Start of every metric name. @default 'rxdag_' */
  readonly prefix?: string | undefined;
  /**
   * Buckets, in seconds, of `attempt_duration_seconds` and `queue_wait_seconds`; used by the first
   * `collectMetrics` of a registry and prefix, which makes the histograms. A later one that gives
   * other buckets is refused with a TypeError; one that gives none uses the histograms' own.
   * @default DEFAULT_BUCKETS (1 ms to 1 h)
   */
  readonly buckets?: readonly number[] | undefined;
  /**
   * Labels of your own on every metric, with values per run: a tenant, a team. `names` are added
   * to every metric (the gauges too, which then count each label set apart); `of(runId)` gives a
   * run's values, asked once when the run starts and forgotten at its `dag.completed`. A name it
   * gives no value for (`undefined`) has the value `''`; a throw, or a value that is not a string,
   * is reported with `console.warn` and counts as `''`, and the run and the metrics go on. Each
   * distinct set of values is a series of every metric for as long as the registry lives: use
   * values of a few kinds (tenants), not one per run. Every `collectMetrics` of a registry and
   * prefix must give the same names. @default undefined (no labels but rxdag's)
   *
   * @example
   * // run ids like "acme:3f2a…": the tenant is what comes before the first ":"
   * collectMetrics(scheduler.events$, {
   *   registry,
   *   runLabels: { names: ['tenant'], of: (runId) => ({ tenant: runId.split(':')[0] }) },
   * });
   */
  readonly runLabels?: RunLabels | undefined;
  /**
   * The clock that ends the attempts still running when the stream ends (they count as
   * `interrupted`, timed to then, as their spans end); give the runs' own scheduler (a
   * `TestScheduler` in virtual time). @default asyncScheduler
   */
  readonly scheduler?: SchedulerLike | undefined;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * Counts the runs on `events$` into rxdag's metrics in `registry` until the returned
 * Subscription is unsubscribed (or `events$` ends); what it counted stays in the counters and
 * histograms, what it held open leaves the gauges.
 *
 * | metric | type | labels |
 * | --- | --- | --- |
 * | `rxdag_tasks_total` | counter: tasks that ended (`completed`, `failed`, `skipped`, `cancelled`) | `agent` (of the last attempt; `""` when it never started), `outcome` |
 * | `rxdag_attempts_total` | counter: attempts that ended (`completed`, `failed`, `timed-out`, `cancelled`, `interrupted`) | `agent`, `outcome` |
 * | `rxdag_attempt_duration_seconds` | histogram: `task.started` to the attempt's end | `agent` |
 * | `rxdag_queue_wait_seconds` | histogram: `task.ready` (or `task.retrying`) to `task.started` | `agent` |
 * | `rxdag_running_tasks`, `rxdag_ready_tasks` | gauges, over all runs | |
 * | `rxdag_runs_total` | counter: runs that ended (`succeeded`, `failed`, `cancelled`) | `outcome` |
 *
 * The `runLabels` option adds labels of your own, with values per run, before these on every metric.
 *
 * Calling it again with the same registry and prefix (another scheduler, another run) adds to
 * the same metrics. Throws a TypeError for bad options, when a metric of another origin
 * already has one of these names in the registry, or when this `events$` is collected into
 * them already (its events would count twice).
 *
 * @example
 * const registry = new Registry();
 * const scheduler = createScheduler({ agents });
 * const metrics = collectMetrics(scheduler.events$, { registry });
 * const server = await serveMetrics({ registry, port: 9464 });
 */
export function collectMetrics(events$: Observable<DagEvent>, options: MetricsOptions): Subscription {
  checkEventSource(events$);
  if (typeof options !== 'object' || options === null)
    throw new TypeError('collectMetrics needs an object of options { registry, prefix?, buckets?, runLabels?, scheduler? }');
  const unknown = unknownOptionMessages(options, ['registry', 'prefix', 'buckets', 'runLabels', 'scheduler']);
  if (unknown.length > 0) throw new TypeError(`collectMetrics: ${unknown.join('; ')}`);
  const { registry, prefix = 'rxdag_', buckets: given, runLabels, scheduler = asyncScheduler } = options;
  if (typeof scheduler?.now !== 'function') {
    throw new TypeError(`\`scheduler\` must be an RxJS SchedulerLike (with now()) (got ${describeKind(scheduler)})`);
  }
  const buckets = given ?? DEFAULT_BUCKETS;
  if (typeof registry?.registerMetric !== 'function' || typeof registry.getSingleMetric !== 'function') {
    throw new TypeError('`registry` must be a prom-client Registry');
  }
  if (typeof prefix !== 'string' || (prefix !== '' && !METRIC_NAME.test(prefix))) {
    throw new TypeError(
      `\`prefix\` must start a Prometheus metric name (letters, digits, _ and :, not a digit first), got ${typeof prefix === 'string' ? JSON.stringify(withoutPassword(prefix)) : describeKind(prefix)}`,
    );
  }
  if (
    !Array.isArray(buckets) ||
    buckets.length === 0 ||
    buckets.some((b, k) => !Number.isFinite(b) || b <= 0 || (k > 0 && b <= buckets[k - 1]))
  ) {
    throw new TypeError('`buckets` must be a non-empty array of increasing positive numbers of seconds');
  }
  const labelNames = checkRunLabels(runLabels);
  const metrics = rxdagMetrics(registry, prefix, buckets, labelNames, given !== undefined);
  const release = listenOnce(
    metrics,
    events$,
    `collectMetrics: this events$ is collected into this registry (prefix ${JSON.stringify(prefix)}) already: ` +
      'every event would count twice; unsubscribe the first collection before collecting it again',
  );
  const tally = metrics.attach(runLabels?.of);
  const subscription = events$.subscribe({
    next: (event) => metrics.handle(tally, event),
    // the run's own subscribers see its error; metrics keep what they counted, and the attempts
    // the stop cut (an interrupting shutdown, a journal that failed) end as interrupted
    error: () => tally.streamEnded(scheduler.now()),
    complete: () => tally.streamEnded(scheduler.now()),
  });
  subscription.add(() => {
    metrics.detach(tally);
    release();
  });
  return subscription;
}
