import { type Observable } from 'rxjs';
import { type Agent, AgentError, createScheduler, type DagEvent, defineDag, type DagSpec, runDag } from '../../src';
import { scheduling, testScheduler, timeline } from '../helpers';

/**
 * What a failed attempt's error asks of the retry policy, in virtual time: `retryAfterMs` waits
 * that long instead of the backoff (within the policy's attempts), `retry: false` fails the task
 * at once; an `AgentError` or any error carrying those properties.
 */

/** The `cold` helper of `TestScheduler.run`. */
type Cold = (marbles: string, values?: Record<string, unknown>, error?: unknown) => Observable<unknown>;

function collectIn(build: (cold: Cold, scheduler: ReturnType<typeof testScheduler>) => Observable<DagEvent>): DagEvent[] {
  const scheduler = testScheduler();
  const events: DagEvent[] = [];
  scheduler.run(({ cold }) => {
    build(cold, scheduler).subscribe((event) => events.push(event));
  });
  return events;
}

const base = { healthCheckIntervalMs: 0, runId: 'r' } as const;
const failures = (events: readonly DagEvent[]) => events.filter((e) => e.type === 'task.failed');

describe('retry hints of a failed attempt', () => {
  it('should wait retryAfterMs instead of the backoff, and say so in task.failed', () => {
    const dag = defineDag({ id: 'h', tasks: [{ id: 'a', agent: 'api', retry: { attempts: 3, backoffMs: 10 } }] });
    const events = collectIn((cold, scheduler) =>
      runDag(dag, {
        ...base,
        scheduler,
        agents: {
          // attempt 1: rate limited, retry after 100; attempt 2: retry after 0; attempt 3 succeeds
          api: ({ attempt }) =>
            attempt === 3 ? cold('--(x|)') : cold('--#', undefined, new AgentError('429', { retryAfterMs: attempt === 1 ? 100 : 0 })),
        },
      }),
    );
    expect(timeline(events, scheduling)).toEqual([
      '0 started:a',
      '2 failed:a',
      '102 retrying:a#2',
      '102 started:a#2',
      '104 failed:a#2',
      '104 retrying:a#3',
      '104 started:a#3',
      '106 completed:a#3',
      '106 done:succeeded',
    ]);
    expect(failures(events).map((e) => e.type === 'task.failed' && [e.willRetry, e.retryAfterMs])).toEqual([
      [true, 100],
      [true, 0],
    ]);
  });

  it('should keep to the policy when retryAfterMs comes on the last attempt: no wait, no extra attempt', () => {
    const dag = defineDag({ id: 'h', tasks: [{ id: 'a', agent: 'api', retry: { attempts: 2, backoffMs: 10 } }] });
    const events = collectIn((cold, scheduler) =>
      runDag(dag, { ...base, scheduler, agents: { api: () => cold('-#', undefined, new AgentError('429', { retryAfterMs: 500 })) } }),
    );
    expect(timeline(events, scheduling)).toEqual([
      '0 started:a',
      '1 failed:a',
      '501 retrying:a#2',
      '501 started:a#2',
      '502 failed:a#2',
      '502 done:failed',
    ]);
    expect(failures(events)[1]).not.toHaveProperty('retryAfterMs');
  });

  it('should fail a task whose error asks for no retry at once, attempts left, and apply the failure policy', () => {
    const dag = defineDag({
      id: 'h',
      tasks: [
        { id: 'a', agent: 'api', retry: { attempts: 5, backoffMs: 10 } },
        { id: 'after', deps: ['a'], agent: 'ok' },
        { id: 'free', agent: 'ok' },
      ],
    });
    const calls: number[] = [];
    const events = collectIn((cold, scheduler) =>
      runDag(dag, {
        ...base,
        scheduler,
        agents: {
          api: ({ attempt }) => {
            calls.push(attempt);
            return cold('-#', undefined, new AgentError('prompt too long', { retry: false, retryAfterMs: 50 }));
          },
          ok: () => cold('---(x|)'),
        },
      }),
    );
    expect(calls).toEqual([1]);
    expect(timeline(events, scheduling)).toEqual([
      '0 started:a',
      '0 started:free',
      '1 failed:a',
      '1 skipped:after',
      '3 completed:free',
      '3 done:failed',
    ]);
    expect(failures(events)[0]).toMatchObject({
      willRetry: false,
      severity: 'error',
      error: { name: 'AgentError', message: 'prompt too long' },
    });
    expect(failures(events)[0]).not.toHaveProperty('retryAfterMs');
  });

  it('should read the hints from any error, and ignore values that are not hints', () => {
    const dag = defineDag({ id: 'h', tasks: [{ id: 'a', agent: 'api', retry: { attempts: 2, backoffMs: 10 } }] });
    const runWith = (error: unknown) =>
      collectIn((cold, scheduler) =>
        runDag(dag, {
          ...base,
          scheduler,
          agents: { api: ({ attempt }) => (attempt === 1 ? cold('-#', undefined, error) : cold('-(x|)')) },
        }),
      ).find((e) => e.type === 'task.retrying')?.at;
    // an HTTP client's own error carrying the wait
    expect(runWith(Object.assign(new Error('429'), { retryAfterMs: 70 }))).toBe(71);
    // not a wait: the policy's backoff of 10 ms
    for (const retryAfterMs of [-1, Number.NaN, Number.POSITIVE_INFINITY, '70', 2 ** 31]) {
      expect(runWith(Object.assign(new Error('429'), { retryAfterMs }))).toBe(11);
    }
    // only `retry: false` says no retry; other values of `retry` are not hints
    expect(runWith(Object.assign(new Error('x'), { retry: 0 }))).toBe(11);
    expect(runWith(Object.assign(new Error('x'), { retry: false }))).toBeUndefined();
  });

  /**
   * Two runs on one scheduler whose limit `api` allows 2 at once: `one` of `tasks` from 0, and
   * `two` (its task `x` on `api`) from 5. `api` plays its agent; `free` ends after a frame.
   */
  function twoRunsOnApi(tasks: DagSpec['tasks'], api: (cold: Cold) => Agent): DagEvent[] {
    const events: DagEvent[] = [];
    const scheduler = testScheduler();
    scheduler.run(({ cold }) => {
      const shared = createScheduler({
        healthCheckIntervalMs: 0,
        scheduler,
        limits: { api: { concurrency: 2 } },
        agents: { api: api(cold), free: () => cold('-(x|)') },
      });
      shared.submit(defineDag({ id: 'p', tasks }), { runId: 'one' }).subscribe((e) => events.push(e));
      const other = defineDag({ id: 'q', tasks: [{ id: 'x', agent: 'api', limits: ['api'] }] });
      scheduler.schedule(() => shared.submit(other, { runId: 'two' }).subscribe((e) => events.push(e)), 5);
    });
    return events;
  }

  it('should pause the limits the task names when its error asks: no task of any run starts on them until then', () => {
    const events = twoRunsOnApi(
      [
        { id: 'a', agent: 'api', limits: ['api'], retry: { attempts: 2, backoffMs: 1 } },
        { id: 'b', agent: 'api', limits: ['api'] },
        { id: 'c', agent: 'api', limits: ['api'] },
        { id: 'e', agent: 'free', deps: ['b'] },
      ],
      // a's first attempt: the provider says "come back in 50 ms" to everyone
      (cold) =>
        ({ id, attempt }) =>
          id === 'a' && attempt === 1
            ? cold('--#', undefined, new AgentError('429', { retryAfterMs: 50, pauseLimits: true }))
            : cold(id === 'b' ? '----------(x|)' : '-(x|)'),
    );
    const startedAt = (runId: string, taskId: string, attempt = 1) =>
      events.find((e) => e.type === 'task.started' && e.runId === runId && e.taskId === taskId && e.attempt === attempt)?.at;
    // c had room at 2 and x at 5, but the limit was paused until 2 + 50; then its two places
    // go to a's retry and x (runs take turns), and c takes a's when it ends at 53
    expect([startedAt('one', 'a'), startedAt('one', 'b'), startedAt('one', 'c'), startedAt('two', 'x')]).toEqual([0, 0, 53, 52]);
    // a task without the limit goes on meanwhile; a's own retry waits as long
    expect([startedAt('one', 'e'), startedAt('one', 'a', 2)]).toEqual([10, 52]);
    expect(events.filter((e) => e.type === 'dag.completed').map((e) => e.type === 'dag.completed' && e.outcome)).toEqual([
      'succeeded',
      'succeeded',
    ]);
  });

  it('should say a pause only for a task that names limits: one without pauses nothing', () => {
    const events = twoRunsOnApi(
      [{ id: 'a', agent: 'api', retry: { attempts: 2, backoffMs: 1 } }],
      (cold) =>
        ({ id, attempt }) =>
          id === 'a' && attempt === 1
            ? cold('--#', undefined, new AgentError('429', { retryAfterMs: 50, pauseLimits: true }))
            : cold('-(x|)'),
    );
    const failed = events.find((e) => e.type === 'task.failed');
    expect(failed).toMatchObject({ taskId: 'a', retryAfterMs: 50 });
    expect(failed).not.toHaveProperty('pausedLimitsMs');
    expect(events.find((e) => e.type === 'task.started' && e.runId === 'two')?.at).toBe(5);
  });

  it('should pause nothing for a critical error: it ends its run and asks nothing of the others', () => {
    const events = twoRunsOnApi(
      [{ id: 'a', agent: 'api', limits: ['api'] }],
      (cold) =>
        ({ id }) =>
          id === 'a'
            ? cold('--#', undefined, new AgentError('fatal', { severity: 'critical', retryAfterMs: 50, pauseLimits: true }))
            : cold('-(x|)'),
    );
    expect(events.find((e) => e.type === 'task.started' && e.runId === 'two')?.at).toBe(5);
  });

  it('should pause nothing for an error that does not ask, nor for pauseLimits without a wait', () => {
    const run = (error: unknown) => {
      const events = collectIn((cold, scheduler) =>
        runDag(
          defineDag({
            id: 'n',
            tasks: [
              { id: 'a', agent: 'api', limits: ['api'] },
              { id: 'b', agent: 'api', limits: ['api'] },
            ],
          }),
          {
            ...base,
            scheduler,
            limits: { api: { concurrency: 1 } },
            agents: { api: ({ id }) => (id === 'a' ? cold('--#', undefined, error) : cold('-(x|)')) },
          },
        ),
      );
      return events.find((e) => e.type === 'task.started' && e.taskId === 'b')?.at;
    };
    expect(run(new AgentError('429', { retryAfterMs: 50 }))).toBe(2);
    expect(run(new AgentError('429', { retryAfterMs: 50, pauseLimits: true, severity: 'warning' }))).toBe(2);
    expect(run(Object.assign(new Error('429'), { pauseLimits: true }))).toBe(2);
    expect(run(Object.assign(new Error('429'), { retryAfterMs: 50, pauseLimits: true }))).toBe(52);
  });

  it('should check what AgentError is given', () => {
    expect(() => new AgentError('x', { pauseLimits: true })).toThrow(
      new TypeError('rxdag: AgentError `pauseLimits` needs `retryAfterMs`: how long the limits are paused'),
    );
    expect(() => new AgentError('x', { retryAfterMs: -5 })).toThrow(
      new TypeError('rxdag: AgentError `retryAfterMs` must be a number of milliseconds from 0 to 2147483647 (got -5)'),
    );
    expect(() => new AgentError('x', { retryAfterMs: Number.NaN })).toThrow(
      new TypeError('rxdag: AgentError `retryAfterMs` must be a number of milliseconds from 0 to 2147483647 (got NaN)'),
    );
    expect(() => new AgentError('x', { retry: 'no' as unknown as boolean })).toThrow(
      new TypeError('rxdag: AgentError `retry` must be true or false (got "no")'),
    );
    expect(() => new AgentError('x', { severity: 'fatal' as unknown as 'critical' })).toThrow(
      new TypeError('rxdag: AgentError `severity` must be "warning", "error" or "critical" (got "fatal")'),
    );
    expect(new AgentError('x', { retryAfterMs: 0 })).toMatchObject({ retry: true, retryAfterMs: 0, severity: 'error' });
    // a misspelt wait would leave the policy's backoff in place without a word
    expect(() => new AgentError('429', { retryAfter: 5000 } as never)).toThrow(
      new TypeError('rxdag: AgentError unknown option `retryAfter` (did you mean `retryAfterMs`?)'),
    );
    expect(() => new AgentError('x', null as never)).toThrow(
      new TypeError(
        'rxdag: AgentError options must be an object { severity?, output?, cause?, retry?, retryAfterMs?, pauseLimits? } (got null)',
      ),
    );
  });
});
