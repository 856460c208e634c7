import { map, type Observable, Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { createScheduler, defineDag, type DagEvent, runDag, type TaskContext } from '../../src';
import { scheduling, testScheduler, timeline } from '../helpers';

/** Runs `start` inside `TestScheduler.run` and returns every event it produced, by subscription. */
function collectIn(
  build: (
    helpers: Parameters<Parameters<ReturnType<typeof testScheduler>['run']>[0]>[0],
    scheduler: ReturnType<typeof testScheduler>,
  ) => Observable<DagEvent>,
): DagEvent[] {
  const scheduler = testScheduler();
  const events: DagEvent[] = [];
  scheduler.run((helpers) => {
    build(helpers, scheduler).subscribe((event) => events.push(event));
  });
  return events;
}

const base = { healthCheckIntervalMs: 0, runId: 'r' } as const;

describe('runDag in virtual time', () => {
  it('should start no more than maxConcurrency agents, the next one as soon as a slot frees', () => {
    const dag = defineDag({ id: 'wide', tasks: ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, agent: 'work' })) });
    const events = collectIn(({ cold }, scheduler) =>
      runDag(dag, { ...base, scheduler, maxConcurrency: 2, agents: { work: ({ id }) => cold(id === 'a' ? '--(x|)' : '----(x|)') } }),
    );
    expect(timeline(events, scheduling)).toEqual([
      '0 started:a',
      '0 started:b',
      '2 completed:a',
      '2 started:c',
      '4 completed:b',
      '4 started:d',
      '6 completed:c',
      '6 started:e',
      '8 completed:d',
      '10 completed:e',
      '10 done:succeeded',
    ]);
  });

  it('should start a dependent in the same frame its last dependency completes', () => {
    const dag = defineDag({
      id: 'diamond',
      tasks: [
        { id: 'a', agent: 'work' },
        { id: 'b', deps: ['a'], agent: 'work' },
        { id: 'c', deps: ['a'], agent: 'slow' },
        { id: 'd', deps: ['b', 'c'], agent: 'work' },
      ],
    });
    const events = collectIn(({ cold }, scheduler) =>
      runDag(dag, { ...base, scheduler, agents: { work: () => cold('-(x|)'), slow: () => cold('---(x|)') } }),
    );
    expect(timeline(events)).toEqual([
      '0 created',
      '0 ready:a',
      '0 started:a',
      '1 completed:a',
      '1 ready:b',
      '1 ready:c',
      '1 started:b',
      '1 started:c',
      '2 completed:b',
      '4 completed:c',
      '4 ready:d',
      '4 started:d',
      '5 completed:d',
      '5 done:succeeded',
    ]);
  });

  it('should dispatch by priority first, then by upward rank (the critical path)', () => {
    const dag = defineDag({
      id: 'ranked',
      tasks: [
        { id: 'short', agent: 'work', estimateMs: 5 },
        { id: 'chain1', agent: 'work', estimateMs: 10 },
        { id: 'chain2', deps: ['chain1'], agent: 'work', estimateMs: 10 },
        { id: 'chain3', deps: ['chain2'], agent: 'work', estimateMs: 10 },
        { id: 'urgent', agent: 'work', priority: 1 },
      ],
    });
    const events = collectIn(({ cold }, scheduler) =>
      runDag(dag, { ...base, scheduler, maxConcurrency: 1, agents: { work: () => cold('-(x|)') } }),
    );
    expect(timeline(events, (e) => e.type === 'task.started')).toEqual([
      '0 started:urgent',
      '1 started:chain1',
      '2 started:chain2',
      '3 started:chain3',
      '4 started:short',
    ]);
  });

  it('should time an attempt out, abort its signal and tear down its agent', () => {
    const dag = defineDag({ id: 't', tasks: [{ id: 'a', agent: 'hang', timeoutMs: 5 }] });
    const signals: AbortSignal[] = [];
    const scheduler = testScheduler();
    const events: DagEvent[] = [];
    scheduler.run(({ cold, expectSubscriptions }) => {
      const never = cold('-');
      runDag(dag, {
        ...base,
        scheduler,
        agents: {
          hang: (ctx: TaskContext) => {
            signals.push(ctx.signal);
            return never;
          },
        },
      }).subscribe((e) => events.push(e));
      expectSubscriptions(never.subscriptions).toBe('^----!');
    });
    expect(timeline(events, scheduling)).toEqual(['0 started:a', '5 timed-out:a', '5 failed:a', '5 done:failed']);
    expect(signals[0]!.aborted).toBe(true);
    expect((signals[0]!.reason as Error).name).toBe('TaskTimeoutError');
  });

  it('should use the run-level taskTimeoutMs for tasks without their own', () => {
    const dag = defineDag({
      id: 't',
      tasks: [
        { id: 'a', agent: 'hang' },
        { id: 'b', agent: 'hang', timeoutMs: 3 },
      ],
    });
    const events = collectIn(({ cold }, scheduler) =>
      runDag(dag, { ...base, scheduler, taskTimeoutMs: 7, agents: { hang: () => cold('-') } }),
    );
    expect(timeline(events, (e) => e.type === 'task.timed-out')).toEqual(['3 timed-out:b', '7 timed-out:a']);
  });

  it('should retry with exponential backoff capped by maxBackoffMs', () => {
    const dag = defineDag({
      id: 'r',
      tasks: [{ id: 'a', agent: 'flaky', retry: { attempts: 4, backoffMs: 10, backoffFactor: 3, maxBackoffMs: 50 } }],
    });
    const events = collectIn(({ cold }, scheduler) =>
      runDag(dag, { ...base, scheduler, agents: { flaky: (ctx) => (ctx.attempt < 4 ? cold('--#') : cold('--(x|)')) } }),
    );
    // attempt 1 fails at 2, waits 10; attempt 2 fails at 14, waits 30; attempt 3 fails at 46, waits min(90, 50)
    expect(timeline(events, scheduling)).toEqual([
      '0 started:a',
      '2 failed:a',
      '12 retrying:a#2',
      '12 started:a#2',
      '14 failed:a#2',
      '44 retrying:a#3',
      '44 started:a#3',
      '46 failed:a#3',
      '96 retrying:a#4',
      '96 started:a#4',
      '98 completed:a#4',
      '98 done:succeeded',
    ]);
  });

  it('should fail a task for good after its last attempt and skip its dependents only', () => {
    const dag = defineDag({
      id: 'f',
      tasks: [
        { id: 'bad', agent: 'fail', retry: { attempts: 2 } },
        { id: 'after', deps: ['bad'], agent: 'ok' },
        { id: 'later', deps: ['after'], agent: 'ok' },
        { id: 'free', agent: 'ok' },
      ],
    });
    const events = collectIn(({ cold }, scheduler) =>
      runDag(dag, { ...base, scheduler, agents: { fail: () => cold('-#'), ok: () => cold('---(x|)') } }),
    );
    expect(timeline(events, scheduling)).toEqual([
      '0 started:bad',
      '0 started:free',
      '1 failed:bad',
      '1 retrying:bad#2',
      '1 started:bad#2',
      '2 failed:bad#2',
      '2 skipped:after',
      '2 skipped:later',
      '3 completed:free',
      '3 done:failed',
    ]);
    const failures = events.filter((e) => e.type === 'task.failed').map((e) => e.type === 'task.failed' && e.willRetry);
    expect(failures).toEqual([true, false]);
  });

  it('should report health periodically and a stuck task once', () => {
    const dag = defineDag({
      id: 'h',
      tasks: [
        { id: 'a', agent: 'slow' },
        { id: 'b', deps: ['a'], agent: 'slow' },
      ],
    });
    const events = collectIn(({ cold }, scheduler) =>
      runDag(dag, {
        runId: 'r',
        scheduler,
        healthCheckIntervalMs: 10,
        stuckAfterMs: 25,
        agents: { slow: () => cold('-----------------------------------(x|)') },
      }),
    );
    expect(timeline(events, (e) => e.type === 'health.checked' || e.type === 'task.stuck' || e.type === 'dag.completed')).toEqual([
      '10 health:1/0/1',
      '20 health:1/0/1',
      '30 health:1/0/1',
      '30 stuck:a',
      '40 health:1/0/0',
      '50 health:1/0/0',
      '60 health:1/0/0',
      '60 stuck:b',
      '70 done:succeeded',
    ]);
    const stuck = events.find((e) => e.type === 'task.stuck');
    expect(stuck).toMatchObject({ taskId: 'a', runningForMs: 30 });
  });

  it('should cancel on unsubscribe: abort running agents, cancel pending tasks, leave no timer behind', () => {
    const dag = defineDag({
      id: 'c',
      tasks: [
        { id: 'a', agent: 'slow', timeoutMs: 50 },
        { id: 'b', deps: ['a'], agent: 'slow' },
      ],
    });
    const scheduler = testScheduler();
    const all: DagEvent[] = [];
    let signal: AbortSignal | undefined;
    let actionsLeft = -1;
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const slow = cold('----------(x|)');
      const run = runDag(dag, {
        runId: 'r',
        scheduler,
        healthCheckIntervalMs: 5,
        agents: {
          slow: (ctx) => {
            signal = ctx.signal;
            return slow;
          },
        },
      });
      run.events$.subscribe((e) => all.push(e));
      expectObservable(run.pipe(), '---!').toBe('(abc)', {
        a: expect.objectContaining({ type: 'dag.created' }),
        b: expect.objectContaining({ type: 'task.ready', taskId: 'a' }),
        c: expect.objectContaining({ type: 'task.started', taskId: 'a' }),
      });
      expectSubscriptions(slow.subscriptions).toBe('^--!');
      scheduler.schedule(() => (actionsLeft = scheduler.actions.length), 100);
    });
    expect(timeline(all, scheduling)).toEqual(['0 started:a', '3 cancelled:a', '3 cancelled:b', '3 done:cancelled']);
    expect(signal?.aborted).toBe(true);
    expect(actionsLeft).toBe(0);
  });

  it('should take one poll interval per step in polling mode', () => {
    const dag = defineDag({
      id: 'p',
      tasks: [
        { id: 'a', agent: 'now' },
        { id: 'b', deps: ['a'], agent: 'now' },
        { id: 'c', deps: ['b'], agent: 'now' },
      ],
    });
    const polling = collectIn(({ cold }, scheduler) =>
      runDag(dag, { ...base, scheduler, mode: 'polling', pollIntervalMs: 10, agents: { now: () => cold('(x|)') } }),
    );
    expect(timeline(polling, scheduling)).toEqual([
      '0 started:a',
      '10 completed:a',
      '10 started:b',
      '20 completed:b',
      '20 started:c',
      '30 completed:c',
      '30 done:succeeded',
    ]);
    const eventMode = collectIn(({ cold }, scheduler) => runDag(dag, { ...base, scheduler, agents: { now: () => cold('(x|)') } }));
    expect(timeline(eventMode, scheduling)).toEqual([
      '0 started:a',
      '0 completed:a',
      '0 started:b',
      '0 completed:b',
      '0 started:c',
      '0 completed:c',
      '0 done:succeeded',
    ]);
  });

  it('should take the last value of a streaming agent as its output', () => {
    const dag = defineDag({
      id: 's',
      tasks: [
        { id: 'a', agent: 'stream' },
        { id: 'b', deps: ['a'], agent: 'echo' },
      ],
    });
    const events = collectIn(({ cold }, scheduler) =>
      runDag(dag, {
        ...base,
        scheduler,
        agents: { stream: () => cold('-a-b-c|', { a: 1, b: 2, c: 3 }), echo: ({ upstream }) => upstream },
      }),
    );
    const outputs = events.flatMap((e) => (e.type === 'task.completed' ? [[e.taskId, e.output, e.at]] : []));
    expect(outputs).toEqual([
      ['a', 3, 6],
      ['b', { a: 3 }, 6],
    ]);
  });

  it('should cancel the whole run at once on a critical error', () => {
    const dag = defineDag({
      id: 'k',
      tasks: [
        { id: 'a', agent: 'boom', retry: { attempts: 3 } },
        { id: 'b', agent: 'slow' },
        { id: 'c', deps: ['b'], agent: 'slow' },
      ],
    });
    const events = collectIn(({ cold }, scheduler) =>
      runDag(dag, {
        ...base,
        scheduler,
        agents: {
          boom: () => cold('--#', undefined, Object.assign(new Error('disk on fire'), { severity: 'critical' })),
          slow: () => cold('-----(x|)'),
        },
      }),
    );
    // b leads the longer path (b -> c), so it starts first
    expect(timeline(events, scheduling)).toEqual([
      '0 started:b',
      '0 started:a',
      '2 failed:a',
      '2 cancelled:b',
      '2 cancelled:c',
      '2 done:failed',
    ]);
    expect(events.find((e) => e.type === 'task.failed')).toMatchObject({
      severity: 'critical',
      willRetry: false,
      error: { message: 'disk on fire' },
    });
  });

  it('should run in virtual time on the default scheduler too, inside TestScheduler.run', () => {
    const dag = defineDag({
      id: 'implicit',
      tasks: [
        { id: 'a', agent: 'w' },
        { id: 'b', deps: ['a'], agent: 'w' },
      ],
    });
    const scheduler = testScheduler();
    const events: DagEvent[] = [];
    scheduler.run(({ cold }) => {
      // no `scheduler` option: asyncScheduler and asapScheduler are virtual inside run()
      runDag(dag, { healthCheckIntervalMs: 0, runId: 'r', agents: { w: () => cold('---(x|)') } }).subscribe((e) => events.push(e));
    });
    expect(timeline(events, scheduling)).toEqual(['0 started:a', '3 completed:a', '3 started:b', '6 completed:b', '6 done:succeeded']);
  });

  it('should keep no subscription to a finished run', () => {
    const dag = defineDag({ id: 'z', tasks: [{ id: 'a', agent: 'w' }] });
    const scheduler = testScheduler();
    let subscription = new Subscription();
    scheduler.run(({ cold }) => {
      subscription = runDag(dag, { runId: 'r', scheduler, healthCheckIntervalMs: 5, agents: { w: () => cold('--(x|)') } }).subscribe();
    });
    expect(subscription.closed).toBe(true);
  });
});

describe('a submitted run’s hot view under expectObservable', () => {
  /** The types `run.events$` shows `expectObservable`, the run subscribed by an action scheduled before or after the expectation. */
  function seen(order: 'subscribe-first' | 'expectation-first'): string {
    let shown = '';
    const scheduler = new TestScheduler((actual) => {
      shown = JSON.stringify(actual);
    });
    scheduler.run(({ cold, expectObservable }) => {
      const shared = createScheduler({ healthCheckIntervalMs: 0, scheduler, agents: { work: () => cold('-(x|)') } });
      const run = shared.submit(defineDag({ id: 'one', tasks: [{ id: 'a', agent: 'work' }] }), { runId: 'r' });
      const subscribe = () => scheduler.schedule(() => run.subscribe());
      if (order === 'subscribe-first') subscribe();
      // what it is compared with does not matter: the callback above only keeps what it saw
      expectObservable(run.events$.pipe(map((e) => e.type))).toBe('');
      if (order === 'expectation-first') subscribe();
    });
    return shown;
  }

  it('should show the frame-0 events when the run is subscribed by an action scheduled after expectObservable', () => {
    expect(seen('expectation-first')).toContain('dag.created');
  });

  it('should lose them when that action is scheduled before it (actions of one frame run in the order they were scheduled)', () => {
    expect(seen('subscribe-first')).not.toContain('dag.created');
    expect(seen('subscribe-first')).toContain('dag.completed');
  });
});
