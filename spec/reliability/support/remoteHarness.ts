import type { Redis } from 'ioredis';
import { type Observable, take } from 'rxjs';
import { type DagEvent, type DagRun, type Scheduler } from '../../../src';
import { freshObservation, observedScheduler, type PlannedRun, prepareScenario, recordEvent, submitPlanned } from './harness';
import { mayHang, schedulerOptionsOf, workBound } from './model';
import type { Observation, RunRecord } from './observation';
import { type RemoteCall, WorkerCalls } from './remoteCalls';
import { inRealTime, REMOTE_TOLERANCE, UNIT_MS } from './remoteScale';
import { RemoteStage } from './remoteStage';
import type { MultiScenario, SingleScenario } from './scenario';

/**
 * Runs a generated scenario in real time with every agent kind served through `remoteAgent` →
 * BullMQ → `startWorker` (two workers in this process, a key prefix of the scenario's own), and
 * records what happened in the same `Observation` the virtual-time harness fills, plus what only
 * a remote run has: the calls on the workers, where each turn of the event loop ended, the jobs
 * left in Redis, the remote agents' clients. The durations of the scenario are scaled to real
 * milliseconds (`remoteScale.ts`). The invariants are checked by `remoteInvariants.ts`.
 */

/** A worker's hold on an attempt; a cancel reaches a running attempt within it. */
export const LEASE_MS = 2000;

/** The bound on a run's work allows each attempt this much for its trips through Redis. */
const ATTEMPT_ALLOWANCE_MS = 150;

const MAX_VIOLATIONS = 40;

/** What a remote run adds to an observation. */
export interface RemoteObservation extends Observation {
  readonly calls: RemoteCall[];
  /** `Date.now()` when the scenario started: times are shown from it. */
  readonly origin: number;
  readonly leaseMs: number;
  /** Indexes of `global` after which a turn of the event loop ended (see `checkWorkConserving`). */
  readonly turnEnds: Set<number>;
  /** Calls still running on workers a lease period after every run ended. */
  liveCallsAfter: number;
  /** Job keys still in Redis a lease period after every run ended. */
  jobKeysLeft: string[];
}

/** Where the scenario's Redis is, and a prefix of its own for its keys. */
export interface RemoteRedis {
  readonly url: string;
  readonly prefix: string;
  readonly client: Redis;
}

/** Runs one generated scenario (durations in generated ms) on remote workers, to its end. */
export async function executeRemote(generated: SingleScenario | MultiScenario, redis: RemoteRedis): Promise<RemoteObservation> {
  const scenario = inRealTime(generated);
  const multi = 'runs' in scenario;
  const { options, faultRate, resources, planned, api, kinds, records, byId, limits } = prepareScenario(scenario);
  // the workers listen before the clock of the scenario starts
  let workerCalls: WorkerCalls | undefined;
  const stage = await RemoteStage.open({
    url: redis.url,
    prefix: redis.prefix,
    kinds,
    leaseMs: LEASE_MS,
    client: redis.client,
    call: (kind, ctx, worker) => workerCalls!.call(kind, ctx, worker),
  });
  const origin = Date.now();
  const since = () => Date.now() - origin;
  const violations: string[] = [];
  const violation = (message: string) => {
    if (violations.length < MAX_VIOLATIONS) violations.push(`T+${since()}: ${message}`);
  };
  workerCalls = new WorkerCalls(byId, resources, options.contextInjection, faultRate, violation);
  const observation: RemoteObservation = {
    ...freshObservation({ options, kinds, limits, runs: records, calls: workerCalls.calls, violations, api }),
    tolerance: REMOTE_TOLERANCE,
    origin,
    leaseMs: LEASE_MS,
    turnEnds: new Set(),
    liveCallsAfter: 0,
    jobKeysLeft: [],
  };
  const timers = new Set<NodeJS.Timeout>();
  const later = (delayMs: number, action: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, delayMs);
    timers.add(timer);
  };
  try {
    await playRuns(workerCalls);
    await settle(workerCalls);
  } finally {
    for (const timer of timers) clearTimeout(timer);
    await stage.close();
  }
  return observation;

  function playRuns(workerCalls: WorkerCalls): Promise<void> {
    // Every planned time counts from one reading: timers set in one tick for the same time fire
    // in the order they were set (submissions before a shutdown at that time, as in virtual time).
    const base = since();
    const after = (plannedMs: number, action: () => void) => later(Math.max(0, plannedMs - base), action);
    // a turn of the event loop ends when the scheduler's reaction (its microtasks) is over
    let turn = 0;
    let turnMarked = false;
    const turnOf: number[] = [];
    const queuedAt = new Map<string, number>();
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));

    const onEvent = (event: DagEvent) => {
      const run = byId.get(event.runId);
      if (run === undefined) {
        violation(`event for unknown run ${event.runId}`);
        return;
      }
      const now = Date.now();
      if (event.at > now) violation(`${run.runId} seq ${event.seq} ${event.type} is stamped ${event.at - now} ms in the future`);
      if (run.endedAt !== undefined) violation(`${run.runId} emitted ${event.type} after dag.completed`);
      const index = observation.global.length;
      if (index > 0 && turnOf[index - 1] !== turn) observation.turnEnds.add(index - 1);
      turnOf.push(turn);
      if (!turnMarked) {
        turnMarked = true;
        setImmediate(() => {
          turnMarked = false;
          turn++;
        });
      }
      recordEvent(observation, run, event, queuedAt, now, violation);
      workerCalls.onEvent(event);
      if (event.type === 'dag.completed') whenAllDone();
    };

    const schedulerOptions = { agents: stage.agents, ...schedulerOptionsOf(options, limits) };
    let shared: Scheduler | undefined;
    let shutdown: Promise<void> | undefined;
    let submitted = 0;
    let allDone = false;

    function whenAllDone(): void {
      if (allDone || submitted < records.length) return;
      if (!records.every((r) => r.refused || r.endedAt !== undefined || r.subscriberError !== undefined)) return;
      allDone = true;
      if (shared !== undefined) shutdown ??= shared.shutdown();
      void (shutdown ?? Promise.resolve()).then(finish, (error: unknown) => {
        violation(`shutdown() failed: ${String(error)}`);
        finish();
      });
    }

    const cancelRequested = (record: RunRecord, by: 'time' | 'events' | 'shutdown' | 'deadline', at: number) => {
      if (!record.started || record.endedAt !== undefined || record.cancelRequestedAt !== undefined || record.refused) return;
      record.cancelRequestedAt = at;
      record.cancelledBy = by;
      record.eventsAtCancel = by === 'events' ? record.delivered.length : record.events.length;
    };

    const subscribeRun = (record: RunRecord, plan: PlannedRun, run$: DagRun) => {
      const { afterEvents } = plan.cancel;
      const consumer: Observable<DagEvent> = afterEvents === undefined ? run$ : run$.pipe(take(afterEvents));
      record.started = true;
      record.subscription = consumer.subscribe({
        next: (event) => {
          record.delivered.push(event);
          // the run ends in the flush of this event, whose time the event carries
          if (record.delivered.length === afterEvents && event.type !== 'dag.completed') {
            cancelRequested(record, 'events', event.at);
            // a shutdown asked first, but take() ends the subscription here: it sees no more events
            record.cancelledBy = 'events';
          }
        },
        complete: () => (record.subscriberCompleted = true),
        error: (error: unknown) => {
          record.subscriberError = error;
          if (error instanceof Error && /shut down/.test(error.message)) record.refused = true;
          whenAllDone();
        },
      });
    };

    // a run that can hang by design is cancelled; a bound on the work makes the liveness deadline
    const forcedShutdown = multi && scenario.shutdown?.force === true;
    const cancelAt = planned.map((plan) => {
      const hangs = [...plan.model.tasks.values()].some((t) => mayHang(t, options.taskTimeoutMs));
      const at = plan.cancel.atTime ?? (hangs && !forcedShutdown ? 200 * UNIT_MS : undefined);
      return at === undefined ? undefined : plan.submitAt + at;
    });
    let attempts = 0;
    const work = planned.reduce((sum, plan) => {
      let bound = 0;
      for (const task of plan.model.tasks.values()) {
        bound += workBound(task, options.taskTimeoutMs, options, resources);
        attempts += task.retry.attempts;
      }
      return sum + bound;
    }, 0);
    const latestStart = Math.max(
      0,
      ...planned.map((p) => p.submitAt),
      ...cancelAt.map((c) => c ?? 0),
      multi ? (scenario.shutdown?.at ?? 0) : 0,
    );
    const deadline =
      latestStart + 2 * work + attempts * ATTEMPT_ALLOWANCE_MS + 3000 + (options.mode === 'polling' ? 10 * options.pollIntervalMs : 0);
    observation.deadline = deadline;

    if (api === 'scheduler') shared = observedScheduler(schedulerOptions, onEvent, observation, byId, violation);
    planned.forEach((plan, i) => {
      const record = records[i]!;
      const submit = () => {
        submitted++;
        subscribeRun(record, plan, submitPlanned(plan, shared, schedulerOptions, onEvent));
        whenAllDone();
      };
      if (plan.submitAt === 0) submit();
      else after(plan.submitAt, submit);
      const at = cancelAt[i];
      if (at !== undefined) {
        after(at, () => {
          cancelRequested(record, 'time', Date.now());
          record.subscription?.unsubscribe();
        });
      }
    });
    if (multi && scenario.shutdown !== undefined) {
      const { at, force } = scenario.shutdown;
      after(at, () => {
        observation.shutdownAt = at; // submissions are timed from the same origin, in the same order
        if (force) for (const record of records) cancelRequested(record, 'shutdown', Date.now());
        shutdown = shared!.shutdown({ force });
      });
    }
    after(deadline, () => {
      for (const record of records) {
        if (record.refused || record.endedAt !== undefined) continue;
        violation(`liveness: run ${record.runId} has not ended by T+${deadline}, a bound on all its work (submitted: ${record.started})`);
        cancelRequested(record, 'deadline', Date.now());
        record.subscription?.unsubscribe();
      }
      if (shared !== undefined) shutdown = shared.shutdown({ force: true });
      // runs that still did not end are reported as such; stop waiting for them
      later(LEASE_MS, finish);
    });
    return finished;
  }

  /** After the runs: lets cancelled work stop and finished jobs go, then looks at what is left. */
  async function settle(workerCalls: WorkerCalls): Promise<void> {
    const patience = LEASE_MS + REMOTE_TOLERANCE.lateMs;
    await waitUntil(() => workerCalls.live === 0, patience);
    observation.liveCallsAfter = workerCalls.live;
    await waitUntil(() => stage.created === stage.disposed, patience);
    observation.instancesCreated = stage.created;
    observation.instancesDisposed = stage.disposed;
    let left: string[] = [];
    await waitUntil(async () => (left = await stage.jobKeys()).length === 0, patience);
    observation.jobKeysLeft = left;
    for (const line of stage.logs) violation(`worker log: ${line}`);
  }
}

/** Polls `done` every 10 ms until it holds or `withinMs` passed. */
async function waitUntil(done: () => boolean | Promise<boolean>, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await done()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}
