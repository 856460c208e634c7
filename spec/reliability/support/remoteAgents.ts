import { concat, ignoreElements, NEVER, Observable, of, throwError, timer } from 'rxjs';
import type { TaskContext } from '../../../src';
import { type AgentCall, type BadSpawnParts, playBehaviour, type Settling } from './agents';
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
  const promised = (delay: number, settling: Settling) =>
    new Promise<unknown>((resolve, reject) => {
      const { signal } = ctx;
      let handle: NodeJS.Timeout | undefined;
      const onAbort = () => {
        clearTimeout(handle);
        end(true); // never settles: the worker stopped waiting for it
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      if (settling === undefined) return; // hangs: only the signal ends it
      handle = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        end(false);
        if (settling.ok) resolve(settling.value);
        else reject(settling.error);
      }, delay);
    });
  return playBehaviour(
    {
      emit: (delay, values) => tracked(after(delay, of(...values))),
      error: (delay, error) =>
        tracked(
          after(
            delay,
            throwError(() => error),
          ),
        ),
      never: () => tracked(NEVER),
      thenable: promised,
      ended: () => end(false),
    },
    ctx,
    behaviour,
    bad,
  );
}
