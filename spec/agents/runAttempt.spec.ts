import { asyncScheduler, concat, defer, EMPTY, lastValueFrom, materialize, NEVER, Observable, of, throwError, toArray } from 'rxjs';
import type { RunHelpers } from 'rxjs/testing';
import { DagValidationError, observableAgent, promiseAgent, syncAgent, type TaskContext, type TaskSpec } from '../../src';
import { OutputNotJsonSafeError, TaskCancelledError, TaskTimeoutError } from '../../src/agents/attemptErrors';
import { type AttemptHost, type AttemptOutcome, runAttempt } from '../../src/agents/runAttempt';
import { inVirtualTime, tagLibraryWork } from '../support/virtualTime';

type Cold = ReturnType<RunHelpers['cold']>;

/** What the spec's host wraps each outcome in: shows that `wrap` is what the attempt emits. */
interface Wrapped {
  readonly taskId: string;
  readonly outcome: AttemptOutcome;
}

/** A small host around one agent, with probes on what the attempt asked of it. */
function hostFor(
  agent: (ctx: TaskContext) => unknown,
  options: { readonly timeoutMs?: number; readonly taskTimeoutMs?: number; readonly upstream?: Readonly<Record<string, unknown>> } = {},
) {
  let stop: ((reason?: Error) => void) | undefined;
  const upstream = jest.fn(() => options.upstream ?? {});
  const wrap = jest.fn((outcome: AttemptOutcome): Wrapped => ({ taskId: 't', outcome }));
  const call = jest.fn((ctx: TaskContext) => agent(ctx));
  const host: AttemptHost<Wrapped> = {
    taskId: 't',
    runId: 'r',
    dagId: 'd',
    input: { topic: 'rx' },
    attempt: 2,
    timeoutMs: options.timeoutMs,
    taskTimeoutMs: options.taskTimeoutMs,
    call,
    upstream,
    wrap,
    bindStop: (fn) => (stop = fn),
  };
  return {
    host,
    call,
    upstream,
    wrap,
    /** Ends the attempt from outside, through the function the attempt gave `bindStop`. */
    stop: (reason?: Error) => stop!(reason),
  };
}

/** Every notification of `attempt$`, as `['next', value]`, `['error', e]` or `['complete']`. */
async function notificationsOf<T>(attempt$: Observable<T>): Promise<unknown[][]> {
  const notes = await lastValueFrom(attempt$.pipe(materialize(), toArray()));
  return notes.map((n) => (n.kind === 'N' ? ['next', n.value] : n.kind === 'E' ? ['error', n.error] : ['complete']));
}

/** The one outcome of an attempt of `agent`, checking it is emitted exactly once, then completion. */
async function outcomeOf(agent: (ctx: TaskContext) => unknown): Promise<AttemptOutcome> {
  const { host, wrap } = hostFor(agent);
  const notes = await notificationsOf(runAttempt(host, asyncScheduler));
  expect(notes.map(([kind]) => kind)).toEqual(['next', 'complete']);
  expect(wrap).toHaveBeenCalledTimes(1);
  const wrapped = notes[0]![1] as Wrapped;
  expect(wrapped.outcome).toBe(wrap.mock.calls[0]![0]);
  return wrapped.outcome;
}

const boom = new RangeError('boom');
const EMPTY_RESULT = { name: 'EmptyResult', message: 'agent completed without a value' };
/** A plain object that is also an async iterable: a stream to a plain agent, a value to `syncAgent`. */
const streamLike = () => ({
  rows: 1,
  async *[Symbol.asyncIterator]() {
    yield 'streamed';
  },
});

describe('runAttempt', () => {
  it.each<[string, (ctx: TaskContext) => unknown, AttemptOutcome]>([
    // a plain value
    ['a plain value as the output', () => ({ rows: 3 }), { ok: true, output: { rows: 3 } }],
    ['no output for undefined', () => undefined, { ok: true, output: undefined }],
    ['an array as a value, not a stream', () => [1, 2, 3], { ok: true, output: [1, 2, 3] }],
    ['null as the output', () => null, { ok: true, output: null }],
    // a promise
    ['the value a promise resolves to', () => Promise.resolve('resolved'), { ok: true, output: 'resolved' }],
    ['the value of an async function', async () => ({ n: 1 }), { ok: true, output: { n: 1 } }],
    ['a failure for a rejected promise', () => Promise.reject(boom), { ok: false, error: boom }],
    [
      'a failure for a thenable whose then throws',
      () => ({
        then() {
          throw boom;
        },
      }),
      { ok: false, error: boom },
    ],
    ['the resolved value of a promiseAgent', promiseAgent(async () => 'p'), { ok: true, output: 'p' }],
    // an Observable
    ['the last value of an Observable', () => of(1, 2, 3), { ok: true, output: 3 }],
    ['no output and the EmptyResult warning for an empty Observable', () => EMPTY, { ok: true, output: undefined, warning: EMPTY_RESULT }],
    [
      'a failure for an Observable that errors after a value',
      () =>
        concat(
          of(1),
          throwError(() => boom),
        ),
      { ok: false, error: boom },
    ],
    ['the last value of an observableAgent', observableAgent(() => of('a', 'b')), { ok: true, output: 'b' }],
    // an async iterable
    [
      'the last value of an async iterable',
      () =>
        (async function* () {
          yield 'x';
          yield 'y';
        })(),
      { ok: true, output: 'y' },
    ],
    [
      'a failure for an async iterable that throws',
      () =>
        (async function* () {
          yield 'x';
          throw boom;
        })(),
      { ok: false, error: boom },
    ],
    [
      'the EmptyResult warning for an empty async iterable',
      () => (async function* () {})(),
      { ok: true, output: undefined, warning: EMPTY_RESULT },
    ],
    ['the last value of an object that is an async iterable', streamLike, { ok: true, output: 'streamed' }],
    // a synchronous throw
    [
      'a failure for a synchronous throw',
      () => {
        throw boom;
      },
      { ok: false, error: boom },
    ],
    [
      'a failure for a thrown non-Error',
      () => {
        throw 'text';
      },
      { ok: false, error: 'text' },
    ],
    // syncAgent: the value as it is, never unwrapped
    ['an array as it is from a syncAgent', syncAgent(() => [1, 2, 3]), { ok: true, output: [1, 2, 3] }],
    ['a stream-like object as a plain value from a syncAgent', syncAgent(streamLike), { ok: true, output: { rows: 1 } }],
    [
      'a failure for a throw in a syncAgent',
      syncAgent(() => {
        throw boom;
      }),
      { ok: false, error: boom },
    ],
  ])('should give %s', async (_, agent, expected) => {
    const outcome = await outcomeOf(agent);
    expect(outcome).toEqual(expected);
    if (!expected.ok && !outcome.ok) {
      expect(outcome.error).toBe(expected.error);
      expect(outcome.timedOutAfterMs).toBeUndefined();
    }
    if (expected.ok && outcome.ok && expected.warning === undefined) expect(outcome.warning).toBeUndefined();
    if (outcome.ok) expect(outcome.spawned).toBeUndefined();
  });

  it.each<[string, (ctx: TaskContext) => unknown, string]>([
    ['a Date', () => ({ at: new Date(0) }), '$.at is a Date'],
    ['a BigInt', () => ({ n: 1n }), '$.n is a BigInt'],
    ['a function', () => ({ f: () => 1 }), '$.f is a function'],
    ['NaN', () => [1, Number.NaN], '$[1] is NaN'],
    [
      'a cycle',
      () => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return o;
      },
      '$.self is a circular reference',
    ],
    ['a class instance resolved by a promise', () => Promise.resolve(new Map()), '$ is a Map'],
    ['the last value of an Observable', () => of({ ok: 1 }, { bad: Symbol('s') }), '$.bad is a symbol'],
    ['the value of a syncAgent', syncAgent(() => ({ at: new Date(0) })), '$.at is a Date'],
    ['an Error', () => new Error('x'), '$ is an Error (only plain objects, arrays and primitives are JSON-safe)'],
    ['an instance of an anonymous class', () => new (class {})(), '$ is an instance of an anonymous class (only plain objects'],
    [
      'a sync generator',
      () =>
        (function* rows() {
          yield 1;
        })(),
      '$ is a Generator (only plain objects, arrays and primitives are JSON-safe; a generator is not read: return an array, e.g. [...generator])',
    ],
    [
      'an Observable resolved by an async agent',
      async () => of(1),
      '$ is an Observable (only plain objects, arrays and primitives are JSON-safe; an Observable a promise resolves to, or syncAgent returns, is not read: return the Observable itself from a plain agent, or await firstValueFrom(it))',
    ],
  ])('should fail with OutputNotJsonSafeError for an output holding %s', async (_, agent, problem) => {
    const outcome = await outcomeOf(agent);
    expect(outcome.ok).toBe(false);
    const { error } = outcome as Extract<AttemptOutcome, { ok: false }>;
    expect(error).toBeInstanceOf(OutputNotJsonSafeError);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).name).toBe('OutputNotJsonSafeError');
    expect((error as Error).message).toContain(`output of task "t" is not JSON-safe: ${problem}`);
  });

  it('should emit a frozen copy of the output, which the agent cannot change afterwards', async () => {
    const output = { rows: [1] };
    const outcome = await outcomeOf(() => output);
    output.rows.push(2);
    expect(outcome).toEqual({ ok: true, output: { rows: [1] } });
    expect(Object.isFrozen((outcome as { output: unknown }).output)).toBe(true);
  });

  it('should emit the outcome synchronously on subscribe when the agent returns a value', () => {
    const { host } = hostFor(() => 'now');
    const seen: string[] = [];
    runAttempt(host, asyncScheduler).subscribe({ next: () => seen.push('next'), complete: () => seen.push('complete') });
    expect(seen).toEqual(['next', 'complete']);
  });

  it("should give the agent the host's task data", async () => {
    let seen: Omit<TaskContext, 'signal' | 'spawn' | 'upstream'> | undefined;
    await outcomeOf((ctx) => {
      seen = { id: ctx.id, runId: ctx.runId, dagId: ctx.dagId, attempt: ctx.attempt, input: ctx.input, idempotencyKey: ctx.idempotencyKey };
      return 1;
    });
    expect(seen).toEqual({ id: 't', runId: 'r', dagId: 'd', attempt: 2, input: { topic: 'rx' }, idempotencyKey: 'r/t' });
  });

  it("should tell the agent its time limit: the host's, or the task's when the host enforces a later one", () => {
    const limits: (number | undefined)[] = [];
    const agent = (ctx: TaskContext) => void limits.push(ctx.timeoutMs, JSON.parse(JSON.stringify(ctx)).timeoutMs);
    for (const options of [{}, { timeoutMs: 500 }, { timeoutMs: 1500, taskTimeoutMs: 500 }])
      runAttempt(hostFor(agent, options).host, asyncScheduler).subscribe();
    expect(limits).toEqual([undefined, undefined, 500, 500, 500, 500]);
  });

  it("should fire the agent's signal with the reason given to stop, and with TaskCancelledError without one", () => {
    const reasons: unknown[] = [];
    for (const reason of [new Error('told to stop'), undefined]) {
      const attempt = hostFor((ctx) => new Promise(() => ctx.signal.addEventListener('abort', () => reasons.push(ctx.signal.reason))));
      runAttempt(attempt.host, asyncScheduler).subscribe();
      attempt.stop(reason);
    }
    expect(reasons).toEqual([new Error('told to stop'), expect.objectContaining({ name: 'TaskCancelledError' })]);
  });

  describe('upstream', () => {
    it('should never build upstream for an agent that does not read it', async () => {
      const { host, upstream } = hostFor(() => 1, { upstream: { a: 1 } });
      await notificationsOf(runAttempt(host, asyncScheduler));
      expect(upstream).not.toHaveBeenCalled();
    });

    it('should build upstream once, on first read, however often it is read', async () => {
      const reads: unknown[] = [];
      const { host, upstream } = hostFor(
        (ctx) => {
          expect(upstream).not.toHaveBeenCalled();
          reads.push(ctx.upstream, ctx.upstream);
          return Promise.resolve().then(() => reads.push(ctx.upstream));
        },
        { upstream: { a: { rows: 3 } } },
      );
      await notificationsOf(runAttempt(host, asyncScheduler));
      expect(upstream).toHaveBeenCalledTimes(1);
      expect(reads).toEqual([{ a: { rows: 3 } }, { a: { rows: 3 } }, { a: { rows: 3 } }]);
      expect(reads[1]).toBe(reads[0]);
      expect(reads[2]).toBe(reads[0]);
    });
  });

  describe('spawn', () => {
    it('should return the specs given to ctx.spawn with the success, in order, as a frozen copy', async () => {
      const first: TaskSpec = { id: 's1', agent: 'x', input: { n: 1 } };
      const outcome = await outcomeOf((ctx) => {
        ctx.spawn([first]);
        ctx.spawn([{ id: 's2', agent: 'x', deps: ['s1'] }, { id: 's3' }]);
        return 'planned';
      });
      (first.input as { n: number }).n = 99; // the agent keeps using its spec
      expect(outcome).toEqual({
        ok: true,
        output: 'planned',
        spawned: [{ id: 's1', agent: 'x', input: { n: 1 } }, { id: 's2', agent: 'x', deps: ['s1'] }, { id: 's3' }],
      });
      expect(Object.isFrozen((outcome as { spawned: unknown }).spawned)).toBe(true);
    });

    it('should spawn the specs as they were when spawn() was called, not as the agent changed them before it returned', async () => {
      const specs: TaskSpec[] = [{ id: 's1', agent: 'x', input: { n: 1 } }];
      const outcome = await outcomeOf((ctx) => {
        ctx.spawn(specs);
        // the agent goes on with its objects: the same spec, changed
        Object.assign(specs[0]!, { id: 'changed', deps: ['nope'] });
        specs.push({ id: 'pushed' });
        return 'planned';
      });
      expect(outcome).toEqual({ ok: true, output: 'planned', spawned: [{ id: 's1', agent: 'x', input: { n: 1 } }] });
    });

    it('should return spawned specs with a success without output and with a promise', async () => {
      expect(
        await outcomeOf((ctx) => {
          ctx.spawn([{ id: 's' }]);
        }),
      ).toEqual({ ok: true, output: undefined, spawned: [{ id: 's' }] });
      expect(
        await outcomeOf(async (ctx) => {
          await Promise.resolve();
          ctx.spawn([{ id: 'late' }]); // before the promise settles: still part of this attempt
          return 2;
        }),
      ).toEqual({ ok: true, output: 2, spawned: [{ id: 'late' }] });
    });

    it('should keep the specs of a streaming agent that completes without a value (a success with the EmptyResult warning)', async () => {
      const viaObservable = await outcomeOf((ctx) =>
        defer(() => {
          ctx.spawn([{ id: 'found-1' }]);
          return EMPTY;
        }),
      );
      expect(viaObservable).toEqual({ ok: true, output: undefined, warning: EMPTY_RESULT, spawned: [{ id: 'found-1' }] });
      const viaGenerator = await outcomeOf(async function* (ctx) {
        ctx.spawn([{ id: 'found-2' }]);
        yield* [];
      });
      expect(viaGenerator).toEqual({ ok: true, output: undefined, warning: EMPTY_RESULT, spawned: [{ id: 'found-2' }] });
    });

    it('should return no spawned specs for an empty spawn', async () => {
      const outcome = await outcomeOf((ctx) => {
        ctx.spawn([]);
        return 1;
      });
      expect(outcome).toEqual({ ok: true, output: 1 });
      expect((outcome as { spawned?: unknown }).spawned).toBeUndefined();
    });

    it('should drop the specs of an attempt that fails', async () => {
      const outcome = await outcomeOf((ctx) => {
        ctx.spawn([{ id: 's' }]);
        return Promise.reject(boom);
      });
      expect(outcome).toEqual({ ok: false, error: boom });
      expect(outcome).not.toHaveProperty('spawned');
    });

    it('should fail the attempt when spawn is given something other than an array', async () => {
      const outcome = await outcomeOf((ctx) => {
        ctx.spawn({ id: 's' } as unknown as TaskSpec[]);
        return 1;
      });
      expect(outcome.ok).toBe(false);
      const { error } = outcome as Extract<AttemptOutcome, { ok: false }>;
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe('spawn() of task "t" expects an array of task specs');
    });

    it('should fail the attempt with a DagValidationError when a spawned spec is not JSON-safe', async () => {
      const outcome = await outcomeOf((ctx) => {
        ctx.spawn([{ id: 's', input: { at: new Date(0) } }]);
        return 1;
      });
      expect(outcome.ok).toBe(false);
      const { error } = outcome as Extract<AttemptOutcome, { ok: false }>;
      expect(error).toBeInstanceOf(DagValidationError);
      expect((error as Error).message).toContain('spawned tasks are not JSON-safe: spawn[0].input.at is a Date');
    });

    it('should fail the attempt saying its spawned tasks are too long for an event, not that they are not JSON-safe', async () => {
      const part = 'a'.repeat(90 * 1024 * 1024); // six of them: more than an event carries
      const outcome = await outcomeOf((ctx) => {
        ctx.spawn([{ id: 's', input: { parts: Array.from({ length: 6 }, () => part) } }]);
        return 1;
      });
      const { error } = outcome as Extract<AttemptOutcome, { ok: false }>;
      expect(error).toBeInstanceOf(DagValidationError);
      expect((error as Error).message).toMatch(
        /spawned tasks are too long for an event: spawn is \d+ bytes long as JSON text \(UTF-8\), more than an event carries/,
      );
    });

    it('should fail the attempt when its spawn calls together are too long for an event, each short enough', async () => {
      const part = 'a'.repeat(90 * 1024 * 1024);
      const outcome = await outcomeOf((ctx) => {
        ctx.spawn([{ id: 's1', input: { parts: Array.from({ length: 3 }, () => part) } }]);
        ctx.spawn([{ id: 's2', input: { parts: Array.from({ length: 3 }, () => part) } }]);
        return 1;
      });
      expect(outcome.ok).toBe(false);
      const { error } = outcome as Extract<AttemptOutcome, { ok: false }>;
      expect((error as Error).message).toMatch(/spawned tasks are too long for an event: spawn is \d+ bytes long as JSON text/);
    });

    it('should name a spec that is not JSON-safe at its place among the tasks of every spawn call of the attempt', async () => {
      const outcome = await outcomeOf((ctx) => {
        ctx.spawn([{ id: 'a1' }, { id: 'a2' }]);
        ctx.spawn([{ id: 'b1', input: { at: new Date(0) } }]);
        return 1;
      });
      const { error } = outcome as Extract<AttemptOutcome, { ok: false }>;
      expect((error as Error).message).toContain('spawned tasks are not JSON-safe: spawn[2].input.at is a Date');
    });
  });

  describe('a remote attempt its worker timed out', () => {
    // as a remote agent rejects with a worker's outcome: the error named as the worker's was, and the worker
    const remoteError = (name: string) => Object.assign(new Error('task "t" timed out after 5 ms'), { name, worker: 'w1' });
    const settled = async (error: Error, timeoutMs: number | undefined) => {
      const { host } = hostFor(() => Promise.reject(error), { timeoutMs });
      return ((await notificationsOf(runAttempt(host, asyncScheduler)))[0]![1] as Wrapped).outcome;
    };

    it("should be timed out at the task's limit, as if this scheduler had timed it out", async () => {
      const error = remoteError('TaskTimeoutError');
      expect(await settled(error, 60_000)).toEqual({ ok: false, error, timedOutAfterMs: 60_000 });
    });

    it('should be a plain failure without a limit here, of another error, or thrown by a local agent', async () => {
      const timedOutAfter = async (error: Error, timeoutMs: number | undefined) =>
        (await settled(error, timeoutMs)) as { readonly ok: boolean; readonly timedOutAfterMs?: number };
      expect(await timedOutAfter(remoteError('TaskTimeoutError'), undefined)).toMatchObject({ ok: false, timedOutAfterMs: undefined });
      expect(await timedOutAfter(remoteError('RangeError'), 60_000)).toMatchObject({ ok: false, timedOutAfterMs: undefined });
      expect(await timedOutAfter(new TaskTimeoutError('t', 5), 60_000)).toMatchObject({ ok: false, timedOutAfterMs: undefined });
    });
  });

  describe('in virtual time', () => {
    const timedOut = (timeoutMs: number) => ({
      taskId: 't',
      outcome: { ok: false, error: expect.any(TaskTimeoutError), timedOutAfterMs: timeoutMs },
    });

    it('should fail with TaskTimeoutError when the limit passes, aborting the signal with it and unsubscribing the agent', () => {
      let signal: AbortSignal | undefined;
      let agent$: Cold | undefined;
      const probe = hostFor(
        (ctx) => {
          signal = ctx.signal;
          expect(signal.aborted).toBe(false);
          return agent$;
        },
        { timeoutMs: 5 },
      );
      inVirtualTime(({ cold, expectObservable, expectSubscriptions }, ts) => {
        agent$ = cold('----------(v|)');
        expectObservable(runAttempt(probe.host, ts)).toBe('-----(o|)', { o: timedOut(5) });
        expectSubscriptions(agent$.subscriptions).toBe('^----!');
      });
      expect(probe.wrap).toHaveBeenCalledTimes(1);
      const outcome = probe.wrap.mock.calls[0]![0] as Extract<AttemptOutcome, { ok: false }>;
      expect(outcome.error).toMatchObject({
        name: 'TaskTimeoutError',
        taskId: 't',
        timeoutMs: 5,
        message: 'task "t" timed out after 5 ms',
      });
      expect(signal!.aborted).toBe(true);
      expect(signal!.reason).toBe(outcome.error);
    });

    it("should ignore what the agent's own teardown throws when a timeout or a cancel unsubscribes it", () => {
      const teardowns: string[] = [];
      // an Observable whose teardown throws, as a client closing a socket already closed may
      const throwingTeardown = (id: string) => () =>
        new Observable<string>(() => () => {
          teardowns.push(id);
          throw new Error(`${id}: socket already closed`);
        });
      const timedOutProbe = hostFor(throwingTeardown('timed out'), { timeoutMs: 5 });
      const cancelledProbe = hostFor(throwingTeardown('cancelled'), { timeoutMs: 5 });
      inVirtualTime(({ expectObservable }, ts) => {
        expectObservable(runAttempt(timedOutProbe.host, ts)).toBe('-----(o|)', { o: timedOut(5) });
        expectObservable(runAttempt(cancelledProbe.host, ts), '^--!').toBe('---');
      });
      expect(teardowns).toEqual(['cancelled', 'timed out']);
    });

    it("should emit a timeout's error with the detail the agent's abort listener added to it", () => {
      const probe = hostFor(
        (ctx) => {
          ctx.signal.addEventListener('abort', () => {
            const reason: unknown = ctx.signal.reason;
            if (reason instanceof TaskTimeoutError) reason.addDetail('last line: e2e start');
          });
          return NEVER;
        },
        { timeoutMs: 5 },
      );
      // the message as the outcome goes out: what the task.failed event is built from
      let messageWhenEmitted: string | undefined;
      probe.wrap.mockImplementationOnce((outcome) => {
        messageWhenEmitted = outcome.ok ? undefined : (outcome.error as Error).message;
        return { taskId: 't', outcome };
      });
      inVirtualTime(({ expectObservable }, ts) => {
        expectObservable(runAttempt(probe.host, ts)).toBe('-----(o|)', { o: timedOut(5) });
      });
      expect(messageWhenEmitted).toBe('task "t" timed out after 5 ms\nlast line: e2e start');
      expect(probe.wrap.mock.calls[0]![0]).toMatchObject({ error: { name: 'TaskTimeoutError', timeoutMs: 5 } });
    });

    it('should time out an agent whose promise never settles, and ignore it settling afterwards', async () => {
      let resolve: (value: unknown) => void = () => undefined;
      const probe = hostFor(() => new Promise((r) => (resolve = r)), { timeoutMs: 7 });
      inVirtualTime(({ expectObservable }, ts) => {
        expectObservable(runAttempt(probe.host, ts)).toBe('-------(o|)', { o: timedOut(7) });
      });
      resolve('too late');
      await new Promise((r) => setImmediate(r));
      expect(probe.wrap).toHaveBeenCalledTimes(1);
    });

    it('should emit exactly one outcome when the agent ends in the frame of its time limit', () => {
      let agent$: Cold | undefined;
      const probe = hostFor(() => agent$, { timeoutMs: 5 });
      inVirtualTime(({ cold, expectObservable }, ts) => {
        agent$ = cold('-----(v|)');
        expectObservable(runAttempt(probe.host, ts)).toBe('-----(o|)', { o: { taskId: 't', outcome: expect.anything() } });
      });
      expect(probe.wrap).toHaveBeenCalledTimes(1);
    });

    it('should succeed before the limit and cancel the timer', () => {
      let signal: AbortSignal | undefined;
      let pendingAfterOutcome = -1;
      let agent$: Cold | undefined;
      const probe = hostFor(
        (ctx) => {
          signal = ctx.signal;
          return agent$;
        },
        { timeoutMs: 5 },
      );
      inVirtualTime(({ cold, expectObservable, expectSubscriptions }, ts) => {
        const library = tagLibraryWork(ts);
        agent$ = cold('-a-b|');
        expectObservable(runAttempt(probe.host, library.scheduler)).toBe('----(o|)', {
          o: { taskId: 't', outcome: { ok: true, output: 'b' } },
        });
        expectSubscriptions(agent$.subscriptions).toBe('^---!');
        // in the frame the limit would pass, before its timer (scheduled later) would run
        ts.schedule(() => (pendingAfterOutcome = library.pendingActions()), 5);
      });
      expect(pendingAfterOutcome).toBe(0);
      expect(signal!.aborted).toBe(false);
    });

    it('should emit nothing when unsubscribed (cancel), abort the signal with TaskCancelledError and unsubscribe the agent', () => {
      let signal: AbortSignal | undefined;
      let pendingAfterCancel = -1;
      let agent$: Cold | undefined;
      const probe = hostFor(
        (ctx) => {
          signal = ctx.signal;
          return agent$;
        },
        { timeoutMs: 5 },
      );
      inVirtualTime(({ cold, expectObservable, expectSubscriptions }, ts) => {
        const library = tagLibraryWork(ts);
        agent$ = cold('----------(v|)');
        expectObservable(runAttempt(probe.host, library.scheduler), '^--!').toBe('---');
        expectSubscriptions(agent$.subscriptions).toBe('^--!');
        // the time limit's timer went with the attempt
        ts.schedule(() => (pendingAfterCancel = library.pendingActions()), 4);
      });
      expect(pendingAfterCancel).toBe(0);
      expect(probe.wrap).not.toHaveBeenCalled();
      expect(signal!.aborted).toBe(true);
      expect(signal!.reason).toBeInstanceOf(TaskCancelledError);
      expect(signal!.reason).toMatchObject({ name: 'TaskCancelledError', taskId: 't', message: 'task "t" was cancelled' });
    });

    it('should hand an agent that reads its signal only after a timeout or a cancel a signal that has fired, and after a success one that has not', () => {
      const late: Record<string, AbortSignal> = {};
      const contexts: Record<string, TaskContext> = {};
      const keep = (name: string, timeoutMs?: number) =>
        hostFor(
          (ctx) => {
            contexts[name] = ctx; // the agent awaits something, and reads `signal` only later
            return name === 'succeeds' ? 'ok' : new Promise(() => undefined);
          },
          timeoutMs === undefined ? {} : { timeoutMs },
        );
      const probes = { timedOut: keep('timedOut', 5), cancelled: keep('cancelled'), succeeds: keep('succeeds', 5) };
      inVirtualTime(({ expectObservable }, ts) => {
        expectObservable(runAttempt(probes.timedOut.host, ts)).toBe('-----(o|)', { o: timedOut(5) });
        expectObservable(runAttempt(probes.cancelled.host, ts), '^--!').toBe('---');
        runAttempt(probes.succeeds.host, ts).subscribe();
        ts.schedule(() => {
          for (const name of Object.keys(contexts)) late[name] = contexts[name]!.signal;
        }, 8);
      });
      expect(late['timedOut']!.aborted).toBe(true);
      expect(late['timedOut']!.reason).toMatchObject({ name: 'TaskTimeoutError', timeoutMs: 5 });
      expect(late['timedOut']!.reason).toBe((probes.timedOut.wrap.mock.calls[0]![0] as Extract<AttemptOutcome, { ok: false }>).error);
      expect(late['cancelled']!.aborted).toBe(true);
      expect(late['cancelled']!.reason).toMatchObject({ name: 'TaskCancelledError', taskId: 't' });
      expect(late['succeeds']!.aborted).toBe(false);
    });

    it('should emit nothing for a promise agent cancelled before it settles', async () => {
      let resolve: (value: unknown) => void = () => undefined;
      let signal: AbortSignal | undefined;
      const probe = hostFor((ctx) => {
        signal = ctx.signal;
        return new Promise((r) => (resolve = r));
      });
      inVirtualTime(({ expectObservable }, ts) => {
        expectObservable(runAttempt(probe.host, ts), '^-!').toBe('--');
      });
      resolve('after cancel');
      await new Promise((r) => setImmediate(r));
      expect(probe.wrap).not.toHaveBeenCalled();
      expect(signal!.reason).toBeInstanceOf(TaskCancelledError);
    });

    it('should complete without an outcome when stopped through bindStop, ending the agent and its timer', () => {
      let signal: AbortSignal | undefined;
      let pendingAfterStop = -1;
      let agent$: Cold | undefined;
      const probe = hostFor(
        (ctx) => {
          signal = ctx.signal;
          return agent$;
        },
        { timeoutMs: 8 },
      );
      inVirtualTime(({ cold, expectObservable, expectSubscriptions }, ts) => {
        const library = tagLibraryWork(ts);
        agent$ = cold('----------(v|)');
        expectObservable(runAttempt(probe.host, library.scheduler)).toBe('---|');
        expectSubscriptions(agent$.subscriptions).toBe('^--!');
        ts.schedule(() => probe.stop(), 3);
        ts.schedule(() => (pendingAfterStop = library.pendingActions()), 4);
      });
      expect(pendingAfterStop).toBe(0);
      expect(probe.wrap).not.toHaveBeenCalled();
      expect(signal!.reason).toBeInstanceOf(TaskCancelledError);
    });

    it('should call the agent on each subscription, not before (cold)', () => {
      const probe = hostFor(() => NEVER);
      inVirtualTime((_, ts) => {
        const attempt$ = runAttempt(probe.host, ts);
        expect(probe.call).not.toHaveBeenCalled();
        attempt$.subscribe().unsubscribe();
        expect(probe.call).toHaveBeenCalledTimes(1);
      });
    });
  });
});
