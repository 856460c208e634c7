import { isDeepStrictEqual } from 'node:util';
import {
  type DagEvent,
  initialRunState,
  isTerminalEvent,
  reduce,
  reduceAll,
  type RunState,
  selectTasks,
  type TaskEvent,
} from '../../../src';
import { checkAttempts } from './checkAttempts';
import { checkRules } from './checkRules';
import { checkAgentCalls, checkConcurrency, checkWorkConserving } from './checkLimits';
import type { Observation, RunRecord } from './observation';
import type { TaskModel } from './model';
import { eventsByTask, type Violations } from './taskEvents';

/**
 * The invariants every run must satisfy, whatever its DAG, agents, options and cancellation.
 * Each check returns violations as sentences, so a failing property shows all of them.
 */

/** The invariants, by name: the list `spec/RELIABILITY.md` reports. */
export const INVARIANTS = [
  'seq is 1, 2, 3… per run, at is the virtual time of emission and never goes back',
  'dag.created first and once (with the task count); dag.completed last and once; nothing after it',
  'every event survives a JSON round trip unchanged',
  'the fold of the events is legal (reduce never throws) and health.checked counts match it',
  'the final state equals the fold of the events (reduce one by one, reduceAll, and state$)',
  'every task (spawned ones included) reaches exactly one terminal event',
  'dag.completed counts match the terminal events; the outcome matches the counts (succeeded: nothing failed or was cancelled) and the cancellation',
  "a task's trigger rule (its `when`, else the failure policy's) held at its task.ready and task.started, judged on its dependencies then",
  "a task's rule is decided in the frame it comes to hold (ready) or breaks (skipped), unless the run ends in that frame",
  "attempts go 1, 2, 3… and never exceed the retry policy; willRetry matches the policy and the failed attempt's error (retry: false ends the task; a warning's or critical error's hints change nothing)",
  "the wait before attempt n+1 is the retryAfterMs the failed attempt's error asked for (which task.failed then carries), else backoffMs × factor^(n-1), capped by maxBackoffMs",
  'each attempt ends as its agent behaved: output, warning, error name and message, severity, timeout, at the right time',
  'time limits fire at startedAt + timeoutMs with task.timed-out then task.failed',
  'a critical error or a fail-fast failure ends the run in the same frame; others are cancelled',
  'a user cancellation ends the run in the same frame, outcome cancelled; no cancellation, no task.cancelled',
  'a task is skipped only when its rule can no longer hold, because of a task it depends on that ended failed or skipped (any-failed: a dependency)',
  "the units running (weights) never exceed maxConcurrency nor a kind's capacity (counted from events and from live agent work)",
  "no idle room while a startable task waits (event mode, at every frame's end, when a rate window lets a start out and when a pause ends): no class's heaviest ready task fits (a paused limit has no room)",
  "one agent call per task.started, in the same frame; its work ends no later than the attempt's end",
  "upstream holds exactly the outputs of the task's completed dependencies (none without context injection)",
  'task.stuck at most once per attempt, after stuckAfterMs; agent.available only for kinds with a capacity',
  "the run's subscriber sees a prefix of the events, and completes exactly when the run ends uncancelled",
  'a run submitted after shutdown is refused and runs nothing',
  'after the run: no library timer pending, no agent work live, no cold subscription open, pooled instances disposed',
  'the units running under a named limit never exceed its concurrency, over all runs of the scheduler (events and live agent work)',
  "no window (t − intervalMs, t] holds more than a rate limit's units of starts, over all runs of the scheduler",
  'dag.completed.failures lists exactly the tasks that failed for good, in order, with their last attempt and error',
  'every run ends by a bound on its work (attempts, backoffs and the waits errors ask for, pauses, polls and rate-window waits one after another)',
  'a DAG too heavy for the run or needing an undeclared limit is refused at once naming every problem, no agent called; a valid one runs',
  "no task starts under a limit a failed attempt's error paused (pauseLimits with retryAfterMs) before failed.at + retryAfterMs (a later pause wins), over all runs of the scheduler",
] as const;

/**
 * Equality as JSON sees it: same primitives, arrays and own enumerable keys, whatever the
 * prototypes (a spec built with a null prototype is as JSON-safe as a literal).
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** All violations of a whole observation. */
export function violationsOf(observation: Observation): string[] {
  const violations: Violations = [...observation.violations];
  for (const run of observation.runs) checkRun(observation, run, violations);
  checkConcurrency(observation, violations);
  if (observation.options.mode === 'event') checkWorkConserving(observation, violations);
  checkAgentCalls(observation, violations);
  checkCleanup(observation, violations);
  return violations.slice(0, 60);
}

function checkCleanup(o: Observation, v: Violations): void {
  if (o.actionsLeft > 0)
    v.push(`${o.actionsLeft} scheduled actions still pending at t=${o.deadline + 10_000} (a timer reschedules itself forever)`);
  if (o.api === 'runDag' && o.pendingAtEnd !== undefined && o.pendingAtEnd > 0)
    v.push(`${o.pendingAtEnd} library timers still pending when the private scheduler's run ended`);
  if (o.pendingAfterIdle !== undefined && o.pendingAfterIdle > 0)
    v.push(`${o.pendingAfterIdle} library timers still pending after every run ended and idle instances expired`);
  if (o.pendingAfterIdle === undefined && o.runs.some((r) => r.endedAt !== undefined || r.refused))
    v.push('the end-of-runs check never ran (a run never ended)');
  if (o.openSubscriptions > 0) v.push(`${o.openSubscriptions} agent Observable subscriptions never torn down`);
  if (o.instancesCreated !== o.instancesDisposed)
    v.push(`${o.instancesCreated} pooled agent instances created, ${o.instancesDisposed} disposed`);
  const snapshot = o.lastSnapshot;
  if (snapshot !== undefined && (snapshot.running !== 0 || snapshot.ready !== 0 || snapshot.pending !== 0)) {
    v.push(`last state$ snapshot still counts running=${snapshot.running} ready=${snapshot.ready} pending=${snapshot.pending}`);
  }
}

/** Terminal events, tallies, fold, dependencies, retries, oracle: everything about one run. */
export function checkRun(o: Observation, run: RunRecord, v: Violations): void {
  const { events } = run;
  const tag = run.runId;
  if (run.refused) {
    if (events.length > 0) v.push(`${tag}: refused after shutdown, yet emitted ${events.length} events`);
    if (o.calls.some((c) => c.runId === tag)) v.push(`${tag}: refused after shutdown, yet an agent ran`);
    if (o.shutdownAt === undefined || run.submittedAt < o.shutdownAt) v.push(`${tag}: refused though submitted before shutdown`);
    return;
  }
  if (run.subscriberError !== undefined) {
    v.push(
      `${tag}: the run errored instead of ending with dag.completed: ${String((run.subscriberError as Error)?.message ?? run.subscriberError)}`,
    );
    return;
  }
  if (!run.started) return;
  if (o.shutdownAt !== undefined && run.submittedAt > o.shutdownAt) v.push(`${tag}: submitted after shutdown, yet it ran`);
  if (events.length === 0) {
    v.push(`${tag}: no events`);
    return;
  }
  // seq, at, order, JSON
  events.forEach((event, i) => {
    if (event.seq !== i + 1) v.push(`${tag}: event ${i + 1} (${event.type}) has seq ${event.seq}`);
    if (i > 0 && event.at < events[i - 1]!.at) v.push(`${tag}: seq ${event.seq} goes back in time (${event.at} < ${events[i - 1]!.at})`);
    let roundTrip: unknown;
    try {
      roundTrip = JSON.parse(JSON.stringify(event));
    } catch (error) {
      v.push(`${tag}: seq ${event.seq} ${event.type} cannot be serialized: ${(error as Error).message}`);
      return;
    }
    if (!jsonEqual(roundTrip, event)) v.push(`${tag}: seq ${event.seq} ${event.type} changes in a JSON round trip`);
  });
  const first = events[0]!;
  const last = events[events.length - 1]!;
  if (first.type !== 'dag.created') v.push(`${tag}: first event is ${first.type}`);
  else {
    if (first.taskCount !== run.initialTaskCount)
      v.push(`${tag}: dag.created says ${first.taskCount} tasks, the DAG has ${run.initialTaskCount}`);
    if (first.dagId !== run.dagId) v.push(`${tag}: dag.created names DAG ${first.dagId}`);
  }
  if (events.filter((e) => e.type === 'dag.created').length !== 1) v.push(`${tag}: dag.created is not emitted exactly once`);
  const completions = events.filter((e) => e.type === 'dag.completed');
  if (completions.length !== 1) v.push(`${tag}: ${completions.length} dag.completed events`);
  if (last.type !== 'dag.completed') {
    v.push(`${tag}: last event is ${last.type}, not dag.completed`);
    return;
  }

  checkDelivery(run, v);
  checkFold(o, run, v);
  checkTasks(o, run, v);
}

function checkDelivery(run: RunRecord, v: Violations): void {
  const { events, delivered } = run;
  const tag = run.runId;
  if (delivered.length > events.length || delivered.some((e, i) => e !== events[i]))
    v.push(`${tag}: the subscriber's events are not a prefix of the run's events`);
  switch (run.cancelledBy) {
    case undefined:
    case 'shutdown':
      if (delivered.length !== events.length) v.push(`${tag}: the subscriber saw ${delivered.length} of ${events.length} events`);
      if (!run.subscriberCompleted) v.push(`${tag}: the run ended but its subscriber was never completed`);
      break;
    case 'events':
      if (!run.subscriberCompleted) v.push(`${tag}: take() never completed the subscriber`);
      break;
    case 'time':
    case 'deadline':
      if (run.subscriberCompleted) v.push(`${tag}: the subscriber was completed though it unsubscribed first`);
      break;
  }
}

/** Folds the events and compares the result with the run's end and the scheduler's snapshots. */
function checkFold(o: Observation, run: RunRecord, v: Violations): void {
  const tag = run.runId;
  const initial = initialRunState(run.dag, run.runId, run.failurePolicy);
  let state = initial;
  for (const event of run.events) {
    if (event.type === 'health.checked') {
      const c = state.counts;
      if (event.running !== c.running || event.ready !== c.ready || event.pending !== c.pending + c.backoff) {
        v.push(
          `${tag}: health.checked seq ${event.seq} says ${event.running}/${event.ready}/${event.pending}, the state has ${c.running}/${c.ready}/${c.pending + c.backoff}`,
        );
      }
    }
    try {
      state = reduce(state, event);
    } catch (error) {
      v.push(
        `${tag}: the fold rejects seq ${event.seq} ${event.type}${'taskId' in event ? ` of ${event.taskId}` : ''}: ${(error as Error).message}`,
      );
      return;
    }
  }
  const last = run.events[run.events.length - 1]!;
  if (last.type === 'dag.completed') {
    if (state.status !== last.outcome) v.push(`${tag}: folded status ${state.status}, dag.completed says ${last.outcome}`);
    const { counts } = state;
    const expected = {
      total: state.dag.tasks.length,
      completed: counts.completed,
      failed: counts.failed,
      skipped: counts.skipped,
      cancelled: counts.cancelled,
    };
    if (!isDeepStrictEqual(last.counts, expected))
      v.push(`${tag}: dag.completed counts ${JSON.stringify(last.counts)}, the fold has ${JSON.stringify(expected)}`);
    if (counts.pending + counts.ready + counts.running + counts.backoff !== 0)
      v.push(`${tag}: tasks left unfinished in the fold: ${JSON.stringify(counts)}`);
  }
  const tasks = selectTasks(state);
  let batch: RunState;
  try {
    batch = reduceAll(initial, run.events);
  } catch (error) {
    v.push(`${tag}: reduceAll rejects the events: ${(error as Error).message}`);
    return;
  }
  if (!isDeepStrictEqual(selectTasks(batch), tasks) || batch.status !== state.status || !isDeepStrictEqual(batch.counts, state.counts)) {
    v.push(`${tag}: reduceAll and reduce one by one disagree`);
  }
  if (o.api === 'scheduler') {
    const live = run.lastState;
    if (live === undefined) v.push(`${tag}: state$ never showed the run`);
    else if (
      live.seq !== state.seq ||
      live.status !== state.status ||
      !isDeepStrictEqual(live.counts, state.counts) ||
      !isDeepStrictEqual(selectTasks(live), tasks)
    ) {
      v.push(
        `${tag}: the last state$ snapshot (seq ${live.seq}, ${live.status}) differs from the fold of the events (seq ${state.seq}, ${state.status})`,
      );
    }
  }
}

function checkTasks(o: Observation, run: RunRecord, v: Violations): void {
  const tag = run.runId;
  const { events } = run;
  const end = events[events.length - 1]!;
  if (end.type !== 'dag.completed') return;
  const byTask = eventsByTask(events);
  const policy = run.failurePolicy;
  const poll = o.options.mode === 'polling' ? o.options.pollIntervalMs : 0;
  // exact in virtual time; real time (see `Observation.tolerance`) stamps a timed event a little early or late
  const early = o.tolerance?.earlyMs ?? 0;
  const late = o.tolerance?.lateMs ?? 0;
  const near = (at: number, expected: number) => at >= expected - early && at <= expected + late;
  const within = (at: number, expected: number) => at >= expected - early && at <= expected + poll + late;

  // how each task ended
  const terminal = new Map<string, TaskEvent>();
  for (const [taskId, list] of byTask) {
    if (!run.tasks.has(taskId)) v.push(`${tag}: events for unknown task ${taskId}`);
    const ends = list.filter((e) => isTerminalEvent(e));
    if (ends.length !== 1) v.push(`${tag}: task ${taskId} has ${ends.length} terminal events`);
    if (ends.length > 0) terminal.set(taskId, ends[0]!);
    const afterEnd = list.indexOf(ends[0]!);
    if (ends.length > 0 && afterEnd < list.length - 1)
      v.push(`${tag}: task ${taskId} has ${list[afterEnd + 1]!.type} after its terminal event`);
  }
  for (const taskId of run.tasks.keys()) if (!terminal.has(taskId)) v.push(`${tag}: task ${taskId} never ended`);
  const tally = { total: run.tasks.size, completed: 0, failed: 0, skipped: 0, cancelled: 0 };
  for (const e of terminal.values()) {
    if (e.type === 'task.completed') tally.completed++;
    else if (e.type === 'task.failed') tally.failed++;
    else if (e.type === 'task.skipped') tally.skipped++;
    else if (e.type === 'task.cancelled') tally.cancelled++;
  }
  if (!isDeepStrictEqual(end.counts, tally))
    v.push(`${tag}: dag.completed counts ${JSON.stringify(end.counts)}, the terminal events give ${JSON.stringify(tally)}`);
  // an `any-failed` task skipped because nothing failed leaves a run that succeeded
  if ((end.outcome === 'succeeded') !== (tally.failed === 0 && tally.cancelled === 0))
    v.push(`${tag}: outcome ${end.outcome} with ${tally.failed} failed and ${tally.cancelled} cancelled of ${tally.total}`);
  checkFailures(run, terminal, end, v);
  if (end.outcome === 'failed' && tally.failed === 0) v.push(`${tag}: outcome failed, yet no task failed`);
  const created = events[0]!;
  if (end.durationMs !== end.at - created.at) v.push(`${tag}: dag.completed durationMs ${end.durationMs}, ran ${end.at - created.at}`);

  // how the run ended early, if it did
  const critical = events.find((e) => e.type === 'task.failed' && e.severity === 'critical');
  const failFast = policy === 'fail-fast' ? events.find((e) => e.type === 'task.failed' && !e.willRetry) : undefined;
  const ender = critical ?? failFast;
  const cancelledByUser = run.cancelRequestedAt !== undefined;
  if (cancelledByUser) {
    // A cancellation takes effect in the frame it is asked for, after the signals that arrived
    // before it (an agent that finished earlier in that frame still completes its task; its
    // run may then settle on its own). From the request on, nothing may start.
    if (!near(end.at, run.cancelRequestedAt!))
      v.push(`${tag}: cancelled at ${run.cancelRequestedAt} (${run.cancelledBy}) but ended at ${end.at}`);
    const settledByItself = [...terminal.values()].every((e) => e.type !== 'task.cancelled');
    if (end.outcome !== 'cancelled' && !settledByItself && ender?.at !== end.at)
      v.push(`${tag}: cancelled at ${run.cancelRequestedAt} (${run.cancelledBy}) but outcome ${end.outcome}`);
    const late = events.slice(run.eventsAtCancel).find((e) => e.type === 'task.started');
    if (late !== undefined)
      v.push(`${tag}: task.started of ${'taskId' in late ? late.taskId : ''} after the run was cancelled (${run.cancelledBy})`);
  } else if (end.outcome === 'cancelled') {
    v.push(`${tag}: outcome cancelled, yet nobody cancelled it`);
  }
  if (ender !== undefined && !cancelledByUser) {
    if (end.at !== ender.at)
      v.push(
        `${tag}: ${ender.type === 'task.failed' && ender.severity === 'critical' ? 'critical error' : 'fail-fast failure'} at ${ender.at}, run ended at ${end.at}`,
      );
    if (end.outcome !== 'failed') v.push(`${tag}: ended early by a failure, outcome ${end.outcome}`);
  }
  const endedEarly = cancelledByUser || ender !== undefined;
  for (const e of terminal.values()) {
    if (e.type !== 'task.cancelled') continue;
    if (!endedEarly) v.push(`${tag}: task ${e.taskId} cancelled, yet the run was neither cancelled nor ended by a failure`);
    if (e.at !== end.at) v.push(`${tag}: task ${e.taskId} cancelled at ${e.at}, the run ended at ${end.at}`);
  }

  // trigger rules: what readies, starts and skips each task, and when
  checkRules(run, terminal, created.at, end, (task, on) => dependsOn(run.tasks, task, on), v);
  for (const [taskId, list] of byTask) {
    const task = run.tasks.get(taskId);
    if (task === undefined) continue;
    const readies = list.filter((e) => e.type === 'task.ready');
    if (readies.length > 1) v.push(`${tag}: task ${taskId} ready ${readies.length} times`);
    checkAttempts(o, run, task, list, within, v);
  }
}

/** `dag.completed.failures`: every task that failed for good, in the order they failed, with its last attempt and error. */
function checkFailures(
  run: RunRecord,
  terminal: ReadonlyMap<string, TaskEvent>,
  end: Extract<DagEvent, { type: 'dag.completed' }>,
  v: Violations,
): void {
  const expected = [...terminal.values()]
    .filter((e) => e.type === 'task.failed')
    .sort((a, b) => a.seq - b.seq)
    .map((e) => ({ taskId: e.taskId, attempt: e.attempt, error: e.type === 'task.failed' ? e.error : undefined }));
  if (!Array.isArray(end.failures)) {
    v.push(`${run.runId}: dag.completed has no failures list`);
    return;
  }
  if (!jsonEqual(end.failures, expected)) {
    const show = (list: readonly { taskId: string; attempt: number }[]) => list.map((f) => `${f.taskId}#${f.attempt}`).join(', ') || 'none';
    v.push(
      `${run.runId}: dag.completed.failures lists ${show(end.failures)}, the tasks that failed for good are ${show(expected)} (or their errors differ)`,
    );
  }
}

/** Whether `task` depends, directly or not, on `on`. */
function dependsOn(tasks: ReadonlyMap<string, TaskModel>, task: string, on: string): boolean {
  const seen = new Set<string>();
  const stack = [task];
  while (stack.length > 0) {
    const current = tasks.get(stack.pop()!);
    if (current === undefined) continue;
    for (const dep of current.deps) {
      if (dep === on) return true;
      if (!seen.has(dep)) {
        seen.add(dep);
        stack.push(dep);
      }
    }
  }
  return false;
}
