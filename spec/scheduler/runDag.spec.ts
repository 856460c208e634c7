import { firstValueFrom, lastValueFrom, of, Subject as RxSubject, takeWhile, toArray } from 'rxjs';
import {
  AgentError,
  createScheduler,
  type DagEvent,
  DagValidationError,
  defineDag,
  initialRunState,
  reduce,
  type RunState,
  type SchedulerSnapshot,
  runDag,
  selectTasks,
  type TaskContext,
  type TaskErrorNotice,
} from '../../src';

const quiet = { healthCheckIntervalMs: 0 } as const;
const run = (events$: ReturnType<typeof runDag>) => lastValueFrom(events$.pipe(toArray()));
const ofType = <T extends DagEvent['type']>(events: DagEvent[], type: T) =>
  events.filter((e): e is Extract<DagEvent, { type: T }> => e.type === type);

describe('runDag', () => {
  it('should give each agent its dependencies outputs as upstream (context injection)', async () => {
    const dag = defineDag({
      id: 'ctx',
      tasks: [
        { id: 'left', agent: 'value', input: 2 },
        { id: 'right', agent: 'value', input: 3 },
        { id: 'sum', deps: ['left', 'right'], agent: 'sum' },
      ],
    });
    const agents = {
      value: async ({ input }: TaskContext) => input,
      sum: ({ upstream }: TaskContext) => (upstream.left as number) + (upstream.right as number),
    };
    const events = await run(runDag(dag, { ...quiet, agents }));
    expect(ofType(events, 'task.completed').find((e) => e.taskId === 'sum')?.output).toBe(5);
    const seen: unknown[] = [];
    await run(runDag(dag, { ...quiet, contextInjection: false, agents: { ...agents, sum: ({ upstream }) => void seen.push(upstream) } }));
    expect(seen).toEqual([{}]);
  });

  it('should accept values, promises, Observables and async iterables from agents', async () => {
    const dag = defineDag({ id: 'kinds', tasks: ['sync', 'promise', 'observable', 'iterable', 'array'].map((id) => ({ id, agent: id })) });
    const events = await run(
      runDag(dag, {
        ...quiet,
        agents: {
          sync: () => 'v',
          promise: () => Promise.resolve('p'),
          observable: () => of(1, 2, 'o'),
          iterable: async function* () {
            yield 'i';
          },
          array: () => [1, 2],
        },
      }),
    );
    const outputs = Object.fromEntries(ofType(events, 'task.completed').map((e) => [e.taskId, e.output]));
    expect(outputs).toEqual({ sync: 'v', promise: 'p', observable: 'o', iterable: 'i', array: [1, 2] });
  });

  it('should record a warning and still succeed the task', async () => {
    const dag = defineDag({
      id: 'w',
      tasks: [
        { id: 'a', agent: 'warn' },
        { id: 'b', deps: ['a'], agent: 'echo' },
      ],
    });
    const events$ = runDag(dag, {
      ...quiet,
      agents: {
        warn: () => Promise.reject(new AgentError('rate limited, used cache', { severity: 'warning', output: 'cached' })),
        echo: ({ upstream }) => upstream.a,
      },
    });
    const notices: TaskErrorNotice[] = [];
    events$.error$.subscribe((n) => notices.push(n));
    const events = await run(events$);
    expect(ofType(events, 'task.completed').map((e) => [e.taskId, e.output, e.warning?.message])).toEqual([
      ['a', 'cached', 'rate limited, used cache'],
      ['b', 'cached', undefined],
    ]);
    expect(ofType(events, 'task.failed')).toEqual([]);
    expect(notices).toMatchObject([{ taskId: 'a', severity: 'warning', willRetry: false }]);
    expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
  });

  it('should cancel everything on the first failure with failurePolicy fail-fast', async () => {
    const dag = defineDag({
      id: 'ff',
      tasks: [
        { id: 'bad', agent: 'fail' },
        { id: 'slow', agent: 'slow' },
        { id: 'next', deps: ['slow'], agent: 'slow' },
      ],
    });
    let aborted = false;
    const events = await run(
      runDag(dag, {
        ...quiet,
        failurePolicy: 'fail-fast',
        agents: {
          fail: async () => {
            throw new Error('nope');
          },
          slow: ({ signal }) =>
            new Promise((resolve) => {
              const timer = setTimeout(resolve, 10_000);
              signal.addEventListener('abort', () => {
                aborted = true;
                clearTimeout(timer);
              });
            }),
        },
      }),
    );
    expect(events.filter((e) => e.type === 'task.cancelled').map((e) => 'taskId' in e && e.taskId)).toEqual(['slow', 'next']);
    expect(events.at(-1)).toMatchObject({ outcome: 'failed', counts: { total: 3, completed: 0, failed: 1, skipped: 0, cancelled: 2 } });
    expect(aborted).toBe(true);
  });

  it('should run dependents of a failed task anyway with failurePolicy continue', async () => {
    const dag = defineDag({
      id: 'c',
      tasks: [
        { id: 'bad', agent: 'fail' },
        { id: 'after', deps: ['bad'], agent: 'ok' },
      ],
    });
    const events = await run(
      runDag(dag, {
        ...quiet,
        failurePolicy: 'continue',
        agents: { fail: () => Promise.reject(new Error('x')), ok: ({ upstream }) => Object.keys(upstream).length },
      }),
    );
    expect(ofType(events, 'task.completed')).toMatchObject([{ taskId: 'after', output: 0 }]);
    expect(events.at(-1)).toMatchObject({ outcome: 'failed', counts: { completed: 1, failed: 1 } });
  });

  it('should fail only the task whose output is not JSON-safe, naming where', async () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const dag = defineDag({
      id: 'j',
      tasks: [
        { id: 'big', agent: 'bigint' },
        { id: 'loop', agent: 'circular' },
        { id: 'fine', agent: 'ok' },
      ],
    });
    const events = await run(runDag(dag, { ...quiet, agents: { bigint: () => ({ n: 1n }), circular: () => circular, ok: () => 1 } }));
    expect(ofType(events, 'task.failed').map((e) => [e.taskId, e.error.name, e.error.message])).toEqual([
      ['big', 'OutputNotJsonSafeError', 'output of task "big" is not JSON-safe: $.n is a BigInt'],
      ['loop', 'OutputNotJsonSafeError', 'output of task "loop" is not JSON-safe: $.self is a circular reference'],
    ]);
    expect(ofType(events, 'task.completed').map((e) => e.taskId)).toEqual(['fine']);
    expect(() => JSON.stringify(events)).not.toThrow();
  });

  it('should report a non-Error thrown by an agent as an error with a readable message', async () => {
    const dag = defineDag({ id: 'n', tasks: [{ id: 'a', agent: 'weird' }] });
    const events = await run(
      runDag(dag, {
        ...quiet,
        agents: {
          weird: () => {
            throw { code: 42 };
          },
        },
      }),
    );
    expect(ofType(events, 'task.failed')[0]!.error).toEqual({ name: 'NonError', message: 'agent threw a non-Error value: {"code":42}' });
  });

  it('should abort running agents and stop when unsubscribed', async () => {
    const dag = defineDag({
      id: 'u',
      tasks: [
        { id: 'a', agent: 'wait' },
        { id: 'b', deps: ['a'], agent: 'wait' },
      ],
    });
    const started = new RxSubject<AbortSignal>();
    const events$ = runDag(dag, { ...quiet, agents: { wait: ({ signal }) => (started.next(signal), new Promise(() => {})) } });
    const all: DagEvent[] = [];
    events$.events$.subscribe((e) => all.push(e));
    const signal = new Promise<AbortSignal>((resolve) => started.subscribe(resolve));
    const subscription = events$.subscribe();
    const abortSignal = await signal;
    subscription.unsubscribe();
    expect(abortSignal.aborted).toBe(true);
    expect((abortSignal.reason as Error).name).toBe('TaskCancelledError');
    expect(all.slice(-3).map((e) => [e.type, 'taskId' in e ? e.taskId : ''])).toEqual([
      ['task.cancelled', 'a'],
      ['task.cancelled', 'b'],
      ['dag.completed', ''],
    ]);
  });

  it('should call an agent whose task.started a listener answered by cancelling the run with its signal fired already', () => {
    const dag = defineDag({ id: 'early', tasks: [{ id: 'a', agent: 'work' }] });
    const calls: [boolean, string][] = [];
    const work = ({ signal }: TaskContext) => (calls.push([signal.aborted, (signal.reason as Error | undefined)?.name ?? '']), 1);
    const seen: string[] = [];
    runDag(dag, { ...quiet, agents: { work } })
      .pipe(takeWhile((event) => event.type !== 'task.started', true))
      .subscribe((event) => seen.push(event.type));
    expect(seen).toEqual(['dag.created', 'task.ready', 'task.started']);
    expect(calls).toEqual([[true, 'TaskCancelledError']]);
  });

  it('should throw a TypeError naming a bad option, before anything runs', () => {
    const dag = defineDag({ id: 'o', tasks: [{ id: 'a', agent: 'x' }] });
    const agents = { x: () => 1 };
    expect(() => runDag(dag, { agents, maxConcurrency: 0 })).toThrow(
      new TypeError('rxdag: invalid options: `maxConcurrency` must be a positive integer (got 0)'),
    );
    expect(() => runDag(dag, { agents, mode: 'poll' as 'polling' })).toThrow("`mode` must be 'event' or 'polling' (got \"poll\")");
    expect(() => runDag(dag, { agents, pollIntervalMs: -5 })).toThrow(
      '`pollIntervalMs` must be a positive number of milliseconds (got -5)',
    );
    expect(() => runDag(dag, { agents, healthCheckIntervalMs: NaN })).toThrow('`healthCheckIntervalMs`');
    expect(() => runDag(dag, { agents, scheduler: {} as never })).toThrow('`scheduler` must be an RxJS SchedulerLike');
    expect(() => runDag(dag, { agents, maxConcurency: 3 } as never)).toThrow('unknown option `maxConcurency`');
    expect(() => runDag(dag, { agents: { x: 'fn' } as never })).toThrow('`agents.x` must be a function');
  });

  it('should refuse a DAG naming agents it was not given, listing each one', () => {
    const called: string[] = [];
    const dag = defineDag({
      id: 'a',
      tasks: [
        { id: 't1', agent: 'llm' },
        { id: 't2', agent: 'http' },
        { id: 't3', agent: 'llm' },
        { id: 't4', agent: 'fn' },
      ],
    });
    const attempt = () => runDag(dag, { agents: { fn: () => void called.push('fn') } });
    expect(attempt).toThrow(DagValidationError);
    expect(attempt).toThrow('tasks[0].agent: unknown agent "llm" (used by "t1", "t3"); known agents: "fn"');
    expect(attempt).toThrow('tasks[1].agent: unknown agent "http" (used by "t2")');
    expect(called).toEqual([]);
  });

  it('should name the unknown agents of a DAG spec it was given together with the other problems of the spec', () => {
    const spec = {
      id: 'z',
      tasks: [
        { id: 'a', agent: 'nope' },
        { id: 'b', agent: 'w', deps: ['zz'] },
      ],
    };
    const expected = [
      'DAG "z" is invalid (2 problems):',
      '  tasks[1].deps[0]: task "b" depends on "zz", which is not a task of this DAG',
      '  tasks[0].agent: unknown agent "nope" (used by "a"); known agents: "w"',
    ].join('\n');
    const w = jest.fn(() => 1);
    expect(() => runDag(spec, { agents: { w } })).toThrow(DagValidationError);
    expect(() => runDag(spec, { agents: { w } })).toThrow(expected);
    // a run's own agents are the ones it is checked against
    const scheduler = createScheduler({ agents: { v: w }, healthCheckIntervalMs: 0 });
    expect(() => scheduler.submit(spec, { agents: { w } })).toThrow(expected.replace('known agents: "w"', 'known agents: "v", "w"'));
    expect(w).not.toHaveBeenCalled();
  });

  it('should accept a DAG spec directly and validate it', async () => {
    const events = await run(runDag({ id: 's', tasks: [{ id: 'a', agent: 'x' }] }, { ...quiet, agents: { x: () => 1 } }));
    expect(events.at(-1)).toMatchObject({ outcome: 'succeeded' });
    expect(() => runDag({ id: 's', tasks: [{ id: 'a', agent: 'x', deps: ['a'] }] }, { agents: { x: () => 1 } })).toThrow(
      DagValidationError,
    );
  });

  it('should emit seq 1, 2, 3… and end with exactly one dag.completed', async () => {
    const dag = defineDag({
      id: 'q',
      tasks: Array.from({ length: 50 }, (_, i) => ({ id: `t${i}`, agent: 'x', deps: i > 2 ? [`t${i - 3}`] : [] })),
    });
    const events = await run(runDag(dag, { ...quiet, maxConcurrency: 3, agents: { x: () => Promise.resolve() } }));
    expect(events.map((e) => e.seq)).toEqual(events.map((_, k) => k + 1));
    expect(events.filter((e) => e.type === 'dag.completed')).toHaveLength(1);
    expect(events.at(-1)?.type).toBe('dag.completed');
    expect(new Set(events.map((e) => e.runId)).size).toBe(1);
  });

  it('should equal the fold of its events, and never mutate a snapshot it emitted', async () => {
    const dag = defineDag({
      id: 'replay',
      tasks: Array.from({ length: 200 }, (_, i) => ({
        id: `t${i}`,
        agent: i % 37 === 5 ? 'flaky' : 'x',
        deps: i >= 10 ? [`t${i - 10}`, `t${(i * 7) % i}`] : [],
        retry: { attempts: 2 },
      })),
    });
    const scheduler = createScheduler({
      ...quiet,
      maxConcurrency: 5,
      agents: { x: async ({ id }) => id, flaky: ({ attempt }) => (attempt === 1 ? Promise.reject(new Error('first try')) : 'ok') },
    });
    const snapshots: { state: RunState; picture: string }[] = [];
    scheduler.state$.subscribe(({ runs }) => {
      for (const state of runs.values())
        snapshots.push({ state, picture: JSON.stringify([selectTasks(state), state.counts, state.status]) });
    });
    const events = await run(scheduler.submit(dag, { runId: 'replayed' }));
    const final = snapshots.at(-1)!.state;
    const replayed = events.reduce(reduce, initialRunState(dag, 'replayed'));
    expect(selectTasks(replayed)).toEqual(selectTasks(final));
    expect(replayed.counts).toEqual(final.counts);
    expect(replayed.status).toBe('succeeded');
    expect(snapshots.length).toBeGreaterThan(10);
    for (const { state, picture } of snapshots) expect(JSON.stringify([selectTasks(state), state.counts, state.status])).toBe(picture);
  });

  it('should let many listeners, slow ones included, watch without changing the run', async () => {
    const dag = defineDag({
      id: 'l',
      tasks: Array.from({ length: 30 }, (_, i) => ({ id: `t${i}`, agent: 'x', deps: i > 0 ? [`t${Math.floor(i / 2)}`] : [] })),
    });
    const agents = { x: () => Promise.resolve() };
    const order = (events: DagEvent[]) => events.map((e) => `${e.type}:${'taskId' in e ? e.taskId : ''}`);
    const alone = order(await run(runDag(dag, { ...quiet, maxConcurrency: 4, agents })));
    const watched = runDag(dag, { ...quiet, maxConcurrency: 4, agents });
    const seen = { ready: 0, completion: 0, health: 0, events: 0 };
    watched.ready$.subscribe(() => seen.ready++);
    watched.completion$.subscribe(() => {
      const until = performance.now() + 2;
      while (performance.now() < until); // a slow, synchronous listener
      seen.completion++;
    });
    watched.health$.subscribe(() => seen.health++);
    watched.events$.subscribe(() => seen.events++);
    const events = await run(watched);
    expect(order(events)).toEqual(alone);
    expect(seen).toEqual({ ready: 30, completion: 30, health: 0, events: events.length });
  });

  it('should run 100,000 no-op tasks to a succeeded dag.completed in seconds', async () => {
    const n = 100_000;
    const dag = defineDag({
      id: 'big',
      tasks: Array.from({ length: n }, (_, i) => ({
        id: `t${i}`,
        agent: 'noop',
        deps: i >= 100 ? [`t${i - 100}`, `t${(i * 31) % (i - (i % 100))}`] : [],
      })),
    });
    const started = performance.now();
    const last = await lastValueFrom(runDag(dag, { ...quiet, maxConcurrency: 64, agents: { noop: () => Promise.resolve() } }));
    expect(last).toMatchObject({ type: 'dag.completed', outcome: 'succeeded', counts: { total: n, completed: n } });
    expect(performance.now() - started).toBeLessThan(30_000); // a hang guard, not a benchmark
  }, 60_000);
});

describe('createScheduler', () => {
  it('should share one concurrency limit between runs and publish every run on events$', async () => {
    const dag = defineDag({ id: 'shared', tasks: Array.from({ length: 10 }, (_, i) => ({ id: `t${i}`, agent: 'x' })) });
    let running = 0;
    let peak = 0;
    const scheduler = createScheduler({
      ...quiet,
      maxConcurrency: 3,
      agents: {
        x: () => {
          peak = Math.max(peak, ++running);
          return new Promise<void>((resolve) => setTimeout(() => (running--, resolve()), 2));
        },
      },
    });
    const all: DagEvent[] = [];
    scheduler.events$.subscribe((e) => all.push(e));
    await Promise.all([run(scheduler.submit(dag, { runId: 'one' })), run(scheduler.submit(dag, { runId: 'two' }))]);
    expect(peak).toBe(3);
    expect(
      all
        .filter((e) => e.type === 'dag.completed')
        .map((e) => e.runId)
        .sort(),
    ).toEqual(['one', 'two']);
  });

  it('should refuse new runs after shutdown and cancel running ones with force', async () => {
    const dag = defineDag({ id: 's', tasks: [{ id: 'a', agent: 'wait' }] });
    const scheduler = createScheduler({ ...quiet, agents: { wait: () => new Promise(() => {}) } });
    const events: DagEvent[] = [];
    scheduler.events$.subscribe((e) => events.push(e));
    scheduler.submit(dag).subscribe();
    await scheduler.shutdown({ force: true });
    expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'cancelled' });
    expect(scheduler.closed).toBe(true);
    await expect(run(scheduler.submit(dag))).rejects.toThrow('scheduler is shut down');
  });

  it("should complete its streams once shutdown has finished, the last state included, and a late listener's at once", async () => {
    const dag = defineDag({ id: 's', tasks: [{ id: 'a', agent: 'work' }] });
    const scheduler = createScheduler({ ...quiet, agents: { work: () => Promise.resolve('done') } });
    const events = lastValueFrom(scheduler.events$.pipe(toArray()));
    const completions = lastValueFrom(scheduler.completion$.pipe(toArray()));
    const states = lastValueFrom(scheduler.state$.pipe(toArray()));
    await run(scheduler.submit(dag));
    await scheduler.shutdown();
    expect((await events).at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    expect(await completions).toHaveLength(1);
    expect((await states).at(-1)).toMatchObject({ running: 0, ready: 0 });
    // after the end: the last state (no run left in it), then completion; no event
    const late = await lastValueFrom(scheduler.state$.pipe(toArray()));
    expect(late).toEqual([expect.objectContaining({ running: 0 })]);
    expect(late[0]!.runs.size).toBe(0); // no run is left in it
    await expect(lastValueFrom(scheduler.events$.pipe(toArray()))).resolves.toEqual([]);
  });

  it('should show an ended run in the snapshot of its end only, whoever listened before', async () => {
    const dag = defineDag({ id: 's', tasks: [{ id: 'a', agent: 'work' }] });
    const runIdsOf = (snapshot: SchedulerSnapshot) => [...snapshot.runs.keys()];
    for (const listenedBefore of [true, false]) {
      const scheduler = createScheduler({ ...quiet, agents: { work: () => Promise.resolve('done') } });
      const seen: SchedulerSnapshot[] = [];
      if (listenedBefore) scheduler.state$.subscribe((snapshot) => seen.push(snapshot));
      await run(scheduler.submit(dag, { runId: 'one' }));
      if (listenedBefore) expect(seen.at(-1)!.runs.get('one')?.status).toBe('succeeded');
      const late = await firstValueFrom(scheduler.state$);
      expect(runIdsOf(late)).toEqual([]);
      if (listenedBefore) expect(runIdsOf(seen.at(-1)!)).toEqual([]);
      await scheduler.shutdown();
    }
  });

  it('should resolve shutdown at once when idle', async () => {
    await expect(createScheduler().shutdown()).resolves.toBeUndefined();
  });
});
