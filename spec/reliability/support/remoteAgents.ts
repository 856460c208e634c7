import { concat, ignoreElements, NEVER, Observable, of, throwError, timer } from 'rxjs';
import { AgentError, syncAgent, type TaskContext } from '../../../src';
import { type AgentCall, type BadSpawnParts, expectedOutput, thrownValue, unsafeValue, warningOutput } from './agents';
import type { Behaviour } from './scenario';

/**
 * The scripted behaviours of `agents.ts`, played in real time by agents that run on BullMQ
 * workers: the same outputs, errors, warnings and spawns, with real timers for the delays (in
 * real milliseconds: see `remoteScale.ts`). An attempt's work is tracked from the call to its
 * end (settled, aborted through its `AbortSignal`, or torn down), so the harness can tell what a
 * worker runs at once and whether a cancellation reached it.
 */

/**
 * Plays one attempt on a worker. Returns what the agent returns (or throws what it throws);
 * `ended` is called once when its work ends, after `call.aborted` says whether the attempt's
 * signal stopped it.
 */
export function playRemote(
  call: AgentCall,
  ctx: TaskContext,
  behaviour: Behaviour,
  bad: BadSpawnParts,
  ended: (call: AgentCall) => void,
): unknown {
  let over = false;
  // the work ended: settled by itself, or stopped by the attempt's signal (a timeout or a cancel reached it)
  const end = (aborted: boolean) => {
    if (over) return;
    over = true;
    call.aborted = aborted;
    ended(call);
  };
  // ended by its own complete or error, or by a teardown: the worker stopped it
  const tracked = (source: Observable<unknown>): Observable<unknown> =>
    new Observable<unknown>((subscriber) => {
      const inner = source.subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => {
          end(false);
          subscriber.error(error);
        },
        complete: () => {
          end(false);
          subscriber.complete();
        },
      });
      return () => {
        inner.unsubscribe();
        end(true);
      };
    });
  const after = <T>(delay: number, then: Observable<T>): Observable<T> => concat(timer(delay).pipe(ignoreElements()), then);
  const promised = (delay: number, outcome: { ok: true; value: unknown } | { ok: false; error: unknown } | undefined) =>
    new Promise<unknown>((resolve, reject) => {
      const { signal } = ctx;
      let handle: NodeJS.Timeout | undefined;
      const onAbort = () => {
        clearTimeout(handle);
        end(true); // never settles: the worker stopped waiting for it
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      if (outcome === undefined) return; // hangs: only the signal ends it
      handle = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        end(false);
        if (outcome.ok) resolve(outcome.value);
        else reject(outcome.error);
      }, delay);
    });
  const fail = (via: 'throw' | 'reject' | 'error', delay: number, error: unknown): unknown => {
    if (via === 'throw') {
      end(false);
      throw error;
    }
    if (via === 'reject') return promised(delay, { ok: false, error });
    return tracked(
      after(
        delay,
        throwError(() => error),
      ),
    );
  };
  const succeed = (via: 'cold' | 'thenable' | 'sync' | 'value', delay: number, value: unknown): unknown => {
    switch (via) {
      case 'cold':
        return tracked(after(delay, of('progress', value)));
      case 'thenable':
        return promised(delay, { ok: true, value });
      case 'sync':
        end(false);
        return syncAgent(() => value)(ctx);
      case 'value':
        end(false);
        return value;
    }
  };
  const output = expectedOutput(ctx.runId, ctx.id, ctx.attempt);
  switch (behaviour.kind) {
    case 'ok':
      return succeed(behaviour.via, behaviour.delay, output);
    case 'empty':
      return tracked(after(behaviour.delay, of()));
    case 'fail':
      return fail(behaviour.via, behaviour.delay, thrownValue(behaviour.thrown, ctx.id, ctx.attempt));
    case 'warning':
      return fail(
        behaviour.via,
        behaviour.delay,
        new AgentError(`warn ${ctx.id} #${ctx.attempt}`, { severity: 'warning', output: warningOutput(ctx.id, ctx.attempt) }),
      );
    case 'critical':
      return fail(behaviour.via, behaviour.delay, new AgentError(`critical ${ctx.id} #${ctx.attempt}`, { severity: 'critical' }));
    case 'hang':
      return behaviour.via === 'cold' ? tracked(NEVER) : promised(0, undefined);
    case 'unsafe':
      return succeed('cold', behaviour.delay, unsafeValue(behaviour.what));
    case 'spawn':
      // the harness asked for the children before calling play
      return succeed('cold', behaviour.delay, output);
    case 'badSpawn':
      switch (behaviour.how) {
        case 'duplicate':
          ctx.spawn([{ id: ctx.id, agent: bad.agent }]);
          break;
        case 'tooHeavy':
          ctx.spawn([{ id: `${ctx.id}.heavy`, agent: bad.agent, weight: bad.tooHeavy }]);
          break;
        case 'unknownLimit':
          ctx.spawn([{ id: `${ctx.id}.limited`, agent: bad.agent, limits: [bad.undeclaredLimit] }]);
          break;
      }
      return succeed('cold', behaviour.delay, output);
  }
}
