/**
 * The scheduler side of one queue: adds each attempt as a job (adds of one burst go in one
 * `addBulk`), hears outcomes on the queue's event stream (its connections: `queueConnections.ts`),
 * re-attaches to a job that already exists (a resumed scheduler: BullMQ reports the add as
 * `duplicated`, and a finished job's result is read at once), checks on a silent job every lease
 * period and on every job when Redis is back after an outage (a missed event, a vanished job, a
 * worker lost too often), cancels jobs whose attempt ended early (unsubscribed, `jobCancels.ts`),
 * and removes each job once its outcome is recorded in the run's journal (a tick's removals at
 * once, `finishedJobs.ts`). Every command has a time limit (`commandConnection.ts`), an add is
 * tried again while Redis is away for up to a lease period (`redisAway.ts`), so an outage fails
 * attempts rather than hangs them. It does not decide retries or timeouts: the scheduler does.
 */
import { Observable } from 'rxjs';
import { stoppedForResume, type TaskContext, TaskTimeoutError, type WorkerResult } from '../index';
import { type CancelReason, issuedAtOf } from './cancelSignals';
import { type CommandConnection, within } from './commandConnection';
import { notTakenDetail, RemoteJobError, RunIdTakenError, STOPPED_JOB_DETAIL, WorkerLostError } from './errors';
import type { FinishedJobs } from './finishedJobs';
import { type ConnectionWatch, type Connections, openConnections } from './queueConnections';
import { addRidingOutages, type Outage, outageOver, outageSeen, saysRedisAway, silenceSeen } from './redisAway';
import { type CancelNotSent, JobCancels, type OwnershipCheck } from './jobCancels';
import { jobIdFor, otherRunsJob, signedJobData, unsendableInput } from './jobFormat';
import { failedJobSettlement, parsedJson, type Settlement, settlementOf } from './outcomes';
import { existingOwnJob, lookInTurn, markTaken, mayAddAgain, ownershipOf, readyToAddAgain, vanishedError, waiterFor } from './waiter';
import { tellLeaseLapse, type Waiter } from './waiter';
import type { LeaseLapse } from './options';
import type { RedisConnectionError, RedisTarget } from './redisConnection';

/**
 * How long closing waits for Redis to take the cancels and removals already sent, for cancelled
 * jobs to end on their workers, and for a `QUIT`: milliseconds on a healthy Redis, even a distant
 * one, with workers that heed their `AbortSignal`. Past it Redis is frozen or gone (or an agent
 * ignores its signal), and whoever pressed Ctrl-C should not wait for it: the connections are
 * dropped, and a job that ends later is left to BullMQ's retention.
 */
const CLOSE_GRACE_MS = 2_000;

/** How soon an attempt waiting out a stopped job of its id looks again once that job is on its way out of Redis. */
const STOPPED_JOB_LOOK_MS = 50;

/** What one queue's client needs to know. */
export interface RemoteQueueConfig {
  readonly target: RedisTarget;
  readonly queue: string;
  readonly prefix: string;
  readonly key: Buffer | undefined;
  readonly leaseMs: number;
  readonly maxLeaseLosses: number;
  readonly signatureTtlMs: number;
  /** How long BullMQ keeps a finished job nobody removed (a scheduler that died), in ms. */
  readonly retainMs: number;
  /** Hears each error of the command connection (each reconnect try's), and each time it is up. */
  readonly connectionWatch?: ConnectionWatch | undefined;
  readonly onLeaseLapsed?: ((lapse: LeaseLapse) => void) | undefined;
}

export class RemoteQueue {
  // Attempts in flight, by job id.
  private readonly waiters = new Map<string, Waiter>();
  // Attempts of the current burst, added together.
  private batch: Waiter[] = [];
  // Adds, removals, cancels and lease checks not yet answered, so `close` can wait for them (an add may land a job to cancel).
  private readonly pending = new Set<Promise<unknown>>();
  private readonly cancels: JobCancels;
  private connections: Promise<Connections> | undefined;
  // The command connection once made (also while opening), so `close` can drop it.
  private connection: CommandConnection | undefined;
  // Set once connected: outcomes are only heard after that.
  private finished: FinishedJobs | undefined;
  private closed = false;
  // Jobs of this client a worker was heard taking: a queue with workers, when a job waits long.
  private takenJobs = 0;
  private readonly outage: Outage;

  constructor(private readonly config: RemoteQueueConfig) {
    const watch = config.connectionWatch;
    // an outage its adds find (a Redis that says nothing included) is news for the watch too, until closed
    this.outage = {
      since: undefined,
      told: watch && { failed: (e) => this.closed || watch.failed(e), ready: () => this.closed || watch.ready() },
    };
    this.cancels = new JobCancels(config, (sending) => this.track(sending));
  }

  /**
   * Runs one attempt remotely: emits the worker's result, or errors with its error. Unsubscribed
   * before that (the scheduler cancelled the attempt or its time ran out), it cancels the job;
   * unless its run stopped without ending (its journal failed, or a shutdown interrupted it):
   * then the job goes on, and the run's resume re-attaches to it. Why not the attempt's `signal`
   * while it runs: reading it makes an `AbortController` per attempt (several µs each), and
   * teardown tells the same thing for free; a stopped attempt reads at teardown why its signal
   * fired (a timeout, a cancel, a stop that leaves the job to the resume). Only an attempt with a
   * time limit listens to it, to say in its timeout's error that no worker took its job.
   */
  run(task: TaskContext): Observable<WorkerResult> {
    return new Observable<WorkerResult>((subscriber) => {
      if (this.closed) return void subscriber.error(new RemoteJobError(`remote agent for queue "${this.config.queue}" is closed`));
      const unsendable = unsendableInput(task); // the job would carry another value
      if (unsendable !== undefined) return void subscriber.error(unsendable);
      const jobId = jobIdFor(task.runId, task.id, task.attempt);
      const waiter = waiterFor(task, jobId, signedJobData(task, jobId, this.config), subscriber);
      this.waiters.set(jobId, waiter);
      this.toAdd(waiter);
      // only a task with a time limit pays for its signal: its timeout may say that no worker answers
      if (waiter.data.timeoutMs !== undefined) task.signal.addEventListener('abort', () => this.timedOut(waiter), { once: true });
      return () => {
        if (!this.forget(waiter)) return; // settled: nothing to cancel
        if (stoppedForResume(task.signal)) return; // the job goes on: the run's resume re-attaches to it
        waiter.aborted = (task.signal.reason as Error | undefined)?.name === 'TaskTimeoutError' ? 'timed-out' : 'cancelled';
        if (waiter.sent) return this.cancel(waiter, waiter.aborted, ownershipOf(waiter));
        // its add never went out: the burst leaves it out; a resumed run's earlier process may have added it (maybe cancelled)
        if (this.outage.since === undefined) this.cancel(waiter, waiter.aborted, existingOwnJob(waiter), true);
      };
    });
  }

  /**
   * Closes the connections, after the outcomes read are recorded, the cancels and removals sent
   * and the jobs cancelled while they ran ended (so that all those are removed), waiting
   * {@link CLOSE_GRACE_MS} at most; attempts still waiting fail (their jobs stay for a resumed
   * scheduler). Resolves with the cancels that did not reach Redis: their workers were not told.
   */
  async close(): Promise<CancelNotSent[]> {
    this.closed = true;
    this.cancels.stop();
    await null; // a run torn down at once (closed in a `complete` that `takeUntil` calls first) cancels its attempts
    for (const waiter of [...this.waiters.values()]) {
      const error = new RemoteJobError(`remote agent for queue "${this.config.queue}" was closed while job "${waiter.jobId}" ran`);
      this.settle(waiter, { ok: false, error });
    }
    const deadline = Date.now() + CLOSE_GRACE_MS;
    // the outcomes read are recorded as the run's journal commits them (at its end, at the latest)
    if (this.finished !== undefined) await within(this.finished.allRecorded(), deadline - Date.now());
    await within(Promise.allSettled([...this.pending]), deadline - Date.now());
    // a cancelled job that ended before its worker heard the cancel is removed when its end is read
    if (await within(this.cancels.noneRunning(), deadline - Date.now()))
      await within(Promise.allSettled([...this.pending]), deadline - Date.now());
    const { connections: opened, connection } = this;
    this.connections = undefined;
    this.connection = undefined;
    // still opening past the deadline: dropping the connection below fails the opening
    const connections =
      opened !== undefined && (await within(opened, deadline - Date.now())) ? await opened.catch(() => undefined) : undefined;
    if (connections !== undefined)
      await within(Promise.allSettled([connections.events.close(), connections.queue.close()]), deadline - Date.now());
    const notSent = this.cancels.notSent((jobId) =>
      connection === undefined
        ? this.config.target.fail(`send the cancel of job "${jobId}"`, 'no connection')
        : connection.unanswered(`send the cancel of job "${jobId}"`, CLOSE_GRACE_MS),
    );
    await connection?.close(deadline - Date.now());
    return notSent;
  }

  private connect(): Promise<Connections> {
    if (this.closed) return Promise.reject(new RemoteJobError(`remote agent for queue "${this.config.queue}" is closed`));
    this.connections ??= this.open().catch((error: unknown) => {
      this.connections = undefined; // the next attempt tries again
      throw error;
    });
    return this.connections;
  }

  private async open(): Promise<Connections> {
    const watch = this.config.connectionWatch;
    let upBefore = false;
    let made: CommandConnection | undefined;
    const connections = await openConnections(this.config, {
      made: (connection) => (made = this.connection = connection),
      // a closing client's connection ends: that is no news of Redis
      failed: (error) => {
        if (this.closed) return;
        outageSeen(this.outage, error); // while every attempt waits on a worker, no add would have seen it
        watch?.failed(error);
      },
      ready: () => {
        outageOver(this.outage); // back
        if (this.closed) return;
        watch?.ready();
        // up again after an outage: Redis may have lost jobs (restarted without its data), look now
        if (upBefore) for (const jobId of [...this.waiters.keys()]) this.nudge(jobId);
        upBefore = true;
      },
      track: (sending) => this.track(sending),
      listener: {
        completed: (jobId, returnvalue) => this.onFinished(jobId, () => settlementOf(this.config, jobId, parsedJson(returnvalue))),
        failed: (jobId, failedReason) =>
          this.onFinished(jobId, () => failedJobSettlement(this.config.queue, jobId, failedReason, undefined)),
        changed: (jobId, event) => {
          const waiter = this.waiters.get(jobId);
          if (event === 'duplicated' && waiter !== undefined && waiter.origin === undefined) waiter.origin = 'unchecked';
          if (event === 'stalled' && waiter !== undefined) tellLeaseLapse(this.config.onLeaseLapsed, this.config.queue, waiter);
          this.nudge(jobId);
        },
        added: (jobId) => {
          const waiter = this.waiters.get(jobId);
          if (waiter !== undefined && waiter.origin === undefined) waiter.origin = 'fresh';
        },
        taken: (jobId) => {
          const waiter = this.waiters.get(jobId);
          // before its add is heard, or of a job a cancel stopped, another job's (taken back if the job proves one)
          if (waiter !== undefined && waiter.origin !== undefined && waiter.origin !== 'stopped' && markTaken(waiter)) this.takenJobs++;
        },
      },
    }).catch((error: unknown) => {
      if (this.connection === made) this.connection = undefined;
      throw error;
    });
    this.finished = connections.finished;
    return connections;
  }

  private async addBatch(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    const retainSeconds = Math.ceil(this.config.retainMs / 1000);
    const result = await addRidingOutages(this.config.leaseMs, this.outage, {
      pending: () => batch.filter((waiter) => this.waiters.get(waiter.jobId) === waiter),
      add: async (pending) => {
        const { queue } = await this.connect();
        // those that ended while connecting cancelled nothing (not sent): they are not sent now either
        const live = pending.filter((waiter) => this.waiters.get(waiter.jobId) === waiter);
        for (const waiter of live) waiter.sent = true;
        await queue.addBulk(
          live.map(({ jobId, data }) => ({
            name: data.id,
            data,
            opts: { jobId, attempts: 1, removeOnComplete: { age: retainSeconds }, removeOnFail: { age: retainSeconds } },
          })),
        );
      },
      failure: (error, count) => this.failure(`add ${count} job(s) to queue "${this.config.queue}"`, error),
      probe: async () => {
        await this.connect();
        await this.connection?.redis.ping();
      },
    });
    if ('failed' in result) {
      const refused = !saysRedisAway(result.error); // Redis answered no (full: OOM), so nothing was added: a cancel tried once
      for (const waiter of result.failed) {
        if (!this.forget(waiter)) continue; // ended meanwhile: its teardown cancelled it
        waiter.reject(result.error);
        if (waiter.sent) this.cancel(waiter, 'cancelled', ownershipOf(waiter), refused); // an add under way may land once Redis is back
      }
      return;
    }
    for (const waiter of result.added) {
      waiter.added = true;
      if (this.waiters.get(waiter.jobId) === waiter) this.arm(waiter);
      else if (waiter.sent && waiter.aborted !== undefined) this.cancel(waiter, waiter.aborted, ownershipOf(waiter)); // aborted while being added: the first cancel may have come first
    }
  }

  /** Puts the attempt's job in the next burst of adds. */
  private toAdd(waiter: Waiter): void {
    if (this.batch.push(waiter) === 1) queueMicrotask(() => this.track(this.addBatch()));
  }

  /** A job that vanished from Redis before any worker took it: added again for the same attempt (see `waiter.ts`). */
  private addAgain(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    readyToAddAgain(waiter, signedJobData(waiter.task, waiter.jobId, this.config));
    this.toAdd(waiter);
  }

  /** Checks on a job after a lease period without news. */
  private arm(waiter: Waiter, afterMs = this.config.leaseMs): void {
    clearTimeout(waiter.timer);
    waiter.timer = setTimeout(() => this.nudge(waiter.jobId), afterMs);
  }

  /** A timed-out attempt whose job no worker took says so in its error (see `notTakenDetail`). */
  private timedOut(waiter: Waiter): void {
    const reason: unknown = waiter.task.signal.reason;
    // (a job not added yet, Redis away, is no sign of a queue without workers)
    if (waiter.taken || !waiter.sent || !(reason instanceof TaskTimeoutError)) return;
    const running = [...this.waiters.values()].filter((other) => other.taken).length;
    const database = this.config.target.options.db ?? 0;
    reason.addDetail(
      waiter.origin === 'stopped' ? STOPPED_JOB_DETAIL : notTakenDetail({ ...this.config, database }, this.takenJobs, running),
    );
  }

  private onFinished(jobId: string, read: () => Settlement): void {
    const waiter = this.waiters.get(jobId);
    if (this.cancels.finished(jobId, this.connection?.redis)) {
      this.finished?.remove(jobId);
      if (waiter?.origin === 'stopped') this.arm(waiter, STOPPED_JOB_LOOK_MS); // the next run's attempt waits this job out
      return;
    }
    if (waiter === undefined) return;
    // the end of another job of its id, before its add (not this attempt's); or of a job found in
    // Redis whose data was not checked yet: read the job whole first
    if (waiter.origin === undefined) return;
    if (waiter.origin === 'unchecked' || waiter.origin === 'stopped') return this.nudge(jobId);
    const settlement = read();
    this.finished?.removeOnceRecorded(waiter.task, jobId);
    this.settle(waiter, settlement);
  }

  /** Looks at a job in Redis: finished (an event we missed, or re-attached), vanished, or lost too often. */
  private nudge(jobId: string): void {
    const waiter = this.waiters.get(jobId);
    if (waiter === undefined) return;
    const look = lookInTurn(waiter, () => this.look(waiter)).catch((error: unknown) => {
      const failure = this.failure(`read job "${jobId}"`, error);
      if (!this.closed) silenceSeen(this.outage, failure); // (a frozen server: no connection says so)
      if (!this.forget(waiter)) return;
      waiter.reject(failure);
      this.cancel(waiter, 'cancelled', ownershipOf(waiter)); // it may run once Redis is back: not for an attempt that failed
    });
    this.track(look);
  }

  private async look(waiter: Waiter): Promise<void> {
    const { jobId } = waiter;
    const { queue, connection } = await this.connect();
    const added = waiter.added; // before the read: Redis took the add before it
    const job = await queue.getJob(jobId);
    outageOver(this.outage); // Redis answers
    if (this.waiters.get(jobId) !== waiter) return;
    // what its add did is not heard yet: a job there may be another's, or read before the add
    if (waiter.origin === undefined && !(added && job === undefined)) return this.arm(waiter);
    if (job === undefined) {
      if (waiter.origin === 'stopped' || mayAddAgain(waiter)) return this.addAgain(waiter);
      this.settle(waiter, { ok: false, error: vanishedError(waiter, this.config.queue) });
      return this.cancel(waiter, 'cancelled', ownershipOf(waiter)); // a worker may still run it: its cancel key stops it
    }
    if (waiter.origin === 'unchecked') {
      // an add a cancel stopped (an earlier run of the id, with any input; this run before a resume): not this attempt's
      const stopped = await this.cancels.stopsInRedis(connection.redis, jobId, issuedAtOf(job.data));
      if (this.waiters.get(jobId) !== waiter) return;
      const other = stopped ? undefined : otherRunsJob(waiter.data, job.data);
      // another run's job, live: its outcome is not taken, and the job is left to its own run
      if (other !== undefined) return this.settle(waiter, { ok: false, error: new RunIdTakenError(jobId, this.config, other) });
      waiter.origin = stopped ? 'stopped' : 'checked';
      waiter.taken &&= !stopped; // what was heard taken was the stopped job
      if (!stopped) waiter.issuedAt = issuedAtOf(job.data) ?? waiter.issuedAt;
    }
    if (waiter.origin === 'stopped') {
      if (job.finishedOn === undefined) return this.arm(waiter); // gone, the attempt's own job is added; finished, removed for that
      if ((await queue.remove(jobId)) === 0) return this.arm(waiter, STOPPED_JOB_LOOK_MS); // removed by someone else meanwhile
      if (this.waiters.get(jobId) === waiter) this.addAgain(waiter);
      return;
    }
    // a job re-attached to (a resumed run's) may have been taken before this client read events
    if (job.processedOn !== undefined && markTaken(waiter)) this.takenJobs++;
    if (job.finishedOn !== undefined) {
      this.onFinished(jobId, () =>
        job.failedReason !== undefined && job.failedReason !== ''
          ? failedJobSettlement(this.config.queue, jobId, job.failedReason, job.stalledCounter)
          : settlementOf(this.config, jobId, job.returnvalue),
      );
      return;
    }
    if (job.stalledCounter > this.config.maxLeaseLosses) {
      this.settle(waiter, { ok: false, error: new WorkerLostError(jobId, job.stalledCounter) });
      this.cancel(waiter, 'cancelled');
      return;
    }
    this.arm(waiter); // waiting or running: look again in a lease period
  }

  /** Stops waiting for `waiter`'s job; false when it was not waited for any more. */
  private forget(waiter: Waiter): boolean {
    if (this.waiters.get(waiter.jobId) !== waiter) return false;
    this.waiters.delete(waiter.jobId);
    clearTimeout(waiter.timer);
    return true;
  }

  private settle(waiter: Waiter, settlement: Settlement): void {
    if (!this.forget(waiter)) return;
    try {
      if (settlement.spawned !== undefined) waiter.task.spawn(settlement.spawned); // a warning's too: a success with a note
    } catch (error) {
      return waiter.reject(error); // children the run refuses
    }
    if (settlement.ok) waiter.resolve(settlement.result);
    else waiter.reject(settlement.error);
  }

  /** Stops a job: a waiting one is removed, a running one gets a cancel and is removed when it ends (also closing, until the connections go). */
  private cancel(waiter: Waiter, reason: CancelReason, owned?: OwnershipCheck, maybe = false): void {
    // its job of the id is an earlier one, which a cancel stopped already (and names): none of its own was added
    if (waiter.origin === 'stopped') return;
    this.cancels.send(() => this.connections ?? this.connect(), waiter, reason, owned, maybe, this.outage.since !== undefined);
  }

  /** The error of `action`, naming the real cause when the connection knows it. */
  private failure(action: string, error: unknown): RedisConnectionError {
    return this.connection?.fail(action, error) ?? this.config.target.fail(action, error);
  }

  private track(promise: Promise<unknown>): void {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise)).catch(() => undefined); // a failed command is its sender's to report
  }
}
