/**
 * `rxdag worker --metrics-port`: Prometheus metrics of the attempts this worker runs, served at
 * `/metrics` by the same endpoint as `rxdag/prometheus`. A worker sees no events (its scheduler
 * writes them), so the metrics come from its agents: each is wrapped to count its attempts when
 * they start and end. Loaded only with `--metrics-port` (it needs `prom-client`). It changes
 * nothing an agent does or returns.
 *
 * | metric | type | labels |
 * | --- | --- | --- |
 * | `rxdag_worker_attempts_total` | counter: attempts that ended here (recorded by Redis or not): `completed`, `failed`, `timed-out` (its scheduler's timeout, or the worker's own), `cancelled` (stopped: a cancel, a lapsed lease, a shutdown, handed back for want of room; also when the agent went on and returned after the stop) | `agent`, `outcome` |
 * | `rxdag_worker_attempt_duration_seconds` | histogram: from the agent's call to its end | `agent` |
 * | `rxdag_worker_running_attempts` | gauge: attempts running now | `agent` |
 * | `rxdag_worker_queue_wait_seconds` | histogram: from a job's add (its scheduler's clock) to this worker taking it | `agent` |
 * | `rxdag_worker_jobs_refused_total` | counter: jobs refused, nothing run: `unauthorized` (not signed with this worker's key, expired), `invalid` (not an rxdag job it can read) | `agent`, `reason` |
 *
 * Beside them, prom-client's default metrics of the worker's process (`process_*`, `nodejs_*`).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Agent, TaskContext } from '../../index';
import { JOB_REFUSALS, type JobRefusal } from '../../bullmq/options';
import { DEFAULT_BUCKETS } from '../../observe/rxdagMetrics';
import { serveMetrics } from '../../observe/serveMetrics';
import { DEFAULT_METRICS_HOST } from '../output/metricsEndpoint';

/** How an attempt ended on this worker. */
type WorkerAttemptOutcome = 'completed' | 'failed' | 'timed-out' | 'cancelled';

/** A worker's metrics endpoint. */
export interface WorkerMetrics {
  /** `http://127.0.0.1:PORT/metrics`. */
  readonly url: string;
  /** Resolves once a scrape that began after this call was answered. */
  nextScrape(): Promise<void>;
  /** The same agents, counted. */
  instrument(agents: Readonly<Record<string, Agent>>): Record<string, Agent>;
  /** Counts a job this worker took after it waited `waitedMs` in Redis (`startWorker`'s `onJobTaken`). */
  taken(taken: { readonly queue: string; readonly waitedMs: number }): void;
  /** Counts a job this worker refused (`startWorker`'s `onJobRefused`). */
  refused(refused: { readonly queue: string; readonly reason: JobRefusal }): void;
  close(): Promise<void>;
}

/**
 * Serves the worker's metrics on `port` (0: a free one) of `host` (127.0.0.1 by default), with series of every
 * agent in `agents` present from the start (at 0). Rejects when the port cannot be had.
 */
export async function startWorkerMetrics(port: number, agents: readonly string[], host = DEFAULT_METRICS_HOST): Promise<WorkerMetrics> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry }); // the process's own: CPU, memory, event loop, start time
  const attempts = new Counter({
    name: 'rxdag_worker_attempts_total',
    help: 'Attempts this worker ran that ended, by agent and outcome (cancelled: stopped by a cancel, a lapsed lease or a shutdown, or handed back)',
    labelNames: ['agent', 'outcome'] as const,
    registers: [registry],
  });
  const secondsByAgent = (name: string, help: string) =>
    new Histogram({ name, help, labelNames: ['agent'] as const, buckets: [...DEFAULT_BUCKETS], registers: [registry] });
  const duration = secondsByAgent(
    'rxdag_worker_attempt_duration_seconds',
    'Time from the agent being called to its attempt ending, on this worker',
  );
  const queueWait = secondsByAgent(
    'rxdag_worker_queue_wait_seconds',
    "Time from a job's add by its scheduler to this worker taking it (across the two machines' clocks)",
  );
  const running = new Gauge({
    name: 'rxdag_worker_running_attempts',
    help: 'Attempts running on this worker now',
    labelNames: ['agent'] as const,
    registers: [registry],
  });
  const refusals = new Counter({
    name: 'rxdag_worker_jobs_refused_total',
    help: 'Jobs this worker refused, nothing run, by agent and reason (unauthorized: not signed with its key, or expired; invalid: not an rxdag job it can read)',
    labelNames: ['agent', 'reason'] as const,
    registers: [registry],
  });
  // every series there from the start, at 0
  for (const agent of agents) {
    running.set({ agent }, 0);
    for (const reason of JOB_REFUSALS) refusals.inc({ agent, reason }, 0);
  }
  const server = await serveMetrics({ registry, port, host });

  const counted =
    (name: string, agent: Agent): Agent =>
    (task: TaskContext) => {
      const stopTimer = duration.startTimer({ agent: name });
      running.inc({ agent: name });
      const end = (outcome: WorkerAttemptOutcome) => {
        stopTimer();
        running.dec({ agent: name });
        attempts.inc({ agent: name, outcome });
      };
      let result: unknown;
      try {
        result = agent(task);
      } catch (error) {
        end(handedBack(error) ? 'cancelled' : 'failed');
        throw error;
      }
      void Promise.resolve(result).then(
        () => end(task.signal.aborted ? stoppedBy(task) : 'completed'), // an agent that ignored its stop: the attempt ended at the stop
        (error: unknown) => end(task.signal.aborted ? stoppedBy(task) : handedBack(error) ? 'cancelled' : 'failed'),
      );
      return result;
    };

  return {
    url: server.url,
    nextScrape: () => server.nextScrape(),
    instrument: (given) => Object.fromEntries(Object.entries(given).map(([name, agent]) => [name, counted(name, agent)])),
    taken: ({ queue, waitedMs }) => queueWait.observe({ agent: queue }, waitedMs / 1000),
    refused: ({ queue, reason }) => refusals.inc({ agent: queue, reason }),
    close: () => server.close(),
  };
}

/** Whether an agent gave its attempt back for another worker to run (no room to start it here): no failure of it. */
function handedBack(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'AttemptHandedBackError';
}

/** What stopped an attempt whose signal fired: a timeout (its scheduler's or its own), else a cancel. */
function stoppedBy(task: TaskContext): WorkerAttemptOutcome {
  return (task.signal.reason as { name?: unknown } | null)?.name === 'TaskTimeoutError' ? 'timed-out' : 'cancelled';
}
