/**
 * `startWorker`: takes attempts from BullMQ queues (one BullMQ `Worker` per queue) and runs them
 * on local agents. The lease on each running job is BullMQ's lock (`leaseMs`, renewed every
 * third of it); a worker that dies stops renewing and BullMQ's stalled-job check hands the job to
 * another worker, up to `maxLeaseLosses` times. Cancels arrive through `CancelWatch`. Closing
 * finishes running attempts (or, forced, aborts them and hands them back to the queue). It does
 * not decide retries: a failed attempt goes back to its scheduler as an outcome.
 */
import { hostname } from 'node:os';
import { type Job, WaitingError, Worker } from 'bullmq';
import type { AgentSpec } from '../index';
import { CancelWatch } from './cancelSignals';
import { JobRunner, RunningJob, type StopReason } from './jobRunner';
import type { Outcome } from './jobFormat';
import { resolveWorkerOptions, type WorkerOptions } from './options';

/** A running worker. */
export interface RemoteWorker {
  /** How results name this worker: `host:pid` unless `name` was given. */
  readonly id: string;
  /** The queues it takes jobs from. */
  readonly queues: readonly string[];
  /** Attempts running now. */
  readonly running: number;
  /**
   * Resolves when every queue's connection is up and cancels are heard; rejects with a
   * `RedisConnectionError` when Redis has no database of the connection's number.
   */
  ready(): Promise<void>;
  /**
   * Takes no more jobs and resolves when closed. By default running attempts finish first; with
   * `force`, their agents are aborted and their jobs go back to the queue for another worker
   * (an agent that ignores its signal for a lease period is left behind, and its job is re-run
   * elsewhere once its lease lapses). Calling it again returns the same promise.
   */
  close(options?: { readonly force?: boolean }): Promise<void>;
}

/** How long a forced close waits for aborted agents to return, at most. */
const FORCE_GRACE_MS = 5_000;

/**
 * Starts a worker: one BullMQ worker per queue, `concurrency` attempts at once on each, every job
 * checked (signature, expiry, data, agent) before it runs. Throws a `TypeError` for bad options
 * or a Redis off loopback without `key` or `insecure`.
 *
 * @example
 * const { agents } = builtinAgents(2000);           // the CLI's shell and sleep agents
 * const worker = startWorker({ connection: 'redis://127.0.0.1:6379', agents, concurrency: 4, leaseMs: 30_000 });
 * process.once('SIGTERM', () => void worker.close());
 */
export function startWorker(options: WorkerOptions): RemoteWorker {
  const resolved = resolveWorkerOptions(options);
  const { target, prefix, key, leaseMs, maxLeaseLosses, agents, queues, onLog } = resolved;
  if (queues.length === 0) throw new TypeError('startWorker: no queue to take jobs from: `agents` (and `allow`) name no agent, and `queues` is not given');
  const id = resolved.name ?? `${hostname()}:${process.pid}`;
  const log = (line: string) => onLog(target.redact(line));
  const running = new Map<string, RunningJob>();
  const entry = (queue: string, jobId: string) => `${queue}\n${jobId}`;
  const stop = (queue: string, jobId: string, reason: StopReason) => running.get(entry(queue, jobId))?.stop(reason);
  const runner = new JobRunner({ key, worker: id, agents, allowed: resolved.allowed, timeoutGraceMs: leaseMs, log });
  const cancels = new CancelWatch(
    target,
    prefix,
    leaseMs,
    () => running.values(),
    (queue, jobId, reason) => stop(queue, jobId, reason),
    (error) => log(`rxdag worker ${id}: ${error.message}`),
  );
  // Jobs whose scheduler cancelled them: nobody reads their outcome, so they are removed once done.
  const abandoned = new Set<string>();
  // set once `close` was called, and whether running attempts are to be aborted
  let closing: Promise<void> | undefined;
  let force = false;

  const processor = async (queue: string, job: Job, token: string | undefined): Promise<Outcome> => {
    const jobId = job.id ?? '';
    const attempt = new RunningJob(queue, jobId);
    running.set(entry(queue, jobId), attempt);
    try {
      const cancelled = cancels.cancelledBefore(queue, jobId);
      if (cancelled !== undefined) attempt.stop(cancelled);
      if (force) attempt.stop('shutdown');
      const outcome = await runner.run(attempt, job.data as unknown);
      if (outcome !== undefined) return outcome;
      if (attempt.stoppedFor === 'shutdown' && token !== undefined) {
        await job.moveToWait(token); // another worker runs it: not a failure of the attempt
        throw new WaitingError();
      }
      if (attempt.stoppedFor === 'cancelled' || attempt.stoppedFor === 'timed-out') abandoned.add(entry(queue, jobId));
      return runner.stoppedOutcome(attempt);
    } finally {
      running.delete(entry(queue, jobId));
    }
  };

  // BullMQ workers that reached Redis: one that never did has nothing running, and its gentle
  // close would wait for a connection that may never come
  const connected = new Set<Worker>();
  const workers = queues.map((queue) => {
    const definition = agents[queue];
    const capacity = typeof definition === 'object' ? (definition as AgentSpec<unknown>).capacity : undefined;
    const worker = new Worker(queue, (job: Job, token?: string) => processor(queue, job, token), {
      connection: target.bullmqOptions,
      prefix,
      name: id,
      concurrency: Math.min(resolved.concurrency, capacity ?? Number.POSITIVE_INFINITY),
      lockDuration: leaseMs,
      lockRenewTime: Math.max(1, Math.floor(leaseMs / 3)),
      stalledInterval: Math.max(1, Math.floor(leaseMs / 2)),
      maxStalledCount: maxLeaseLosses,
    });
    worker.on('error', (error: Error) => log(`rxdag worker ${id}: queue "${queue}": ${error.message}`));
    worker.once('ready', () => connected.add(worker));
    worker.on('completed', (job: Job) => {
      if (abandoned.delete(entry(queue, job.id ?? ''))) void job.remove().catch(() => undefined);
    });
    // a lapsed lease means the job may already run elsewhere: stop this copy
    worker.on('lockRenewalFailed', (jobIds: string[]) => jobIds.forEach((jobId) => stop(queue, jobId, 'lease-lost')));
    return worker;
  });

  const abortRunning = async (): Promise<void> => {
    await Promise.allSettled(workers.map((worker) => worker.pause(true)));
    const stopped = [...running.values()];
    stopped.forEach((attempt) => attempt.stop('shutdown'));
    await waitUntil(() => stopped.every((attempt) => running.get(entry(attempt.queue, attempt.jobId)) !== attempt), FORCE_GRACE_MS);
  };
  const close = async (): Promise<void> => {
    if (force) await abortRunning();
    await Promise.allSettled(workers.map((worker) => worker.close(force || !connected.has(worker))));
    await cancels.close();
    runner.dispose();
  };

  return {
    id,
    queues,
    get running() {
      return running.size;
    },
    ready: async () => {
      await Promise.all([...workers.map((worker) => worker.waitUntilReady()), cancels.ready()]);
    },
    close: (closeOptions) => {
      if (closeOptions?.force === true && !force) {
        force = true;
        // forced while a gentle close waits for running attempts: abort them now
        if (closing !== undefined) void abortRunning();
      }
      closing ??= close();
      return closing;
    },
  };
}

/** Polls `done` every 10 ms until it holds or `withinMs` passed. */
async function waitUntil(done: () => boolean, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}
