/**
 * `startWorker`: takes attempts from BullMQ queues (one BullMQ `Worker` per queue) and runs them
 * on local agents. The lease on each running job is BullMQ's lock (`leaseMs`, renewed every
 * third of it); a worker that dies stops renewing and BullMQ's stalled-job check hands the job to
 * another worker, up to `maxLeaseLosses` times. A job whose lease lapsed, or that is no longer in
 * Redis at all (`LostJobs` says which, once), is stopped and nothing more is written for it.
 * Cancels arrive through `CancelWatch`. Closing finishes running attempts (or, forced, aborts them and
 * hands them back to the queue), never waits for an unanswering Redis without a limit, and leaves no
 * connection behind, BullMQ's included (`BullmqClients`). Redis errors are logged once an outage
 * (`OutageLog`); credentials Redis refuses also reject `ready()`. It does not decide retries: a failed
 * attempt goes back to its scheduler as an outcome. A job given again while its agent still runs here waits.
 * A job whose agent threw `AttemptHandedBackError` goes back to the queue (`IntakePauses`).
 */
import { hostname } from 'node:os';
import { DelayedError, type Job, WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AgentSpec } from '../index';
import { CancelWatch, issuedAtOf } from './cancelSignals';
import { BullmqClients } from './bullmqClients';
import { checkBullmqVersion } from './bullmqVersion';
import { within } from './commandConnection';
import { checkLeases, JobRunner, RunningJob, type StopReason } from './jobRunner';
import { HAND_BACK_DELAY_MS, IntakePauses } from './intakePauses';
import { tell } from './listeners';
import { SettlingJobs } from './settlingJobs';
import type { Outcome } from './jobFormat';
import { type JobLoss, lostJobOf, LostJobs } from './lostJobs';
import { type JobRefusal, resolveWorkerOptions, type WorkerOptions } from './options';
import { OutageLog } from './outageLog';
import { WorkerReadiness } from './workerReadiness';
import { connectionNamePart } from './connectionName';
import { lacksDatabase, stopsStart } from './redisConnection';

/** A running worker. */
export interface RemoteWorker {
  /** How results name this worker: `host:pid` unless `name` was given. */
  readonly id: string;
  /** The queues it takes jobs from. */
  readonly queues: readonly string[];
  /** Attempts running now. */
  readonly running: number;
  /**
   * Resolves when every queue's connection is up and cancels are heard. Rejects with a
   * `RedisConnectionError` when Redis refuses the credentials (`NOAUTH`: it needs a password the
   * connection does not give; `WRONGPASS`: wrong user name or password), which no retry fixes, or
   * has no database of the connection's number. While Redis cannot be reached it waits. Either
   * way the worker goes on trying to connect (and logs it) until closed; closed before it was up,
   * it rejects with a `RedisConnectionError` saying so, with the last reason Redis was not reached.
   */
  ready(): Promise<void>;
  /**
   * Takes no more jobs and resolves when closed. By default running attempts finish first; with
   * `force`, their agents are aborted and, once each has returned, their jobs go back to the
   * queue for another worker (an agent that ignores its signal for 5 s is left behind, no longer
   * counted in `running`, and its job is re-run elsewhere once its lease lapses). Redis down or
   * frozen does not hold it: once the attempts are done it waits a few seconds at most for Redis
   * to record them (those it could not record run on another worker once their lease lapses),
   * and a forced close returns within a few seconds. Calling it again returns the same promise.
   */
  close(options?: { readonly force?: boolean | undefined }): Promise<void>;
}

/** How often a worker on a database other than 0 tries to select it while Redis is down. */
const DATABASE_RETRY_MS = 1_000;

/** How long a forced close waits for aborted agents to return, at most (a shell task's processes get a grace to exit). */
const FORCE_GRACE_MS = 5_000;
/**
 * How long a close waits for Redis to record what its finished attempts did, and to answer a
 * `QUIT`: milliseconds on a healthy Redis. Past it, Redis is down or frozen: the worker stops
 * anyway, and those jobs go to another worker once their lease lapses.
 */
const SETTLE_GRACE_MS = 2_000;
/** How long a closing worker waits for outcomes before it asks Redis whether their jobs are still there. */
const SETTLE_GRACE_SHORT_MS = 500;

/**
 * Starts a worker: one BullMQ worker per queue, `concurrency` attempts at once on each, every job
 * checked (signature, expiry, data, agent) before it runs. Throws a `TypeError` for bad options
 * or a Redis off loopback without `key` or `insecure`.
 *
 * @example
 * // a worker of your own agents; `rxdag worker` is the one for the CLI's shell and sleep tasks
 * const agents = { summarize: { run: (ctx: TaskContext) => summarize(ctx.input, ctx.signal) } };
 * const worker = startWorker({ connection: 'redis://127.0.0.1:6379', agents, concurrency: 4, leaseMs: 30_000 });
 * process.once('SIGTERM', () => void worker.close());
 */
export function startWorker(options: WorkerOptions): RemoteWorker {
  const resolved = resolveWorkerOptions(options);
  const { target, prefix, key, leaseMs, maxLeaseLosses, agents, queues, onLog, onJobTaken, onJobRefused } = resolved;
  if (queues.length === 0)
    throw new TypeError('startWorker: no queue to take jobs from: `agents` (and `allow`) name no agent, and `queues` is not given');
  // before any BullMQ worker exists: an older BullMQ (installed past npm's peer check) would fail half-started
  checkBullmqVersion('startWorker');
  const id = resolved.name ?? `${hostname()}:${process.pid}`;
  const log = (line: string) => onLog(target.redact(line));
  const lostJobs = new LostJobs(log, id, leaseMs);
  const outages = new OutageLog(log);
  const readiness = new WorkerReadiness(target, queues);
  // attempts whose agent runs
  const running = new Map<string, RunningJob>();
  // attempts whose agent returned and whose outcome (or hand-back) Redis has not recorded yet
  const settling = new SettlingJobs(leaseMs);
  const entry = (queue: string, jobId: string) => `${queue}\n${jobId}`;
  const stop = (queue: string, jobId: string, reason: StopReason) => running.get(entry(queue, jobId))?.stop(reason);
  const jobRefused = (queue: string, reason: JobRefusal) => tell(onJobRefused, { queue, reason });
  const runnerOptions = { key, prefix, worker: id, agents, allowed: resolved.allowed, timeoutGraceMs: leaseMs, log };
  const runner = new JobRunner({ ...runnerOptions, refused: jobRefused });
  const stopLeaseChecks = checkLeases(() => running.values(), leaseMs);
  const cancels = new CancelWatch(target, prefix, leaseMs, () => running.values(), {
    cancelled: (queue, jobId, reason) => stop(queue, jobId, reason),
    failed: (error) => {
      if (stopsStart(error.reason)) readiness.refuse(error);
      readiness.failed(error.reason);
      outages.failed('cancels', error.reason, `rxdag worker ${id}: ${error.message}`);
    },
    connected: () => outages.connected('cancels', `rxdag worker ${id}: cancels: connected to Redis again`),
  });
  // attempts stopped before their agents returned (a shell task's kill grace): their jobs, given again, wait
  const stopping = new Map<string, RunningJob>();
  // Jobs whose scheduler cancelled them: nobody reads their outcome, so they are removed once done.
  const abandoned = new Set<string>();
  // attempts a forced close aborted whose agents did not return in time
  let leftBehind = 0;
  // set once `close` was called, and whether running attempts are to be aborted
  let closing: Promise<void> | undefined;
  let force = false;
  const intake = new IntakePauses(id, log, () => closing !== undefined);
  // wakes a close waiting for running attempts: one ended, or the close was forced
  let wake: (() => void) | undefined;

  const settled = (jobEntry: string) => settling.settled(jobEntry);

  const processor = async (queue: string, job: Job, token: string | undefined): Promise<Outcome> => {
    const jobId = job.id ?? '';
    const jobEntry = entry(queue, jobId);
    const earlier = running.get(jobEntry) ?? stopping.get(jobEntry);
    if (earlier !== undefined && !earlier.agentReturned && token !== undefined) {
      // given again while this worker still runs it (a lapsed lease, a job Redis lost and added again, a run of the same id):
      // the earlier copy is not this worker's any more; this one waits until its agent returned, here a while, then delayed
      earlier.stop('lease-lost');
      if (!(await waitUntil(() => earlier.agentReturned, Math.ceil(leaseMs / 3)))) {
        await job.moveToDelayed(Date.now() + Math.min(Math.ceil(leaseMs / 3), 1000), token);
        throw new DelayedError();
      }
    }
    // told once per copy that runs: one delayed above is told when it is taken again
    if (onJobTaken !== undefined) tell(onJobTaken, { queue, waitedMs: Math.max(0, Date.now() - job.timestamp) });
    const attempt = new RunningJob(queue, jobId, issuedAtOf(job.data), job.attemptsStarted);
    running.set(jobEntry, attempt);
    let outcome: Outcome | undefined;
    // aborted by a forced close, its agent still running after the grace: left behind
    let leftRunning = false;
    try {
      // taken again after a lease lapsed: its cancel may have come while no worker held it
      const cancelled = await cancels.cancelledAtStart(attempt, job.stalledCounter > 0);
      if (cancelled !== undefined) attempt.stop(cancelled);
      // taken while closing (a fetch was under way): it goes back to the queue unrun
      if (closing !== undefined) attempt.stop('shutdown');
      outcome = await runner.run(attempt, job.data as unknown);
      // while an aborted agent still runs, its job goes to no other worker
      if (outcome === undefined && attempt.stoppedFor === 'shutdown') {
        leftRunning = !(await waitUntil(() => attempt.agentReturned, FORCE_GRACE_MS));
      }
    } finally {
      running.delete(jobEntry);
      stopping.delete(jobEntry);
      if (!attempt.agentReturned) {
        stopping.set(jobEntry, attempt);
        attempt.whenReturned(() => stopping.get(jobEntry) === attempt && stopping.delete(jobEntry));
      }
      if (!leftRunning) settling.start(jobEntry);
      wake?.();
    }
    if (outcome !== undefined) return outcome; // settled once BullMQ says it completed
    if (leftRunning) {
      // nothing is written for its job, whose lease lapses once the worker has closed
      leftBehind++;
      return new Promise<never>(() => undefined);
    }
    // another worker runs it: not a failure of the attempt (one its agent handed back, after a while: see `intakePauses.ts`)
    const back = attempt.stoppedFor === 'handed-back';
    if ((back || attempt.stoppedFor === 'shutdown') && token !== undefined) {
      if (back) intake.pause(workers[queues.indexOf(queue)]!, `${attempt.handedBackBecause}; queue "${queue}" takes no job here`);
      try {
        await (back ? job.moveToDelayed(Date.now() + HAND_BACK_DELAY_MS, token) : job.moveToWait(token));
      } finally {
        settled(jobEntry);
      }
      throw back ? new DelayedError() : new WaitingError();
    }
    if (attempt.stoppedFor === 'lease-lost') {
      // the lock is another's or gone, with the job or not: BullMQ would refuse any outcome (and
      // say so twice), so none is written and the job is left to whoever holds it now, if anyone
      settled(jobEntry);
      throw new WaitingError();
    }
    if (attempt.stoppedFor === 'cancelled' || attempt.stoppedFor === 'timed-out') abandoned.add(jobEntry);
    return runner.stoppedOutcome(attempt);
  };

  // ioredis goes on with database 0 when a `SELECT` fails: on another database, no job is taken
  // before the database is known to be there (`startOnDatabase`)
  const database = target.options.db ?? 0;
  // every client BullMQ uses, so a close can end them all (BullMQ may bring one back as it closes)
  const clients = new BullmqClients();
  // each BullMQ worker's connection, by the index of its queue
  const connections: Redis[] = [];
  const workers = queues.map((queue) => {
    const definition = agents[queue];
    const capacity = typeof definition === 'object' ? (definition as AgentSpec<unknown>).capacity : undefined;
    const connection = clients.connection(target);
    connections.push(connection);
    const worker = new Worker(queue, (job: Job, token?: string) => processor(queue, job, token), {
      connection,
      prefix,
      name: connectionNamePart(id),
      concurrency: Math.min(resolved.concurrency, capacity ?? Number.POSITIVE_INFINITY),
      lockDuration: leaseMs,
      lockRenewTime: Math.max(1, Math.floor(leaseMs / 3)),
      stalledInterval: Math.max(1, Math.floor(leaseMs / 2)),
      maxStalledCount: maxLeaseLosses,
      autorun: database === 0,
    });
    const source = `queue "${queue}"`;
    let everReady = false; // a connection that was up and then drops is no sign of a TLS mismatch
    worker.on('error', (error: Error) => {
      const lost = lostJobOf(error.message);
      if (lost !== undefined) {
        // a renewal that failed is said by `lockRenewalFailed`, once it is known whether the job is still there
        if (lost.loss === 'renewal') return;
        lostJobs.lost(queue, lost.jobId, lost.loss);
        settled(entry(queue, lost.jobId)); // Redis will not record it: a close need not wait for it
        return;
      }
      const reason = target.reasonOf(error, everReady);
      if (stopsStart(reason)) readiness.refuse(target.fail(`reach queue "${queue}"`, error, everReady));
      readiness.failed(reason);
      outages.failed(source, reason, `rxdag worker ${id}: ${source}: ${reason}`);
    });
    worker.getBackend().on('ready', () => {
      everReady = true;
      outages.connected(source, `rxdag worker ${id}: ${source}: connected to Redis again`);
    });
    worker.on('completed', (job: Job) => {
      const jobEntry = entry(queue, job.id ?? '');
      settled(jobEntry);
      // with its cancel key, which its scheduler (gone, or gone on) may not delete
      if (abandoned.delete(jobEntry)) void cancels.dropped(queue, job);
    });
    worker.on('failed', (job: Job | undefined) => job !== undefined && settled(entry(queue, job.id ?? '')));
    worker.on('locksRenewed', ({ jobIds }: { jobIds: string[] }) => {
      for (const jobId of jobIds) running.get(entry(queue, jobId))?.renewed();
    });
    // a lapsed lease means the job may already run elsewhere, a vanished job that nothing reads
    // what this copy does: either way it is stopped
    worker.on('lockRenewalFailed', (jobIds: string[]) => {
      for (const jobId of jobIds) {
        stop(queue, jobId, 'lease-lost');
        void lossOf(connection, worker.toKey(jobId)).then((loss) => lostJobs.lost(queue, jobId, loss));
      }
    });
    return worker;
  });

  /** Starts taking jobs once the database is selected; never, when Redis has no such database. */
  const startOnDatabase = async (): Promise<void> => {
    for (;;) {
      try {
        await cancels.selectDatabase();
        break;
      } catch (error) {
        if (closing !== undefined) return;
        if (lacksDatabase((error as Error).message)) {
          log(`rxdag worker ${id}: ${(error as Error).message}; this worker takes no jobs`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, DATABASE_RETRY_MS)); // Redis down: try again
      }
    }
    if (closing === undefined) for (const worker of workers) void worker.run().catch(() => undefined); // its errors are events too
  };
  if (database !== 0) void startOnDatabase();

  const untilIdle = async (): Promise<void> => {
    while (running.size > 0 && !force) await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  };
  const abortRunning = async (): Promise<void> => {
    const stopped = [...running.values()];
    stopped.forEach((attempt) => attempt.stop('shutdown'));
    // a little past the processors' own wait for their agents, so those left behind are counted
    await waitUntil(() => stopped.every((attempt) => running.get(entry(attempt.queue, attempt.jobId)) !== attempt), FORCE_GRACE_MS + 200);
  };
  /**
   * Settles the jobs whose outcome is still being written that are no longer in Redis, saying
   * so: a paused BullMQ worker reports no errors, so the close would wait for them in vain.
   */
  const settleGone = async (withinMs: number): Promise<void> => {
    const checks = settling.jobs().map(async (jobEntry) => {
      const [queue, jobId] = jobEntry.split('\n') as [string, string];
      const at = queues.indexOf(queue);
      const worker = workers[at];
      if (worker === undefined || (await lossOf(connections[at]!, worker.toKey(jobId), withinMs)) !== 'gone') return;
      lostJobs.lost(queue, jobId, 'gone');
      settled(jobEntry);
    });
    await Promise.allSettled(checks);
  };
  // Never waits on Redis without a limit: BullMQ's gentle close waits for Redis (for ever while
  // it is down), so the workers are paused, then closed with force once their attempts are done.
  const close = async (): Promise<void> => {
    // take no more jobs. A paused BullMQ worker still waits in Redis for the next job: added now
    // (a dependent of the attempt that just ended), it would be taken here, or the wake-up meant
    // for the workers that stay would be, and the job left until a lease or a block time lapsed.
    // That wait is cut; a job it took meanwhile is handed back by the processor (see below). Not
    // while Redis is away: nothing can be taken then, and BullMQ would bring the connection back.
    readiness.closed();
    intake.clear();
    await Promise.allSettled(workers.map((worker) => worker.pause(true)));
    const reachable = workers.filter((_worker, at) => connections[at]!.status === 'ready');
    await Promise.allSettled(reachable.map((worker) => within(worker.getBackend().disconnectBlocking(true), SETTLE_GRACE_SHORT_MS)));
    await untilIdle();
    if (force) await abortRunning();
    if (leftBehind > 0) {
      log(
        `rxdag worker ${id}: ${leftBehind} aborted attempt(s) did not return within ${FORCE_GRACE_MS / 1000} s and are left running; ` +
          'their jobs go to another worker once their lease lapses',
      );
    } else {
      // BullMQ's loops end once the jobs they took are processed: a job handed back is in Redis before they close
      await waitUntil(() => reachable.every((worker) => !worker.isRunning()), SETTLE_GRACE_SHORT_MS);
    }
    // nothing runs that a cancel could stop: the watch closes while outcomes are recorded
    stopLeaseChecks();
    const watchClosed = cancels.close(SETTLE_GRACE_MS);
    const settleBy = Date.now() + SETTLE_GRACE_MS;
    if (!(await waitUntil(() => settling.size === 0, SETTLE_GRACE_SHORT_MS))) await settleGone(settleBy - Date.now());
    if (!(await waitUntil(() => settling.size === 0, Math.max(0, settleBy - Date.now())))) {
      log(
        `rxdag worker ${id}: Redis did not record what ${settling.size} attempt(s) did in time; ` +
          'their jobs go to another worker once their lease lapses',
      );
    }
    const bullmqClosed = Promise.allSettled(workers.map((worker) => worker.close(true)));
    await Promise.allSettled([clients.endAfter(bullmqClosed), watchClosed]);
    runner.dispose();
  };

  readiness.watch(Promise.all([...workers.map((worker) => worker.waitUntilReady()), cancels.ready()]));
  return {
    id,
    queues,
    get running() {
      return running.size;
    },
    ready: () => readiness.ready(),
    close: (closeOptions) => {
      if (closeOptions?.force === true && !force) {
        force = true;
        wake?.(); // a gentle close waiting for running attempts: abort them now
      }
      closing ??= close();
      return closing;
    },
  };
}

/** Polls `done` every 10 ms until it holds or `withinMs` passed; whether it holds. */
async function waitUntil(done: () => boolean, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return done();
}

/** How long a worker waits for Redis to say whether a job whose lease it lost is still there. */
const LOSS_CHECK_MS = 2_000;

/**
 * Whether the job of a lease this worker could not renew (at `jobKey`) is gone from Redis, or
 * only its lease is lost (also when Redis does not say in time: the lease was lost either way).
 */
async function lossOf(client: Pick<Redis, 'exists'>, jobKey: string, withinMs = LOSS_CHECK_MS): Promise<JobLoss> {
  let timer: NodeJS.Timeout | undefined;
  const unknown = new Promise<JobLoss>((resolve) => (timer = setTimeout(() => resolve('lease'), withinMs)));
  const found = client.exists(jobKey).then(
    (count): JobLoss => (count === 0 ? 'gone' : 'lease'),
    (): JobLoss => 'lease',
  );
  try {
    return await Promise.race([found, unknown]);
  } finally {
    clearTimeout(timer);
  }
}
