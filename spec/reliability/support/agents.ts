import { catchError, finalize, type Observable, type Subscription, throwError } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { AgentError, type Severity, syncAgent, type TaskContext } from '../../../src';
import { hintProperties, isRetryWait } from './retryHints';
import type { Behaviour, RetryHintGen, Thrown, UnsafeOutput } from './scenario';

/**
 * Scripted agent behaviours, played in virtual time. Every attempt is tracked from the call to
 * the end of its work (completion, error, abort or teardown), so the harness can tell how many
 * agents really run at once and whether any is left behind.
 */

/** One call of an agent: one attempt. */
export interface AgentCall {
  readonly runId: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly kind: string;
  /** What its work holds while it runs: its task's weight, and the units it takes of each of its limits. */
  readonly units: number;
  readonly limits: ReadonlyMap<string, number>;
  readonly calledAt: number;
  /** Virtual time its work ended (settled, aborted or torn down); undefined while it runs. */
  endedAt: number | undefined;
  /** The AbortSignal fired before the work settled. */
  aborted: boolean;
}

/** What the scripted agents need from the harness. */
export interface AgentStage {
  readonly scheduler: TestScheduler;
  /** A cold observable from marbles, its subscriptions logged. */
  cold<T>(marbles: string, values?: Record<string, T>, error?: unknown): Observable<T>;
  /** Called when an attempt's work ends. */
  ended(call: AgentCall): void;
}

/** The output every successful scripted attempt produces: who made it, so outputs can be checked. */
export function expectedOutput(
  runId: string,
  taskId: string,
  attempt: number,
): { readonly run: string; readonly task: string; readonly attempt: number } {
  return { run: runId, task: taskId, attempt };
}

/** The output a `warning` carries. */
export function warningOutput(taskId: string, attempt: number): { readonly warned: string; readonly attempt: number } {
  return { warned: taskId, attempt };
}

/** The value a `fail` behaviour throws: an object carries its retry hint, a primitive cannot. */
export function thrownValue(thrown: Thrown, taskId: string, attempt: number, hint: RetryHintGen | undefined): unknown {
  const message = `boom ${taskId} #${attempt}`;
  switch (thrown) {
    case 'error':
      return hint === undefined ? new Error(message) : Object.assign(new Error(message), hintProperties(hint));
    case 'agentError':
      return agentError(message, {}, hint);
    case 'string':
      return message;
    case 'number':
      return attempt;
    case 'undefined':
      return undefined;
    case 'null':
      return null;
    case 'object':
      return thrownObject(attempt, hint);
  }
}

/** The plain object a `fail` behaviour throws: a code, the attempt, and its retry hint. */
function thrownObject(attempt: number, hint: RetryHintGen | undefined): Record<string, unknown> {
  return { code: 'E_BOOM', attempt, ...(hint === undefined ? {} : hintProperties(hint)) };
}

/**
 * An `AgentError` with a retry hint: what its constructor takes (`retry: false`, a wait,
 * `pauseLimits` with it) as options; what it refuses (a wait that is no wait, `pauseLimits`
 * without one) set on the error afterwards, as any error may carry it.
 */
function agentError(
  message: string,
  options: { readonly severity?: Severity; readonly output?: unknown },
  hint: RetryHintGen | undefined,
): AgentError {
  if (hint === undefined) return new AgentError(message, options);
  const wait = isRetryWait(hint.retryAfterMs) ? hint.retryAfterMs : undefined;
  const error = new AgentError(message, {
    ...options,
    retry: hint.noRetry ? false : undefined,
    retryAfterMs: wait,
    pauseLimits: hint.pauseLimits && wait !== undefined,
  });
  return wait === undefined ? Object.assign(error, hintProperties(hint)) : error;
}

/** The `{ name, message }` the scheduler must report for a thrown value. */
export function expectedErrorInfo(
  thrown: Thrown,
  taskId: string,
  attempt: number,
  hint: RetryHintGen | undefined,
): { readonly name: string; readonly message: string } {
  const message = `boom ${taskId} #${attempt}`;
  const nonError = (text: string) => ({ name: 'NonError', message: `agent threw a non-Error value: ${text}` });
  switch (thrown) {
    case 'error':
      return { name: 'Error', message };
    case 'agentError':
      return { name: 'AgentError', message };
    case 'string':
      return nonError(JSON.stringify(message));
    case 'number':
      return nonError(String(attempt));
    case 'undefined':
      return nonError('undefined');
    case 'null':
      return nonError('null');
    case 'object':
      return nonError(JSON.stringify(thrownObject(attempt, hint)));
  }
}

export function unsafeValue(what: UnsafeOutput): unknown {
  switch (what) {
    case 'bigint':
      return { total: 10n };
    case 'circular': {
      const node: { self?: unknown } = {};
      node.self = node;
      return node;
    }
    case 'date':
      return { at: new Date(0) };
    case 'nan':
      return [1, Number.NaN];
    case 'function':
      return { callback: () => 1 };
    case 'undefinedInArray':
      return [1, undefined];
  }
}

/** A promise-like settled by a virtual-time timer; an aborted attempt cancels the timer. */
interface VirtualThenable {
  then(onFulfilled?: (value: unknown) => unknown, onRejected?: (reason: unknown) => unknown): void;
}

function thenable(
  stage: AgentStage,
  call: AgentCall,
  ctx: TaskContext,
  delay: number,
  outcome: Settling,
): VirtualThenable {
  return {
    then(onFulfilled, onRejected) {
      const signal = ctx.signal;
      let timer: Subscription | undefined;
      const onAbort = () => {
        timer?.unsubscribe();
        if (call.endedAt === undefined) call.aborted = true;
        stage.ended(call);
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      if (outcome === undefined) return; // never settles: only the AbortSignal ends it
      timer = stage.scheduler.schedule(() => {
        signal.removeEventListener('abort', onAbort);
        stage.ended(call);
        if (outcome.ok) onFulfilled?.(outcome.value);
        else onRejected?.(outcome.error);
      }, delay);
    },
  };
}

const dashes = (frames: number) => '-'.repeat(frames);

/** An error box, because marbles replace a falsy `#` error with the string 'error'. */
class Boxed {
  constructor(readonly value: unknown) {}
}

function coldError(stage: AgentStage, delay: number, error: unknown): Observable<unknown> {
  return stage
    .cold<unknown>(`${dashes(delay)}#`, undefined, new Boxed(error))
    .pipe(catchError((boxed: Boxed) => throwError(() => boxed.value)));
}

/**
 * What an invalid spawn needs to be invalid: the spawning agent's name, a weight too heavy, units
 * of a limit too many (of an undeclared one when the scheduler declares none), an undeclared limit.
 */
export interface BadSpawnParts {
  readonly agent: string;
  readonly tooHeavy: number;
  readonly tooManyUnits: { readonly limit: string; readonly units: number };
  readonly undeclaredLimit: string;
}

/** How an attempt settles after its delay: a value, an error, or never (`undefined`: only its signal ends it). */
export type Settling = { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;

/**
 * The time a scripted attempt is played in (virtual for `play`, real on workers for
 * `playRemote`) and how its end is reported. Each Observable it gives is tracked: its end, or
 * its teardown, is the attempt's.
 */
export interface AttemptPlay {
  /** Emits `values` after `delay`, then completes. */
  emit(delay: number, values: readonly unknown[]): Observable<unknown>;
  /** Errors with `error` after `delay`. */
  error(delay: number, error: unknown): Observable<unknown>;
  /** Never ends by itself. */
  never(): Observable<unknown>;
  /** A promise-like that settles after `delay` as `settling` says; the attempt's signal ends it first. */
  thenable(delay: number, settling: Settling): unknown;
  /** The attempt ended now (an outcome given at once). */
  ended(): void;
}

/**
 * Plays one attempt in virtual time. Returns what the agent returns (or throws what it throws);
 * the attempt's end is reported through `stage.ended`.
 */
export function play(stage: AgentStage, call: AgentCall, ctx: TaskContext, behaviour: Behaviour, bad: BadSpawnParts): unknown {
  const tracked = (source: Observable<unknown>) => source.pipe(finalize(() => stage.ended(call)));
  const letters = 'abcdefghij';
  return playBehaviour(
    {
      emit: (delay, values) =>
        tracked(
          stage.cold<unknown>(
            values.length === 0 ? `${dashes(delay)}|` : `${dashes(delay)}(${letters.slice(0, values.length)}|)`,
            Object.fromEntries(values.map((value, k) => [letters[k], value])),
          ),
        ),
      error: (delay, error) => tracked(coldError(stage, delay, error)),
      never: () => tracked(stage.cold<unknown>('-')),
      thenable: (delay, settling) => thenable(stage, call, ctx, delay, settling),
      ended: () => stage.ended(call),
    },
    ctx,
    behaviour,
    bad,
  );
}

/**
 * Plays one attempt's behaviour in the time `time` gives: what the agent returns (or throws),
 * with the outputs, errors, warnings and spawns the harness expects of it.
 */
export function playBehaviour(time: AttemptPlay, ctx: TaskContext, behaviour: Behaviour, bad: BadSpawnParts): unknown {
  const fail = (via: 'throw' | 'reject' | 'error', delay: number, error: unknown): unknown => {
    if (via === 'throw') {
      time.ended();
      throw error;
    }
    if (via === 'reject') return time.thenable(delay, { ok: false, error });
    return time.error(delay, error);
  };
  const succeed = (via: 'cold' | 'thenable' | 'sync' | 'value', delay: number, value: unknown): unknown => {
    switch (via) {
      case 'cold':
        return time.emit(delay, ['progress', value]);
      case 'thenable':
        return time.thenable(delay, { ok: true, value });
      case 'sync':
        time.ended();
        return syncAgent(() => value)(ctx);
      case 'value':
        time.ended();
        return value;
    }
  };
  const output = expectedOutput(ctx.runId, ctx.id, ctx.attempt);
  switch (behaviour.kind) {
    case 'ok':
      return succeed(behaviour.via, behaviour.delay, output);
    case 'empty':
      return time.emit(behaviour.delay, []);
    case 'fail':
      return fail(behaviour.via, behaviour.delay, thrownValue(behaviour.thrown, ctx.id, ctx.attempt, behaviour.hint));
    case 'warning':
      return fail(
        behaviour.via,
        behaviour.delay,
        agentError(`warn ${ctx.id} #${ctx.attempt}`, { severity: 'warning', output: warningOutput(ctx.id, ctx.attempt) }, behaviour.hint),
      );
    case 'critical':
      return fail(
        behaviour.via,
        behaviour.delay,
        agentError(`critical ${ctx.id} #${ctx.attempt}`, { severity: 'critical' }, behaviour.hint),
      );
    case 'hang':
      return behaviour.via === 'cold' ? time.never() : time.thenable(0, undefined);
    case 'unsafe':
      return succeed('cold', behaviour.delay, unsafeValue(behaviour.what));
    case 'spawn':
      // the harness registered the children before calling play
      return succeed('cold', behaviour.delay, output);
    case 'badSpawn':
      switch (behaviour.how) {
        case 'duplicate':
          ctx.spawn([{ id: ctx.id, agent: bad.agent }]); // a duplicate id: the spawn is invalid
          break;
        case 'tooHeavy':
          ctx.spawn([{ id: `${ctx.id}.heavy`, agent: bad.agent, weight: bad.tooHeavy }]); // more than the run allows
          break;
        case 'tooManyUnits': {
          const { limit, units } = bad.tooManyUnits;
          // entries, not assignments: a limit may be called `__proto__`
          ctx.spawn([{ id: `${ctx.id}.greedy`, agent: bad.agent, limits: Object.fromEntries([[limit, units]]) }]); // more than the limit allows
          break;
        }
        case 'unknownLimit':
          ctx.spawn([{ id: `${ctx.id}.limited`, agent: bad.agent, limits: [bad.undeclaredLimit] }]); // a limit nobody declared
          break;
      }
      return succeed('cold', behaviour.delay, output);
  }
}
