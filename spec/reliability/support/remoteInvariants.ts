import type { TaskEvent } from '../../../src';
import { behaviourOf } from './model';
import { checkConcurrency, checkWorkConserving } from './checkLimits';
import { checkRun } from './invariants';
import { jobIdFor } from '../../../src/bullmq';
import { attemptKey, type RemoteCall } from './remoteCalls';
import type { RemoteObservation } from './remoteHarness';
import { WORKER_NAMES } from './remoteStage';
import { eventsByTask, type Violations } from './taskEvents';

/**
 * The invariants of `invariants.ts`, checked on a run whose attempts went through BullMQ to
 * workers, in real time. Everything about a run's log is checked by the same code as in virtual
 * time (`checkRun`: seq, order, JSON, the fold, one terminal event per task, counts and
 * outcome, trigger rules, attempts and retry policies, each attempt's outcome against its
 * agent's behaviour, cancellation, skips, failures list), with the tolerance real time needs
 * for the times of timed events (`Observation.tolerance`). So are the limits (`checkConcurrency`,
 * weights, named limits' concurrency, rate windows and pauses over all runs) and work
 * conservation, at the end of each turn of the event loop rather than of each virtual frame.
 * Three invariants change meaning across machines and are checked in their remote form here:
 *
 * - agent calls: an attempt is run at most once, only after its `task.started`, on one of the
 *   workers; one that ended by its agent's outcome ran exactly once and had ended before that
 *   outcome, with `task.completed.worker` naming the worker that ran it; one the scheduler timed
 *   out or cancelled may never have reached a worker, and if it did, the cancel reached its
 *   `AbortSignal` within a lease period (a hung agent ends only so);
 * - clean-up: no attempt still running on a worker, no job left in Redis, every remote agent's
 *   client closed (instead of the virtual clock's pending timers);
 * - refusals (a DAG too heavy, an undeclared limit) call no agent: the virtual suite covers them.
 */

/** All violations of a remote observation, with times shown from the scenario's start. */
export function remoteViolationsOf(o: RemoteObservation): string[] {
  const violations: Violations = [...o.violations];
  for (const run of o.runs) checkRun(o, run, violations);
  checkConcurrency(o, violations);
  if (o.options.mode === 'event') checkWorkConserving(o, violations, o.turnEnds);
  checkRemoteCalls(o, violations);
  checkRemoteCleanup(o, violations);
  // times in the shared checks are the wall clock's: show them from the scenario's start
  return violations.slice(0, 60).map((line) => line.replace(/\b1\d{12}\b/g, (ms) => `T+${Number(ms) - o.origin}`));
}

/** How an attempt ended, from the scheduler's log: its last event and whether its agent's own outcome decided it. */
interface AttemptEnd {
  readonly start: TaskEvent;
  readonly end: TaskEvent | undefined;
  /** The scheduler stopped waiting for the agent: a time limit or a cancellation. */
  readonly stopped: boolean;
}

function attemptsOf(o: RemoteObservation): Map<string, AttemptEnd> {
  const attempts = new Map<string, AttemptEnd>();
  for (const run of o.runs) {
    for (const list of eventsByTask(run.events).values()) {
      list.forEach((e, i) => {
        if (e.type !== 'task.started') return;
        const rest = list.slice(i + 1);
        const end = rest.find((x) => x.type === 'task.completed' || x.type === 'task.failed' || x.type === 'task.cancelled');
        const timedOut = rest.some((x) => x.type === 'task.timed-out' && x.attempt === e.attempt && (end === undefined || x.seq < end.seq));
        attempts.set(attemptKey(run.runId, e.taskId, e.attempt), { start: e, end, stopped: timedOut || end?.type === 'task.cancelled' });
      });
    }
  }
  return attempts;
}

function checkRemoteCalls(o: RemoteObservation, v: Violations): void {
  const attempts = attemptsOf(o);
  const callsOf = new Map<string, RemoteCall[]>();
  for (const call of o.calls) {
    const key = attemptKey(call.runId, call.taskId, call.attempt);
    callsOf.set(key, [...(callsOf.get(key) ?? []), call]);
  }
  const early = o.tolerance?.earlyMs ?? 0;
  const late = o.tolerance?.lateMs ?? 0;
  for (const [key, calls] of callsOf) {
    if (calls.length > 1) v.push(`${key}: ran ${calls.length} times on workers (${calls.map((c) => c.worker).join(', ')})`);
    const attempt = attempts.get(key);
    if (attempt === undefined) {
      v.push(`${key}: ran on worker ${calls[0]!.worker} without a task.started`);
      continue;
    }
    for (const call of calls) {
      if (!(WORKER_NAMES as readonly string[]).includes(call.worker)) v.push(`${key}: ran on unknown worker ${call.worker}`);
      if (call.calledAt < attempt.start.at - early)
        v.push(`${key}: its worker called the agent at ${call.calledAt}, before its task.started at ${attempt.start.at}`);
    }
  }
  for (const [key, attempt] of attempts) {
    const calls = callsOf.get(key) ?? [];
    const { end } = attempt;
    if (end === undefined) continue; // reported by the run's checks
    const run = o.runs.find((r) => r.runId === end.runId);
    const task = run?.tasks.get(end.taskId);
    if (!attempt.stopped) {
      const call = calls[0];
      if (call === undefined) {
        v.push(`${key}: ended ${end.type} by its agent's outcome, yet no worker ran it`);
        continue;
      }
      if (call.endedAt === undefined || call.endedAt > end.at + early)
        v.push(`${key}: its worker's work ended at ${call.endedAt ?? 'never'}, after its ${end.type} at ${end.at}`);
      if (end.type === 'task.completed' && end.worker !== call.worker)
        v.push(`${key}: task.completed names worker ${end.worker ?? 'none'}, it ran on ${call.worker}`);
      continue;
    }
    for (const call of calls) {
      // a cancel reaches the worker within a lease period
      const bound = end.at + o.leaseMs + late;
      if (call.endedAt === undefined || call.endedAt > bound)
        v.push(
          `${key}: ${end.type === 'task.cancelled' ? 'cancelled' : 'timed out'} at ${end.at}, yet its work on ${call.worker} ran until ${call.endedAt ?? 'after the run'} (the cancel never reached it within a lease period)`,
        );
      else if (task !== undefined && behaviourOf(task, call.attempt).kind === 'hang' && !call.aborted)
        v.push(`${key}: a hung agent ended, yet its AbortSignal never fired`);
    }
  }
}

function checkRemoteCleanup(o: RemoteObservation, v: Violations): void {
  if (o.liveCallsAfter > 0) v.push(`${o.liveCallsAfter} attempts still running on workers a lease period after every run ended`);
  if (o.jobKeysLeft.length > 0) {
    v.push(`${o.jobKeysLeft.length} job keys left in Redis after every run ended: ${o.jobKeysLeft.slice(0, 5).join(', ')}`);
    // what happened to those attempts, for the reader of a failure
    const attempts = attemptsOf(o);
    for (const [key, attempt] of attempts) {
      const jobId = jobIdFor(attempt.start.runId, attempt.start.taskId, attempt.start.attempt);
      if (!o.jobKeysLeft.some((left) => left.endsWith(`:${jobId}`))) continue;
      const calls = o.calls.filter((c) => attemptKey(c.runId, c.taskId, c.attempt) === key);
      const ran =
        calls.map((c) => `on ${c.worker} ${c.calledAt}..${c.endedAt ?? '?'}${c.aborted ? ' aborted' : ''}`).join('; ') || 'on no worker';
      v.push(`  job ${jobId}: started ${attempt.start.at}, ended ${attempt.end?.type ?? 'never'} at ${attempt.end?.at ?? '?'}, ran ${ran}`);
    }
  }
  if (o.instancesCreated !== o.instancesDisposed)
    v.push(`${o.instancesCreated} remote agent clients opened by the scheduler, ${o.instancesDisposed} closed`);
  const snapshot = o.lastSnapshot;
  if (snapshot !== undefined && (snapshot.running !== 0 || snapshot.ready !== 0 || snapshot.pending !== 0))
    v.push(`last state$ snapshot still counts running=${snapshot.running} ready=${snapshot.ready} pending=${snapshot.pending}`);
}
