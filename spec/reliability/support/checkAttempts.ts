import { isDeepStrictEqual } from 'node:util';
import type { TaskEvent } from '../../../src';
import { expectedErrorInfo, expectedOutput, warningOutput } from './agents';
import type { Observation, RunRecord } from './observation';
import { behaviourOf, effectiveTimeout, expectedBackoff, settleDelay, type TaskModel } from './model';
import { askedHint, type AskedHint, hintOfFailure, NO_HINT } from './retryHints';
import type { Violations } from './taskEvents';

/**
 * Per-task checks of attempts: numbering, retry policy and the retry hints of each failed
 * attempt's error, the wait before each retry, stuck reports, and the oracle that says how each
 * attempt must end given how its agent behaved.
 */

/** Attempts, retries, the wait before each (asked for, else the backoff) and the per-attempt oracle. */
export function checkAttempts(
  o: Observation,
  run: RunRecord,
  task: TaskModel,
  list: readonly TaskEvent[],
  within: (at: number, expected: number) => boolean,
  v: Violations,
): void {
  const tag = `${run.runId}/${task.id}`;
  const timeout = effectiveTimeout(task, o.options.taskTimeoutMs);
  const starts = list.filter((e) => e.type === 'task.started');
  starts.forEach((s, i) => {
    if (s.attempt !== i + 1) v.push(`${tag}: attempt ${s.attempt} started as start #${i + 1}`);
  });
  if (starts.length > task.retry.attempts) v.push(`${tag}: ${starts.length} attempts started, the policy allows ${task.retry.attempts}`);
  for (let i = 0; i < list.length; i++) {
    const e = list[i]!;
    if (e.type === 'task.started') {
      if (e.agent !== task.kind) v.push(`${tag}: started on agent ${e.agent}, expected ${task.kind}`);
      if (e.attempt > 1) {
        const retrying = list[i - 1];
        if (retrying?.type !== 'task.retrying' || retrying.attempt !== e.attempt)
          v.push(`${tag}: attempt ${e.attempt} started without task.retrying`);
      }
      checkOutcome(o, run, task, list, i, timeout, within, v);
    } else if (e.type === 'task.failed' && e.willRetry) {
      const next = list[i + 1];
      if (next === undefined) v.push(`${tag}: failed with willRetry, then nothing`);
      else if (next.type === 'task.retrying') {
        if (next.attempt !== e.attempt + 1) v.push(`${tag}: retrying as attempt ${next.attempt} after attempt ${e.attempt}`);
        // the wait the failed attempt's error asked for replaces the backoff
        const asked = hintOfFailure(behaviourOf(task, e.attempt), e).retryAfterMs;
        const wait = asked ?? expectedBackoff(task.retry, e.attempt);
        if (!within(next.at, e.at + wait))
          v.push(`${tag}: retrying at ${next.at}, expected ${e.at} + ${asked === undefined ? 'backoff' : 'retryAfterMs'} ${wait}`);
      } else if (next.type !== 'task.cancelled') v.push(`${tag}: ${next.type} after a failure with willRetry`);
    } else if (e.type === 'task.stuck') {
      const start = [...list.slice(0, i)].reverse().find((x) => x.type === 'task.started');
      if (start === undefined || start.attempt !== e.attempt) v.push(`${tag}: task.stuck for attempt ${e.attempt}, which is not running`);
      else {
        // in real time the health check reads the clock itself, the event's stamp is its flush's reading
        if (Math.abs(e.runningForMs - (e.at - start.at)) > (o.tolerance?.earlyMs ?? 0))
          v.push(`${tag}: task.stuck runningForMs ${e.runningForMs}, it has run ${e.at - start.at}`);
        if (e.runningForMs < o.options.stuckAfterMs)
          v.push(`${tag}: task.stuck after ${e.runningForMs} ms, stuckAfterMs is ${o.options.stuckAfterMs}`);
      }
      if (list.filter((x) => x.type === 'task.stuck' && x.attempt === e.attempt).length > 1)
        v.push(`${tag}: attempt ${e.attempt} reported stuck more than once`);
    }
  }
}

/** What an attempt's events must be, given how its agent behaved. */
function checkOutcome(
  o: Observation,
  run: RunRecord,
  task: TaskModel,
  list: readonly TaskEvent[],
  startIndex: number,
  timeout: number | undefined,
  within: (at: number, expected: number) => boolean,
  v: Violations,
): void {
  const start = list[startIndex]!;
  const n = start.attempt;
  const tag = `${run.runId}/${task.id}#${n}`;
  const behaviour = behaviourOf(task, n);
  const outcome = list.slice(startIndex + 1).find((e) => e.type !== 'task.stuck');
  if (outcome === undefined) {
    v.push(`${tag}: started, then no outcome`);
    return;
  }
  const poll = o.options.mode === 'polling' ? o.options.pollIntervalMs : 0;
  // in real time an outcome still crosses Redis after its agent settles: a time limit that passes
  // within `lateMs` of the settling may win the race (0 in virtual time: only a tie may go either way)
  const late = o.tolerance?.lateMs ?? 0;
  const settle = start.at + settleDelay(behaviour);
  const timesOut = timeout !== undefined && start.at + timeout <= settle;
  const mayEither = timeout !== undefined && start.at + timeout >= settle && start.at + timeout <= settle + late;
  const expectedAt = timesOut ? start.at + timeout : settle;
  if (outcome.type === 'task.cancelled') {
    if (outcome.at > expectedAt + poll + late) v.push(`${tag}: cancelled at ${outcome.at}, but it should have ended at ${expectedAt}`);
    return;
  }
  if (!within(outcome.at, expectedAt) && !(mayEither && within(outcome.at, settle))) {
    v.push(
      `${tag}: ${outcome.type} at ${outcome.at}, expected at ${expectedAt} (${behaviour.kind}, started ${start.at}, timeout ${timeout})`,
    );
  }
  const willRetry = n < task.retry.attempts;
  // `hint`: what the attempt's own error asked for (none when its time limit failed it)
  const failedAs = (
    e: TaskEvent | undefined,
    name: string,
    severity: 'error' | 'critical',
    message?: string,
    hint: AskedHint = NO_HINT,
  ) => {
    if (e?.type !== 'task.failed') {
      v.push(`${tag}: expected task.failed (${name}), got ${e?.type}`);
      return;
    }
    if (e.error.name !== name) v.push(`${tag}: failed with ${e.error.name} "${e.error.message.slice(0, 80)}", expected ${name}`);
    if (message !== undefined && e.error.message !== message)
      v.push(`${tag}: failed with message "${e.error.message.slice(0, 80)}", expected "${message}"`);
    if (e.severity !== severity) v.push(`${tag}: failed with severity ${e.severity}, expected ${severity}`);
    const retry = severity === 'error' && willRetry && !hint.noRetry;
    if (e.willRetry !== retry)
      v.push(
        `${tag}: willRetry ${e.willRetry}, expected ${retry} (attempt ${n} of ${task.retry.attempts}, ${severity}${hint.noRetry ? ', its error asked for no retry' : ''})`,
      );
    // a retry that waits what the error asked says so; nothing else carries a wait
    const asked = retry ? hint.retryAfterMs : undefined;
    if (e.retryAfterMs !== asked) v.push(`${tag}: task.failed says retryAfterMs ${e.retryAfterMs}, expected ${asked}`);
    if (e.at !== outcome.at) v.push(`${tag}: task.failed at ${e.at} after its outcome at ${outcome.at}`);
  };
  if (outcome.type === 'task.timed-out') {
    if (!timesOut && !mayEither) v.push(`${tag}: timed out, but its agent settles at ${settle} within ${timeout} ms`);
    if (outcome.timeoutMs !== timeout) v.push(`${tag}: timed out after ${outcome.timeoutMs} ms, its limit is ${timeout}`);
    failedAs(list[list.indexOf(outcome) + 1], 'TaskTimeoutError', 'error');
    return;
  }
  // a time limit whose timer fired late (a busy loop, a loaded machine that paused the process)
  // lets an outcome heard meanwhile go first (src/agents/lateTimer.ts), by any lateness: one
  // decided past the limit had a late timer (an on-time one decides at once). Real time only
  const timerLate = timesOut && late > 0 && outcome.at > start.at + timeout!;
  if (timesOut && !mayEither && !timerLate) v.push(`${tag}: ${outcome.type} though it should have timed out at ${start.at + timeout}`);
  const completedWith = (e: TaskEvent, output: unknown, warning: { name: string; message?: string } | undefined) => {
    if (e.type !== 'task.completed') {
      v.push(
        `${tag}: expected task.completed (${behaviour.kind}), got ${e.type}${e.type === 'task.failed' ? ` ${e.error.name}: ${e.error.message.slice(0, 100)}` : ''}`,
      );
      return;
    }
    if (!isDeepStrictEqual(e.output, output))
      v.push(`${tag}: output ${JSON.stringify(e.output)?.slice(0, 100)}, expected ${JSON.stringify(output)}`);
    if (warning === undefined && e.warning !== undefined) v.push(`${tag}: unexpected warning ${e.warning.name}`);
    if (
      warning !== undefined &&
      (e.warning?.name !== warning.name || (warning.message !== undefined && e.warning.message !== warning.message))
    ) {
      v.push(`${tag}: warning ${JSON.stringify(e.warning)}, expected ${JSON.stringify(warning)}`);
    }
    if (e.durationMs !== e.at - start.at) v.push(`${tag}: durationMs ${e.durationMs}, it ran ${e.at - start.at}`);
  };
  switch (behaviour.kind) {
    case 'ok':
      completedWith(outcome, expectedOutput(run.runId, task.id, n), undefined);
      return;
    case 'spawn': {
      if (outcome.type !== 'tasks.spawned') {
        v.push(`${tag}: expected tasks.spawned, got ${outcome.type}`);
        return;
      }
      if (outcome.tasks.length !== behaviour.children.length)
        v.push(`${tag}: spawned ${outcome.tasks.length} tasks, asked for ${behaviour.children.length}`);
      const next = list[list.indexOf(outcome) + 1];
      if (next === undefined) v.push(`${tag}: tasks.spawned, then nothing`);
      else completedWith(next, expectedOutput(run.runId, task.id, n), undefined);
      return;
    }
    case 'empty':
      completedWith(outcome, undefined, { name: 'EmptyResult' });
      return;
    case 'warning':
      completedWith(outcome, warningOutput(task.id, n), { name: 'AgentError', message: `warn ${task.id} #${n}` });
      return;
    case 'fail': {
      const info = expectedErrorInfo(behaviour.thrown, task.id, n, behaviour.hint);
      failedAs(outcome, info.name, 'error', info.message, askedHint(behaviour));
      return;
    }
    case 'critical':
      failedAs(outcome, 'AgentError', 'critical', `critical ${task.id} #${n}`);
      return;
    case 'unsafe':
      failedAs(outcome, 'OutputNotJsonSafeError', 'error', undefined, askedHint(behaviour));
      return;
    case 'badSpawn':
      failedAs(outcome, 'DagValidationError', 'error');
      return;
    case 'hang':
      v.push(`${tag}: a hung agent ended with ${outcome.type}, not a timeout or a cancellation`);
      return;
  }
}
