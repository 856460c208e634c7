import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asapScheduler, lastValueFrom, type SchedulerLike, toArray } from 'rxjs';
import {
  createScheduler,
  fileJournal,
  type DagEvent,
  defineAgent,
  defineDag,
  runDag,
  type TaskContext,
  type TaskFailedEvent,
} from '../../src';
import { scheduling, testScheduler, timeline } from '../helpers';

// Agent instances whose `create` or `dispose` fail, and instances made by an async `create`:
// a failing instance costs its attempt, never another run, and never the process.

const base = { healthCheckIntervalMs: 0 } as const;

/** Resolves after the promise callbacks queued so far (and those they queue) have run. */
const settleMicrotasks = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('an agent whose create throws', () => {
  it('should fail the attempt, retry it on a new instance and leave other runs alone', () => {
    const scheduler = testScheduler();
    const events: DagEvent[] = [];
    const made: string[] = [];
    let creates = 0;
    scheduler.run(({ cold }) => {
      const flaky = defineAgent({
        capacity: 1,
        idleMs: 0,
        create: () => {
          if (++creates === 1) throw new Error('cannot connect');
          made.push(`${scheduler.now()} instance ${creates}`);
          return { n: creates };
        },
        run: (_task, instance) => cold('--(x|)', { x: `ok on ${instance.n}` }),
      });
      const shared = createScheduler({ ...base, scheduler, agents: { flaky, w: () => cold('-----(x|)', { x: 1 }) } });
      shared.submit(defineDag({ id: 'other', tasks: [{ id: 'long', agent: 'w' }] }), { runId: 'other' }).subscribe((e) => events.push(e));
      shared
        .submit(defineDag({ id: 'c', tasks: [{ id: 'a', agent: 'flaky', retry: { attempts: 3, backoffMs: 1 } }] }), { runId: 'c' })
        .subscribe((e) => events.push(e));
    });
    expect(
      timeline(
        events.filter((e) => e.runId === 'c'),
        scheduling,
      ),
    ).toEqual([
      '0 started:a',
      '0 failed:a',
      '0 available:flaky', // the slot the failed create held is free again
      '1 retrying:a#2',
      '1 started:a#2',
      '3 completed:a#2',
      '3 available:flaky',
      '3 done:succeeded',
    ]);
    const failed = events.find((e): e is TaskFailedEvent => e.type === 'task.failed');
    expect(failed).toMatchObject({ error: { name: 'Error', message: 'cannot connect' }, severity: 'error', willRetry: true });
    expect(made).toEqual(['1 instance 2']);
    expect(
      timeline(
        events.filter((e) => e.runId === 'other'),
        scheduling,
      ),
    ).toEqual(['0 started:long', '5 completed:long', '5 done:succeeded']);
  });

  it('should fail the task once its retries are spent, with dag.completed last and once', () => {
    const scheduler = testScheduler();
    const events: DagEvent[] = [];
    const errors: unknown[] = [];
    scheduler.run(() => {
      const broken = defineAgent({
        capacity: 1,
        create: (): { n: number } => {
          throw new Error('cannot connect');
        },
        run: () => 'never',
      });
      const dag = defineDag({
        id: 'c',
        tasks: [
          { id: 'a', agent: 'broken', retry: { attempts: 2, backoffMs: 3 } },
          { id: 'b', agent: 'broken' },
        ],
      });
      runDag(dag, { ...base, scheduler, runId: 'c', agents: { broken } }).subscribe({
        next: (e) => events.push(e),
        error: (e) => errors.push(e),
      });
    });
    expect(errors).toEqual([]);
    expect(timeline(events, (e) => e.type !== 'task.ready' && e.type !== 'dag.created' && e.type !== 'agent.available')).toEqual([
      '0 started:a',
      '0 failed:a',
      '0 started:b',
      '0 failed:b',
      '3 retrying:a#2',
      '3 started:a#2',
      '3 failed:a#2',
      '3 done:failed',
    ]);
    expect(events.filter((e) => e.type === 'dag.completed')).toHaveLength(1);
  });

  it('should cancel the run when create throws a critical error, like run would', () => {
    const scheduler = testScheduler();
    const events: DagEvent[] = [];
    scheduler.run(({ cold }) => {
      const locked = defineAgent({
        create: () => {
          throw Object.assign(new Error('credentials revoked'), { severity: 'critical' });
        },
        run: () => 'never',
      });
      const dag = defineDag({
        id: 'c',
        tasks: [
          { id: 'a', agent: 'locked' },
          { id: 'slow', agent: 'w' },
        ],
      });
      runDag(dag, { ...base, scheduler, runId: 'c', agents: { locked, w: () => cold('-----(x|)') } }).subscribe((e) => events.push(e));
    });
    expect(timeline(events, scheduling)).toEqual(['0 started:a', '0 started:slow', '0 failed:a', '0 cancelled:slow', '0 done:failed']);
  });
});

describe('an agent whose create throws, on a durable scheduler', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rxdag-create-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('should journal both runs to their end, none left interrupted', async () => {
    const broken = defineAgent({
      capacity: 1,
      create: (): object => {
        throw new Error('cannot connect');
      },
      run: () => 'never',
    });
    const journal = fileJournal(dir, { sync: 'none' });
    const shared = createScheduler({
      ...base,
      journal,
      agents: { broken, w: () => new Promise((resolve) => setTimeout(() => resolve(1), 5)) },
    });
    const runs = [
      lastValueFrom(shared.submit(defineDag({ id: 'other', tasks: [{ id: 'long', agent: 'w' }] }), { runId: 'other' })),
      lastValueFrom(shared.submit(defineDag({ id: 'c', tasks: [{ id: 'a', agent: 'broken', retry: { attempts: 2 } }] }), { runId: 'c' })),
    ];
    expect(await Promise.all(runs)).toMatchObject([
      { type: 'dag.completed', outcome: 'succeeded' },
      { type: 'dag.completed', outcome: 'failed' },
    ]);
    await shared.shutdown();
    const statuses = Object.fromEntries((await journal.runs()).map((run) => [run.runId, run.status]));
    expect(statuses).toEqual({ other: 'succeeded', c: 'failed' });
  });
});

/** Two attempts of agent `pooled`, the second after `wait` (agent `w`): its instance is idle between them. */
const idleBetween = defineDag({
  id: 'd',
  tasks: [
    { id: 'a', agent: 'pooled' },
    { id: 'wait', agent: 'w' },
    { id: 'b', agent: 'pooled', deps: ['wait'] },
  ],
});

describe('an idle instance in virtual time', () => {
  it.each<[string, (test: ReturnType<typeof testScheduler>) => SchedulerLike]>([
    ['the test scheduler', (test) => test],
    ['asapScheduler inside its run()', () => asapScheduler],
    ['an application’s own scheduler on its clock', (test) => ({ now: () => test.now(), schedule: test.schedule.bind(test) })],
  ])('should be disposed idleMs after its last attempt on %s', (_, pick) => {
    const test = testScheduler();
    const disposed: number[] = [];
    test.run(({ cold }) => {
      const pooled = defineAgent({
        capacity: 1,
        idleMs: 2,
        create: () => ({}),
        dispose: () => void disposed.push(test.now()),
        run: () => cold('-(x|)'),
      });
      runDag(idleBetween, { ...base, scheduler: pick(test), runId: 'd', agents: { pooled, w: () => cold('-----(x|)') } }).subscribe();
    });
    // a's instance idle from 1, disposed at 3; b's, made at 5, disposed when its run ends at 6
    expect(disposed).toEqual([3, 6]);
  });
});

describe('an agent whose dispose fails', () => {
  const throwingDispose = () => {
    throw new Error('dispose boom');
  };

  it('should ignore a dispose that throws when an idle instance is disposed mid-run', () => {
    const scheduler = testScheduler();
    const events: DagEvent[] = [];
    const disposed: number[] = [];
    scheduler.run(({ cold }) => {
      const pooled = defineAgent({
        capacity: 1,
        idleMs: 2,
        create: () => ({}),
        dispose: () => {
          disposed.push(scheduler.now());
          throwingDispose();
        },
        run: () => cold('-(x|)'),
      });
      runDag(idleBetween, { ...base, scheduler, runId: 'd', agents: { pooled, w: () => cold('-----(x|)') } }).subscribe((e) =>
        events.push(e),
      );
    });
    // a's instance is idle from 1 and disposed at 3 (the throw ignored); b gets a new one at 5
    expect(disposed).toEqual([3, 6]);
    expect(timeline(events, scheduling)).toEqual([
      '0 started:wait',
      '0 started:a',
      '1 completed:a',
      '1 available:pooled',
      '5 completed:wait',
      '5 started:b',
      '6 completed:b',
      '6 available:pooled',
      '6 done:succeeded',
    ]);
  });

  it('should ignore a dispose that throws when the run ends', async () => {
    const pooled = defineAgent({ capacity: 1, idleMs: 0, create: () => ({}), dispose: throwingDispose, run: () => 1 });
    const events = await lastValueFrom(
      runDag(defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'pooled' }] }), { ...base, agents: { pooled } }).pipe(toArray()),
    );
    expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
  });

  it('should resolve shutdown only once a dispose its idle instance started has settled', async () => {
    let disposed = false;
    const dispose = () => new Promise<void>((resolve) => setTimeout(() => ((disposed = true), resolve()), 300));
    const pooled = defineAgent({ capacity: 1, idleMs: 10, create: () => ({}), dispose, run: () => 1 });
    const shared = createScheduler({ ...base, agents: { pooled } });
    await lastValueFrom(shared.submit(defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'pooled' }] })));
    await new Promise((resolve) => setTimeout(resolve, 100)); // idle: its dispose is under way
    await shared.shutdown();
    expect(disposed).toBe(true);
  });

  it('should ignore a dispose that throws at shutdown', async () => {
    const pooled = defineAgent({ capacity: 1, idleMs: 0, create: () => ({}), dispose: throwingDispose, run: () => 1 });
    const shared = createScheduler({ ...base, agents: { pooled } });
    await lastValueFrom(shared.submit(defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'pooled' }] })));
    await expect(shared.shutdown()).resolves.toBeUndefined();
  });

  it('should handle the rejection of an async dispose', async () => {
    const scheduler = testScheduler();
    const rejectionHandled: boolean[] = [];
    scheduler.run(({ cold }) => {
      const pooled = defineAgent({
        capacity: 1,
        idleMs: 2,
        create: () => ({}),
        // a thenable shows whether the pool gives it a rejection handler (a real promise rejected
        // without one is an unhandled rejection, which ends a Node process)
        dispose: () =>
          ({
            then(_resolve: unknown, reject?: (error: unknown) => void) {
              rejectionHandled.push(typeof reject === 'function');
              reject?.(new Error('dispose boom'));
            },
          }) as PromiseLike<void>,
        run: () => cold('-(x|)'),
      });
      runDag(defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'pooled' }] }), { ...base, scheduler, agents: { pooled } }).subscribe();
    });
    await settleMicrotasks(); // the pool may chain the thenable in a promise callback
    expect(rejectionHandled).toEqual([true]);
  });
});

describe('an agent whose create returns a promise', () => {
  /** A promise with its resolve and reject at hand. */
  function deferred<T>() {
    let resolve!: (value: T) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
    return { promise, resolve, reject };
  }

  it('should run attempts on the resolved instance, made once for the attempts that share it', async () => {
    const connection = deferred<{ prefix: string }>();
    const create = jest.fn(() => connection.promise);
    const client = defineAgent({ capacity: 2, maxInstances: 1, create, run: ({ id }, conn) => `${conn.prefix}${id}` });
    const dag = defineDag({
      id: 'async',
      tasks: [
        { id: 'a', agent: 'client' },
        { id: 'b', agent: 'client' },
      ],
    });
    const done = lastValueFrom(runDag(dag, { ...base, agents: { client } }).pipe(toArray()));
    await settleMicrotasks();
    expect(create).toHaveBeenCalledTimes(1); // b waits for the instance a's attempt is making
    connection.resolve({ prefix: '#' });
    const events = await done;
    const outputs = events.flatMap((e) => (e.type === 'task.completed' ? [`${e.taskId}=${String(e.output)}`] : []));
    expect(outputs.sort()).toEqual(['a=#a', 'b=#b']);
  });

  it('should fail the attempts waiting for a rejected create, and make a new instance for the retry', async () => {
    let creates = 0;
    const client = defineAgent({
      capacity: 1,
      create: async () => {
        if (++creates === 1) throw new Error('cannot connect');
        return { n: creates };
      },
      run: (_task, conn) => conn.n,
    });
    const dag = defineDag({ id: 'async', tasks: [{ id: 'a', agent: 'client', retry: { attempts: 2 } }] });
    const events = await lastValueFrom(runDag(dag, { ...base, agents: { client } }).pipe(toArray()));
    expect(events.find((e) => e.type === 'task.failed')).toMatchObject({ error: { message: 'cannot connect' }, willRetry: true });
    expect(events.find((e) => e.type === 'task.completed')).toMatchObject({ attempt: 2, output: 2 });
    expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
  });

  it('should count the wait for the instance in the attempt time limit, and not call run after it', () => {
    const scheduler = testScheduler();
    const events: DagEvent[] = [];
    const run = jest.fn(() => 'late');
    scheduler.run(() => {
      const stuck = defineAgent({ create: () => new Promise<object>(() => {}), run });
      const dag = defineDag({ id: 'stuck', tasks: [{ id: 'a', agent: 'stuck', timeoutMs: 5 }] });
      runDag(dag, { ...base, scheduler, runId: 'stuck', agents: { stuck } }).subscribe((e) => events.push(e));
    });
    expect(timeline(events, scheduling)).toEqual(['0 started:a', '5 timed-out:a', '5 failed:a', '5 done:failed']);
    expect(run).not.toHaveBeenCalled();
  });

  it('should give up an instance whose create outlived every attempt waiting for it, make a new one for the retry, and dispose the old one once made', async () => {
    const hung = deferred<{ n: number }>();
    let creates = 0;
    const dispose = jest.fn();
    const client = defineAgent({
      capacity: 1,
      create: () => (++creates === 1 ? hung.promise : { n: creates }),
      dispose,
      run: (_task, conn) => conn.n,
    });
    const dag = defineDag({ id: 'hung', tasks: [{ id: 'a', agent: 'client', timeoutMs: 20, retry: { attempts: 2, backoffMs: 1 } }] });
    const events = await lastValueFrom(runDag(dag, { ...base, agents: { client } }).pipe(toArray()));
    expect(events.filter((e) => e.type === 'task.timed-out' || e.type === 'task.completed').map((e) => `${e.type}#${e.attempt}`)).toEqual([
      'task.timed-out#1',
      'task.completed#2',
    ]);
    expect(events.find((e) => e.type === 'task.completed')).toMatchObject({ output: 2 });
    expect(dispose.mock.calls).toEqual([[{ n: 2 }]]); // at the run's end; the first is not made yet
    hung.resolve({ n: 1 });
    await settleMicrotasks();
    expect(dispose.mock.calls).toEqual([[{ n: 2 }], [{ n: 1 }]]);
  });

  it('should keep an instance being made while an attempt still waits for it', () => {
    const scheduler = testScheduler();
    const events: DagEvent[] = [];
    let creates = 0;
    scheduler.run(() => {
      const slow = defineAgent({
        capacity: 2,
        maxInstances: 1,
        create: () => (++creates, new Promise<object>(() => {})),
        run: () => 'never',
      });
      const dag = defineDag({
        id: 'two',
        tasks: [
          { id: 'a', agent: 'slow', timeoutMs: 5 },
          { id: 'b', agent: 'slow', timeoutMs: 10 },
          { id: 'c', agent: 'slow', deps: ['a'], when: 'all-done', timeoutMs: 2 },
        ],
      });
      runDag(dag, { ...base, scheduler, runId: 'two', agents: { slow } }).subscribe((e) => events.push(e));
    });
    // c starts while b still waits for the first instance: it waits for it too, no second create
    expect(creates).toBe(1);
    expect(timeline(events, scheduling).filter((line) => line.includes('timed-out'))).toEqual([
      '5 timed-out:a',
      '7 timed-out:c',
      '10 timed-out:b',
    ]);
  });

  it('should not call run for an attempt cancelled while its instance was made, and dispose the instance once made', async () => {
    const connection = deferred<{ id: number }>();
    const run = jest.fn(() => 1);
    const dispose = jest.fn();
    const client = defineAgent({ create: () => connection.promise, dispose, run });
    const subscription = runDag(defineDag({ id: 'c', tasks: [{ id: 'a', agent: 'client' }] }), { ...base, agents: { client } }).subscribe();
    await settleMicrotasks();
    subscription.unsubscribe(); // cancels the run, which disposes its agents' instances
    connection.resolve({ id: 7 });
    await settleMicrotasks();
    expect(run).not.toHaveBeenCalled();
    expect(dispose.mock.calls).toEqual([[{ id: 7 }]]);
  });

  it("should type run's instance as what the promise resolves to", () => {
    const typed = defineAgent({
      create: async () => ({ prefix: '#' }),
      run: ({ id }, conn) => {
        // @ts-expect-error the instance is the resolved value, not a promise
        void conn.then;
        return `${conn.prefix}${id}`;
      },
    });
    expect(typed.run({ id: 'a' } as TaskContext, { prefix: '#' })).toBe('#a');
  });
});
