import type { SchedulerLike } from 'rxjs';
import {
  AgentError,
  createScheduler,
  DagValidationError,
  defineDag,
  type DagEvent,
  defineAgent,
  runDag,
  type SchedulerOptions,
  type TaskSpec,
} from '../../src';
import { inVirtualTime, scheduling, timeline } from '../helpers';

const starts = (events: DagEvent[]) => timeline(events, scheduling).filter((line) => line.includes('started'));

/** A scheduler in virtual time that several runs share: no health checks, 10 slots unless `options` say otherwise. */
const sharedScheduler = (scheduler: SchedulerLike, options: SchedulerOptions) =>
  createScheduler({ healthCheckIntervalMs: 0, scheduler, maxConcurrency: 10, ...options });

/** Runs `tasks` in virtual time, each attempt of agent `work` taking `marble`, or as many frames as `durations` gives its task (default 1). */
function run(
  tasks: TaskSpec[],
  options: Parameters<typeof runDag>[1],
  marble: string | Readonly<Record<string, number>> = '-(x|)',
): DagEvent[] {
  const events: DagEvent[] = [];
  const marbleOf = (id: string) => (typeof marble === 'string' ? marble : `${'-'.repeat(marble[id] ?? 1)}(x|)`);
  inVirtualTime(({ cold }, scheduler) =>
    runDag(defineDag({ id: 'limited', tasks }), {
      healthCheckIntervalMs: 0,
      scheduler,
      agents: { work: ({ id }) => cold(marbleOf(id)) },
      ...options,
    }).subscribe((e) => events.push(e)),
  );
  return events;
}

describe('named limits', () => {
  it('should start no more than the rate allows in any window', () => {
    const tasks = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, agent: 'work', limits: ['api'] }));
    const events = run(tasks, { maxConcurrency: 10, limits: { api: { rate: { limit: 2, intervalMs: 10 } } } });
    expect(starts(events)).toEqual(['0 started:a', '0 started:b', '10 started:c', '10 started:d', '20 started:e']);
  });

  it('should hold a concurrency limit in units of weight', () => {
    const events = run(
      [
        { id: 'big', agent: 'work', limits: ['gpu'], weight: 4 },
        { id: 'half-1', agent: 'work', limits: ['gpu'], weight: 2 },
        { id: 'half-2', agent: 'work', limits: ['gpu'], weight: 2 },
      ],
      { maxConcurrency: 10, limits: { gpu: { concurrency: 4 } } },
      '--(x|)',
    );
    expect(starts(events)).toEqual(['0 started:big', '2 started:half-1', '2 started:half-2']);
  });

  it('should count weights against maxConcurrency and an agent capacity', () => {
    const events: DagEvent[] = [];
    inVirtualTime(({ cold }, scheduler) =>
      runDag(
        defineDag({
          id: 'weights',
          tasks: [
            { id: 'three', agent: 'work', weight: 3 },
            { id: 'two', agent: 'work', weight: 2 },
            { id: 'one', agent: 'work' },
            { id: 'llm-a', agent: 'llm', weight: 2 },
            { id: 'llm-b', agent: 'llm', weight: 2 },
          ],
        }),
        {
          healthCheckIntervalMs: 0,
          scheduler,
          maxConcurrency: 4,
          agents: { work: () => cold('--(x|)'), llm: defineAgent({ capacity: 3, run: () => cold('-(x|)') }) },
        },
      ).subscribe((e) => events.push(e)),
    );
    // `three` takes 3 of the 4 slots; `two` (2 units) heads its class and waits for room, and
    // `one`, of the same class, waits behind it (a heavy task is never starved by lighter ones);
    // the llm tasks (2 units each) never run together: their agent's capacity is 3
    expect(starts(events)).toEqual(['0 started:three', '2 started:two', '2 started:one', '4 started:llm-a', '5 started:llm-b']);
  });

  it('should never let a task waiting for one limit block tasks that do not need it', () => {
    const events = run(
      [
        { id: 'slow-1', agent: 'work', limits: ['slow'], priority: 9 },
        { id: 'slow-2', agent: 'work', limits: ['slow'], priority: 9 },
        { id: 'free', agent: 'work' },
      ],
      { maxConcurrency: 10, limits: { slow: { concurrency: 1 } } },
      '---(x|)',
    );
    expect(starts(events)).toEqual(['0 started:slow-1', '0 started:free', '3 started:slow-2']);
  });

  it('should share a limit between the runs of one scheduler', () => {
    const events: DagEvent[] = [];
    inVirtualTime(({ cold }, scheduler) => {
      const shared = sharedScheduler(scheduler, { limits: { api: { concurrency: 2 } }, agents: { work: () => cold('--(x|)') } });
      for (const name of ['one', 'two']) {
        const dag = defineDag({ id: name, tasks: ['a', 'b'].map((id) => ({ id, agent: 'work', limits: ['api'] })) });
        shared.submit(dag, { runId: name }).subscribe((e) => events.push(e));
      }
    });
    const running = new Map<number, number>();
    for (const e of events) if (e.type === 'task.started') running.set(e.at, (running.get(e.at) ?? 0) + 1);
    expect([...running]).toEqual([
      [0, 2],
      [2, 2],
    ]);
  });

  describe('a heavy task among lighter ones arriving without end (none starves)', () => {
    /**
     * Start times of `heavy` (submitted at 1, in a run with `alongside`) and of one-unit tasks
     * submitted every frame from 0 to 29, in runs of their own. Agents `work` and `other` take 3
     * frames, `quick` 1.
     */
    function heavyAmongLight(
      light: TaskSpec,
      heavy: TaskSpec,
      options: Partial<Parameters<typeof createScheduler>[0]>,
      alongside: readonly TaskSpec[] = [],
    ): { heavy: number; light: number[] } {
      const events: DagEvent[] = [];
      inVirtualTime(({ cold }, scheduler) => {
        const shared = sharedScheduler(scheduler, {
          agents: { work: () => cold('---(x|)'), other: () => cold('---(x|)'), quick: () => cold('-(x|)') },
          ...options,
        });
        const submit = (id: string, ...tasks: TaskSpec[]) =>
          shared.submit(defineDag({ id, tasks }), { runId: id }).subscribe((e) => events.push(e));
        scheduler.schedule(() => submit('heavy', heavy, ...alongside), 1);
        for (let at = 0; at < 30; at++) scheduler.schedule(() => submit(`light-${at}`, light), at);
      });
      const started = events.filter((e) => e.type === 'task.started');
      return {
        heavy: started.find((e) => e.runId === 'heavy' && e.taskId === heavy.id)!.at,
        light: started.filter((e) => e.runId !== 'heavy').map((e) => e.at),
      };
    }

    it('should hold a named limit for it: lighter tasks of other runs wait until it has started', () => {
      const { heavy, light } = heavyAmongLight(
        { id: 'l', agent: 'work', limits: ['api'] },
        { id: 'h', agent: 'work', limits: ['api'], weight: 2 },
        { limits: { api: { concurrency: 2 } } },
      );
      // the light task of frame 0 ends at 3, and nothing took its place meanwhile
      expect(heavy).toBe(3);
      expect(light.slice(0, 3)).toEqual([0, 6, 6]);
    });

    it('should hold a rate window for a task taking many units of it by its own count (limits as a mapping)', () => {
      const { heavy, light } = heavyAmongLight(
        { id: 'l', agent: 'work', limits: { tokens: 1000 } },
        { id: 'h', agent: 'work', limits: { tokens: 4000 } },
        { limits: { tokens: { rate: { limit: 4000, intervalMs: 10 } } } },
      );
      // the light start of frame 0 leaves the window at 10, and no light task took room meanwhile
      expect(heavy).toBe(10);
      expect(light.filter((at) => at <= heavy)).toEqual([0]);
    });

    it('should hold maxConcurrency for it', () => {
      const { heavy } = heavyAmongLight({ id: 'l', agent: 'work' }, { id: 'h', agent: 'work', weight: 2 }, { maxConcurrency: 2 });
      expect(heavy).toBe(3);
    });

    it('should keep no slot empty while it waits for a rate window: what it is not short of goes to others', () => {
      const events = run(
        [
          { id: 'x1', agent: 'work', limits: ['api'], priority: 10 },
          { id: 'x2', agent: 'work', limits: ['api'], priority: 10 },
          { id: 'heavy', agent: 'work', limits: ['api'], weight: 2, priority: 5 },
          { id: 'y', agent: 'work', priority: 1 },
        ],
        { maxConcurrency: 2, limits: { api: { rate: { limit: 2, intervalMs: 20 } } } },
        '--(x|)',
      );
      // y takes a slot as x1 and x2 end; heavy starts when the window has room for both of its units
      expect(starts(events)).toEqual(['0 started:x1', '0 started:x2', '2 started:y', '20 started:heavy']);
    });

    it('should keep no slot empty while it waits for a limit that has no room for it, and the slots once it has', () => {
      const events = run(
        [
          { id: 'g1', agent: 'work', limits: ['gpu'], weight: 2, priority: 10 },
          { id: 'heavy', agent: 'work', limits: ['gpu'], weight: 3, priority: 5 },
          ...['f1', 'f2', 'f3', 'f4'].map((id) => ({ id, agent: 'work' })),
          { id: 'g-late', agent: 'work', limits: ['gpu'], priority: 1 },
        ],
        { maxConcurrency: 4, limits: { gpu: { concurrency: 3 } } },
        { g1: 30, f1: 5, f2: 35, f3: 40 },
      );
      expect(starts(events)).toEqual([
        '0 started:g1',
        // heavy waits for gpu until g1 ends: the slots it could not use go to f1, f2, f3
        '0 started:f1',
        '0 started:f2',
        '5 started:f3',
        // from 30, gpu has room and the slots are kept for it: f4 waits until heavy has started
        '35 started:heavy',
        '36 started:g-late',
        '36 started:f4',
      ]);
    });

    it('should go to a weighted task only when it would start before every task that can: no priority inversion', () => {
      const tasks = [
        { id: 'long', agent: 'work', priority: 200 },
        { id: 'low-heavy', agent: 'work', limits: ['gpu'], weight: 3, priority: -10 },
        ...['hi1', 'hi2', 'hi3', 'hi4'].map((id) => ({ id, agent: 'work', priority: 100 })),
      ];
      const events = run(
        tasks,
        { maxConcurrency: 3, limits: { gpu: { concurrency: 4 } } },
        { long: 40, hi1: 10, hi2: 10, hi3: 10, hi4: 10 },
      );
      // low-heavy is in a class of its own (its limit never binds): it waits behind the
      // priority-100 tasks, and takes the hold (all three slots) only when they are done
      expect(starts(events)).toEqual([
        '0 started:long',
        '0 started:hi1',
        '0 started:hi2',
        '10 started:hi3',
        '10 started:hi4',
        '40 started:low-heavy',
      ]);
    });

    it('should let tasks of its run that go before it (a higher priority) start first, though they take what it waits for', () => {
      const events = run(
        [
          { id: 'tokens-hog', agent: 'work', limits: { tokens: 10 } },
          { id: 'gate', agent: 'work' },
          { id: 'summary', agent: 'work', deps: ['gate'], limits: { api: 1, tokens: 8 } },
          { id: 'late-gate', agent: 'work' },
          ...['urgent-1', 'urgent-2'].map((id) => ({ id, agent: 'work', deps: ['late-gate'], limits: ['api'], priority: 10 })),
        ],
        { maxConcurrency: 10, limits: { api: { rate: { limit: 2, intervalMs: 100 } }, tokens: { rate: { limit: 10, intervalMs: 30 } } } },
        { gate: 3, 'late-gate': 5 },
      );
      // summary holds from 3 (tokens are short until 30); the urgent tasks, of a higher
      // priority, take both api units at 5, and summary waits for them to leave the api window
      expect(starts(events)).toEqual([
        '0 started:late-gate',
        '0 started:gate',
        '0 started:tokens-hog',
        '5 started:urgent-1',
        '5 started:urgent-2',
        '105 started:summary',
      ]);
    });

    /**
     * Start times of the tasks of run `r1` (submitted at 0) and of `r2`, a chain `o1 → o2 → o3`
     * of one gpu unit each, submitted at 4, on one scheduler: `gpu` 2 at once, `big` 99; each task
     * takes as many frames as `frames` gives it (default 1).
     */
    function heldWhileTwoRuns(r1: TaskSpec[], frames: Readonly<Record<string, number>>): Record<string, number> {
      const events: DagEvent[] = [];
      inVirtualTime(({ cold }, scheduler) => {
        const shared = sharedScheduler(scheduler, {
          limits: { gpu: { concurrency: 2 }, big: { concurrency: 99 } },
          agents: { work: ({ id }) => cold(`${'-'.repeat(frames[id] ?? 1)}(x|)`) },
        });
        shared.submit({ id: 'r1', tasks: r1 }).subscribe((e) => events.push(e));
        const light = ['o1', 'o2', 'o3'].map((id, i) => ({ id, agent: 'work', limits: ['gpu'], ...(i > 0 ? { deps: [`o${i}`] } : {}) }));
        scheduler.schedule(() => shared.submit({ id: 'r2', tasks: light }).subscribe((e) => events.push(e)), 4);
      });
      return Object.fromEntries(events.flatMap((e) => (e.type === 'task.started' ? [[e.taskId, e.at]] : [])));
    }

    /** `ids` as a chain of tasks needing gpu and big (a class of their own, apart from heavy's), with `more` fields each. */
    const gpuChain = (ids: readonly string[], more: Partial<TaskSpec> = {}): TaskSpec[] =>
      ids.map((id, i) => ({ id, agent: 'work', limits: ['gpu', 'big'], ...more, ...(i > 0 ? { deps: [ids[i - 1]!] } : {}) }));
    const heavy: TaskSpec = { id: 'heavy', agent: 'work', limits: ['gpu'], weight: 2 };

    it('should keep the hold from tasks of its run of the same priority, though the order puts them first (a longer path): nothing waits on a unit kept in vain', () => {
      const chain = gpuChain(['a1', 'a2', 'a3', 'a4', 'a5', 'a6']);
      const started = heldWhileTwoRuns([{ id: 'other', agent: 'work', limits: ['gpu'] }, ...chain, heavy], {
        other: 3,
        ...Object.fromEntries(chain.map((task) => [task.id, 5])),
      });
      // heavy holds from 0; a2 waits for it at 5 rather than take the unit a1 frees, and the light
      // tasks of r2 follow it: none waits while the unit kept for heavy could never reach it
      expect(started).toMatchObject({ heavy: 5, o1: 6, o2: 7, o3: 8 });
    });

    it('should keep the hold while tasks of its run of a higher priority go first: lighter tasks of other runs still wait for it', () => {
      const urgent = gpuChain(['other', 'h1', 'h2', 'h3'], { priority: 5 });
      // other runs beside h1 (no dependency between them)
      const r1 = [{ ...urgent[0]!, deps: [] }, { ...urgent[1]!, deps: [] }, ...urgent.slice(2), heavy];
      const started = heldWhileTwoRuns(r1, { other: 3, h1: 5, h2: 5, h3: 5 });
      // h2 and h3 go before heavy, each as the one before it ends; r2's tasks, lighter and of
      // another run, wait for heavy, which starts as h3 ends
      expect(started).toMatchObject({ h2: 5, h3: 10, heavy: 15, o1: 16, o2: 17, o3: 18 });
    });

    it('should not let tasks of its run of a higher priority that need none of what it waits for open its hold to other runs', () => {
      // u1 → … → u40, of a higher priority, need no gpu
      const urgent = Array.from({ length: 40 }, (_, i) => ({
        id: `u${i + 1}`,
        agent: 'quick',
        priority: 5,
        ...(i > 0 ? { deps: [`u${i}`] } : {}),
      }));
      const { heavy } = heavyAmongLight(
        { id: 'l', agent: 'work', limits: ['gpu'] },
        { id: 'h', agent: 'work', limits: ['gpu'], weight: 2 },
        { maxConcurrency: 100, limits: { gpu: { concurrency: 2 } } },
        urgent,
      );
      // the light task of frame 0 ends at 3, and none took a unit meanwhile
      expect(heavy).toBe(3);
    });

    /**
     * Start time of `heavy` (submitted at 1) among streams of one-unit tasks, one of each of
     * `lights` submitted every frame until 39 in runs of their own, stream k from frame k ×
     * `offset` on: what each stream takes frees at other times than the others'.
     */
    function heavyAmongStreams(
      heavy: TaskSpec,
      lights: readonly TaskSpec[],
      options: Partial<Parameters<typeof createScheduler>[0]>,
      workCapacity = Number.POSITIVE_INFINITY,
      offset = 2,
    ): number {
      const events: DagEvent[] = [];
      inVirtualTime(({ cold }, scheduler) => {
        const shared = sharedScheduler(scheduler, {
          maxConcurrency: 100,
          agents: { work: defineAgent({ capacity: workCapacity, run: () => cold('---(x|)') }), other: () => cold('---(x|)') },
          ...options,
        });
        const submit = (id: string, task: TaskSpec) =>
          shared.submit(defineDag({ id, tasks: [task] }), { runId: id }).subscribe((e) => events.push(e));
        scheduler.schedule(() => submit('heavy', heavy), 1);
        lights.forEach((light, k) => {
          for (let at = k * offset; at < 40; at++) scheduler.schedule(() => submit(`${light.id}-${at}`, light), at);
        });
      });
      return events.find((e) => e.type === 'task.started' && e.runId === 'heavy')!.at;
    }

    it.each([
      ['apart', 2],
      ['from the same frame', 0],
    ])('should keep each of its limits for it, not only the one it is short of at the moment (two streams %s)', (_how, offset) => {
      const heavy = heavyAmongStreams(
        { id: 'h', agent: 'work', limits: ['l1', 'l2'], weight: 2 },
        [
          { id: 'a', agent: 'work', limits: ['l1'] },
          { id: 'b', agent: 'work', limits: ['l2'] },
        ],
        { limits: { l1: { concurrency: 2 }, l2: { concurrency: 2 } } },
        Number.POSITIVE_INFINITY,
        offset,
      );
      // l1's light task of frame 0 ends at 3, and no light task took l2 meanwhile
      expect(heavy).toBe(3);
    });

    it('should keep a limit of concurrency for it while it is short of it, though it then waits for a rate window too', () => {
      const events = run(
        [
          { id: 'summary-1', agent: 'work', limits: { api: 1, tokens: 600 } },
          { id: 'summary-2', agent: 'work', limits: { api: 1, tokens: 600 } },
          ...['call-1', 'call-2'].map((id) => ({ id, agent: 'work', limits: ['api'] })),
          { id: 'pre', agent: 'work' },
          { id: 'embed', agent: 'work', limits: { tokens: 500 }, deps: ['pre'] },
        ],
        { limits: { api: { concurrency: 1 }, tokens: { rate: { limit: 1000, intervalMs: 30 } } } },
        { 'summary-1': 40, pre: 31 },
      );
      // from 30 summary-2 is short of the call alone: the tokens it needs are kept for it too, so
      // embed does not take them at 31 and leave it waiting for the window with the call free at 40
      expect(starts(events)).toEqual([
        '0 started:pre',
        '0 started:summary-1',
        '40 started:summary-2',
        '41 started:call-1',
        '42 started:call-2',
        '70 started:embed',
      ]);
    });

    it('should keep its limit for it while it waits for its agent kind, and its kind once the limit has room', () => {
      const heavy = heavyAmongStreams(
        { id: 'h', agent: 'work', limits: ['api'], weight: 2 },
        [
          { id: 'a', agent: 'work' },
          { id: 'b', agent: 'other', limits: ['api'] },
        ],
        { limits: { api: { concurrency: 2 } } },
        2,
      );
      // its kind's light task of frame 0 ends at 3, and no light task took api meanwhile
      expect(heavy).toBe(3);
    });

    it.each([
      ['of concurrency alone', { concurrency: 1 }],
      ['with a rate too', { concurrency: 1, rate: { limit: 100, intervalMs: 60 } }],
    ])(
      'should leave the concurrency of a limit %s to calls while it waits for a token window: calls go on while the budget refills',
      (_how, api) => {
        const events = run(
          [
            { id: 'summary-1', agent: 'work', limits: { api: 1, tokens: 600 } },
            { id: 'summary-2', agent: 'work', limits: { api: 1, tokens: 600 } },
            ...['call-1', 'call-2', 'call-3'].map((id) => ({ id, agent: 'work', limits: ['api'] })),
          ],
          { limits: { api, tokens: { rate: { limit: 1000, intervalMs: 30 } } } },
          '---(x|)',
        );
        // summary-2's tokens have room at 30 (only api's window, and the tokens' window, are kept for
        // it): the one call at a time it needs too goes to the calls meanwhile, kept it would stand idle
        expect(starts(events)).toEqual([
          '0 started:summary-1',
          '3 started:call-1',
          '6 started:call-2',
          '9 started:call-3',
          '30 started:summary-2',
        ]);
      },
    );

    it('should not hold for a task that is short only of what it takes one unit of: it keeps its place in the order', () => {
      const chain = ['path-1', 'path-2', 'path-3', 'path-4'].map((id, i) => ({
        id,
        agent: 'work',
        limits: ['api'],
        ...(i > 0 ? { deps: [`path-${i}`] } : {}),
      }));
      const events = run(
        [...chain, ...['summary-1', 'summary-2'].map((id) => ({ id, agent: 'work', limits: { api: 1, tokens: 3000 } }))],
        { limits: { api: { concurrency: 1 }, tokens: { rate: { limit: 90_000, intervalMs: 60 } } } },
        '---(x|)',
      );
      // the summaries take many tokens, which never run short: waiting for the one call at a
      // time like the path's tasks, they go after them, the longer critical path first
      expect(starts(events)).toEqual([
        '0 started:path-1',
        '3 started:path-2',
        '6 started:path-3',
        '9 started:path-4',
        '12 started:summary-1',
        '15 started:summary-2',
      ]);
    });

    it('should keep a limit of concurrency for it while it waits for a pause: lighter tasks failing meanwhile may lengthen it', () => {
      // r: 4 at once, paused by each 429 for 10 frames; c: 1 at once; h takes 2 of r and c's one unit
      const events: DagEvent[] = [];
      inVirtualTime(({ cold }, scheduler) => {
        const shared = sharedScheduler(scheduler, {
          maxConcurrency: 100,
          limits: { r: { concurrency: 4 }, c: { concurrency: 1 } },
          agents: {
            work: () => cold('---(x|)'),
            call: () => cold('-----------(x|)'),
            flaky: () => cold('-#', undefined, new AgentError('429', { retry: false, retryAfterMs: 10, pauseLimits: true })),
          },
        });
        const submit = (id: string, task: TaskSpec) =>
          shared.submit(defineDag({ id, tasks: [task] }), { runId: id }).subscribe((e) => events.push(e));
        scheduler.schedule(() => submit('heavy', { id: 'h', agent: 'work', limits: { r: 2, c: 1 } }), 1);
        for (let at = 0; at < 80; at++) {
          scheduler.schedule(() => submit(`probe-${at}`, { id: 'p', agent: 'flaky', limits: ['r'] }), at);
          scheduler.schedule(() => submit(`call-${at}`, { id: 'k', agent: 'call', limits: ['c'] }), at);
        }
      });
      // r's first pause ends at 12, and c, kept for it from the end of the call of frame 0 at 11, lets
      // it start then (with c left to the calls, each pause ended while a call held c, the next
      // pause came before that call ended, and it waited until the probes ran out)
      expect(events.find((e) => e.type === 'task.started' && e.runId === 'heavy')?.at).toBe(12);
    });

    it('should leave each limit’s concurrency to calls while it waits for a token window, one it is short of too', () => {
      const events = run(
        [
          { id: 'summary-1', agent: 'work', limits: { tokens: 600 } },
          { id: 'summary-2', agent: 'work', limits: { pool: 2, api: 1, tokens: 600 } },
          { id: 'pooled', agent: 'work', limits: ['pool'] },
          ...['call-1', 'call-2', 'call-3'].map((id) => ({ id, agent: 'work', limits: ['api'] })),
        ],
        { limits: { pool: { concurrency: 2 }, api: { concurrency: 1 }, tokens: { rate: { limit: 1000, intervalMs: 30 } } } },
        { pooled: 40 },
      );
      // pooled holds one unit of pool till 40, and summary-2 starts then either way: api serves the calls meanwhile
      expect(starts(events)).toEqual([
        '0 started:summary-1',
        '0 started:pooled',
        '0 started:call-1',
        '1 started:call-2',
        '2 started:call-3',
        '40 started:summary-2',
      ]);
    });

    it.each([
      ['its agent kind is', { maxConcurrency: 100 }, 2],
      ['the slots are', { maxConcurrency: 2 }, Number.POSITIVE_INFINITY],
    ])(
      'should not be passed over by streams of lighter tasks while %s full, taking many units of a limit by its own count',
      (_what, slots, capacity) => {
        const heavy = heavyAmongStreams(
          { id: 'h', agent: 'work', limits: { l1: 2 } },
          [
            { id: 'a', agent: 'work', limits: ['l1'] },
            { id: 'b', agent: 'work', limits: ['l1', 'x'] },
          ],
          { ...slots, limits: { l1: { concurrency: 2 }, x: { concurrency: 100 } } },
          capacity,
          0,
        );
        // the light tasks of frame 0 end at 3, leaving l1 and the slots of work free: its run's turn
        // was not lost when two runs before it in the turn ended together
        expect(heavy).toBe(3);
      },
    );

    it('should lend a limit’s concurrency again once a task of its run going first leaves a rate window short', () => {
      const events = run(
        [
          { id: 'busy', agent: 'work', limits: { api: 1 }, priority: 20 },
          { id: 'gate', agent: 'work', priority: 20 },
          { id: 'urgent', agent: 'work', limits: { tokens: 600 }, deps: ['gate'], priority: 10 },
          { id: 'summary', agent: 'work', limits: { api: 2, tokens: 600 } },
          ...['call-1', 'call-2', 'call-3'].map((id) => ({ id, agent: 'work', limits: ['api'], priority: -1 })),
        ],
        { limits: { api: { concurrency: 2 }, tokens: { rate: { limit: 1000, intervalMs: 30 } } } },
        { busy: 5, gate: 2, summary: 10 },
      );
      // summary is short of api alone until urgent, of a higher priority, takes tokens at 2; from 5
      // it waits for the tokens' window alone (till 32), and api serves the calls meanwhile
      expect(starts(events)).toEqual([
        '0 started:gate',
        '0 started:busy',
        '2 started:urgent',
        '5 started:call-1',
        '6 started:call-2',
        '7 started:call-3',
        '32 started:summary',
      ]);
    });

    it('should wake for a lent limit’s own window: a lighter task starts when that window has room, not at the next unrelated event', () => {
      const events = run(
        [
          { id: 'summary-1', agent: 'work', limits: { tokens: 600 }, priority: 30 },
          { id: 'busy', agent: 'work', limits: { api: 1 }, priority: 20 },
          { id: 'call-1', agent: 'work', limits: { api: 1 }, priority: 20 },
          { id: 'summary-2', agent: 'work', limits: { tokens: 600, api: 1 }, priority: 10 },
          { id: 'call-2', agent: 'work', limits: { api: 1 }, priority: -1 },
        ],
        {
          maxConcurrency: 10,
          limits: { api: { concurrency: 2, rate: { limit: 3, intervalMs: 10 } }, tokens: { rate: { limit: 1000, intervalMs: 100 } } },
        },
        { 'summary-1': 300, busy: 300 },
      );
      // summary-2 waits for the tokens' window (till 100); api, with room for it, lends its
      // concurrency to call-2 once call-1 has ended (at 1), but its own window of 3 starts in 10
      // frames has room for both only from 10: call-2 starts then, woken by that window
      expect(starts(events)).toEqual([
        '0 started:summary-1',
        '0 started:busy',
        '0 started:call-1',
        '10 started:call-2',
        '100 started:summary-2',
      ]);
    });

    it('should keep concurrency it is short of while it waits for a rate window: a long lighter task would delay it past the window', () => {
      const events = run(
        [
          { id: 'summary-1', agent: 'work', limits: { tokens: 600 } },
          { id: 'summary-2', agent: 'work', limits: { pool: 2, tokens: 600 } },
          { id: 'pooled', agent: 'work', limits: ['pool'] },
          { id: 'long', agent: 'work', limits: ['pool'], priority: -1 },
        ],
        { limits: { pool: { concurrency: 2 }, tokens: { rate: { limit: 1000, intervalMs: 30 } } } },
        { pooled: 40, long: 200 },
      );
      expect(starts(events)).toEqual(['0 started:summary-1', '0 started:pooled', '40 started:summary-2', '41 started:long']);
    });

    it('should hold only what it waits for: tasks that need none of it go on', () => {
      const { heavy, light } = heavyAmongLight(
        { id: 'l', agent: 'other' },
        { id: 'h', agent: 'work', limits: ['api'], weight: 2 },
        { limits: { api: { concurrency: 1 + 1 } }, maxConcurrency: 100 },
      );
      expect(heavy).toBe(1);
      expect(light).toEqual(Array.from({ length: 30 }, (_, at) => at));
    });
  });

  describe('a run of heavy tasks beside a lighter task of another run (runs take turns for what a hold keeps)', () => {
    it.each<[string, Omit<TaskSpec, 'id'>, Omit<TaskSpec, 'id'>, Partial<SchedulerOptions>]>([
      [
        'a named limit',
        { agent: 'work', weight: 2, limits: ['api'] },
        { agent: 'work', limits: ['api'] },
        { limits: { api: { concurrency: 2 } } },
      ],
      ['maxConcurrency', { agent: 'work', weight: 2 }, { agent: 'work' }, { maxConcurrency: 2 }],
      ['an agent kind', { agent: 'pair', weight: 2 }, { agent: 'pair' }, {}],
      [
        'a limit by units',
        { agent: 'work', limits: { tokens: 10 } },
        { agent: 'work', limits: { tokens: 1 } },
        { limits: { tokens: { concurrency: 10 } } },
      ],
    ])('should start the lighter task when the first heavy one ends, not after every one, for %s', (_, heavy, light, options) => {
      const events: DagEvent[] = [];
      inVirtualTime(({ cold }, scheduler) => {
        const shared = sharedScheduler(scheduler, {
          agents: { work: () => cold('---(x|)'), pair: defineAgent({ capacity: 2, run: () => cold('---(x|)') }) },
          ...options,
        });
        const heavyTasks = Array.from({ length: 10 }, (_, i) => ({ id: `h${i}`, ...heavy }));
        shared.submit(defineDag({ id: 'heavy', tasks: heavyTasks }), { runId: 'heavy' }).subscribe((e) => events.push(e));
        scheduler.schedule(
          () => shared.submit(defineDag({ id: 'light', tasks: [{ id: 'l', ...light }] })).subscribe((e) => events.push(e)),
          1,
        );
      });
      const started = events.filter((e) => e.type === 'task.started').map((e) => `${e.at} ${e.taskId}`);
      // each heavy task takes all there is, one after another; h1 may have held what h0 takes
      // before the light run came: the light task goes next, not after every heavy task
      expect(started.slice(0, 4)).toEqual(expect.arrayContaining(['0 h0', '9 h2']));
      expect(started.slice(1, 3)).toEqual(expect.arrayContaining([expect.stringMatching(/^[36] l$/), expect.stringMatching(/^[36] h1$/)]));
    });

    it('should give the lighter task its turn once a heavy task’s rate window has passed, though that task ended before, not after every one', () => {
      const events: DagEvent[] = [];
      inVirtualTime(({ cold }, scheduler) => {
        // each heavy task takes the whole window of 6 frames, and ends after 3
        const shared = sharedScheduler(scheduler, {
          agents: { work: () => cold('---(x|)') },
          limits: { rl: { rate: { limit: 2, intervalMs: 6 } } },
        });
        const heavyTasks = Array.from({ length: 10 }, (_, i) => ({ id: `h${i}`, agent: 'work', weight: 2, limits: ['rl'] }));
        shared.submit(defineDag({ id: 'heavy', tasks: heavyTasks }), { runId: 'heavy' }).subscribe((e) => events.push(e));
        const light = defineDag({ id: 'light', tasks: [{ id: 'l', agent: 'work', limits: ['rl'] }] });
        scheduler.schedule(() => shared.submit(light).subscribe((e) => events.push(e)), 1);
      });
      const started = events.filter((e) => e.type === 'task.started').map((e) => `${e.at} ${e.taskId}`);
      // (h1 held the window before the light run came; after it, the light task's turn)
      expect(started.slice(0, 4)).toEqual(['0 h0', '6 h1', '12 l', '18 h2']);
    });
  });

  describe('the hold, once its task started, moving to the next task of its class', () => {
    it('should not keep room for a next task short only of what it takes one unit of: it keeps its place in the order', () => {
      const events: DagEvent[] = [];
      inVirtualTime(({ cold }, scheduler) => {
        const frames = (id: string) => ({ pre: 1, H: 50, F: 50, gate: 120, L: 10 })[id] ?? 1;
        const shared = sharedScheduler(scheduler, {
          agents: { work: ({ id }) => cold(`${'-'.repeat(frames(id))}(x|)`) },
          limits: { api: { concurrency: 1 }, tokens: { rate: { limit: 1000, intervalMs: 100 } } },
        });
        // H waits for the tokens' window and holds; once it starts (100), F is its class's next:
        // short of api only (H has it), of which it takes one unit, though 2 tokens
        const a = defineDag({
          id: 'A',
          tasks: [
            { id: 'pre', agent: 'work', limits: { tokens: 600 }, priority: 30 },
            { id: 'H', agent: 'work', limits: { api: 1, tokens: 600 }, priority: 20 },
            { id: 'F', agent: 'work', limits: { api: 1, tokens: 2 }, priority: 10 },
          ],
        });
        const b = defineDag({
          id: 'B',
          tasks: [
            { id: 'gate', agent: 'work' },
            { id: 'L', agent: 'work', limits: { api: 1 }, deps: ['gate'] },
          ],
        });
        shared.submit(a, { runId: 'A' }).subscribe((e) => events.push(e));
        shared.submit(b, { runId: 'B' }).subscribe((e) => events.push(e));
      });
      const started = events.filter((e) => e.type === 'task.started').map((e) => `${e.at} ${e.taskId}`);
      // when H ends (150), F and L want api alike: the turn is B's (A started last), as without a hold
      expect(started).toEqual(['0 pre', '0 gate', '100 H', '150 L', '160 F']);
    });
  });

  describe('a heavy task of a run whose last heavy task has ended, beside a run waiting for something else', () => {
    it.each([1, 1000])(
      'should take the hold again, not wait until every lighter task of its own run has run (its last heavy task taking %d frames elsewhere)',
      (h0Frames) => {
        const events: DagEvent[] = [];
        inVirtualTime(({ cold }, scheduler) => {
          // (l1 ends a frame before the others: one unit of pair is busy at every moment, staggered)
          const frames = (id: string) => ({ b1: 100, g: 1, h0: h0Frames, l1: 1 })[id] ?? 2;
          const work = ({ id }: { id: string }) => cold(`${'-'.repeat(frames(id))}(x|)`);
          const shared = sharedScheduler(scheduler, {
            maxConcurrency: 100,
            limits: { big: { concurrency: 99 } },
            agents: { work, pair: defineAgent({ capacity: 2, run: work }), slow: defineAgent({ capacity: 1, run: work }) },
          });
          // run B waits for its own agent kind the whole time: it has ready tasks, none of A's
          const waiting = defineDag({
            id: 'B',
            tasks: [
              { id: 'b1', agent: 'slow', priority: 1 },
              { id: 'b2', agent: 'slow' },
            ],
          });
          shared.submit(waiting, { runId: 'B' }).subscribe((e) => events.push(e));
          const lights = Array.from({ length: 40 }, (_, i) => ({ id: `l${i + 1}`, agent: 'pair' }));
          const heavy = defineDag({
            id: 'A',
            tasks: [
              { id: 'h0', agent: 'work', weight: 2, priority: 20 },
              { id: 'g', agent: 'work', priority: 20 },
              { id: 'h1', agent: 'pair', weight: 2, limits: ['big'], priority: 10, deps: ['g'] },
              ...lights,
            ],
          });
          scheduler.schedule(() => shared.submit(heavy, { runId: 'A' }).subscribe((e) => events.push(e)), 1);
        });
        const h1 = events.find((e) => e.type === 'task.started' && e.taskId === 'h1')!;
        // h0 needs none of h1's room (or ended at 2): h1 holds the agent kind its lighter siblings keep busy, and starts once they leave it
        expect(h1.at).toBeLessThanOrEqual(4);
      },
    );
  });

  it('should refuse unknown limits and tasks heavier than what they need, every problem at once', () => {
    const dag = defineDag({
      id: 'bad',
      tasks: [
        { id: 'a', agent: 'work', limits: ['nope'] },
        { id: 'b', agent: 'work', limits: ['api'], weight: 5 },
        { id: 'c', agent: 'work', weight: 9 },
      ],
    });
    let error: unknown;
    try {
      runDag(dag, { maxConcurrency: 8, agents: { work: () => 1 }, limits: { api: { concurrency: 2 } } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DagValidationError);
    expect((error as DagValidationError).issues.map((issue) => [issue.path.join('.'), issue.code, issue.message])).toEqual([
      ['tasks.0.limits.0', 'unknown-limit', 'task "a" needs limit "nope", which is not declared; known limits: "api"'],
      ['tasks.1.weight', 'too-heavy', 'task "b" weighs 5, more than limit "api" allows (concurrency 2): it could never start'],
      ['tasks.2.weight', 'too-heavy', 'task "c" weighs 9, more than `maxConcurrency` 8: it could never start'],
    ]);
  });

  it('should say them with a bad value of another task, in one error: a spec handed to runDag as it is', () => {
    const spec = {
      id: 'bad',
      tasks: [
        { id: 'x', agent: 'work', when: 'bogus' },
        { id: 'y', agent: 'work', limits: ['nope'] },
        { id: 'z', agent: 'work', weight: 99 },
      ],
    };
    let error: unknown;
    try {
      runDag(spec as never, { maxConcurrency: 8, agents: { work: () => 1 }, limits: { api: { concurrency: 2 } } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DagValidationError);
    expect((error as DagValidationError).issues.map((issue) => [issue.path.join('.'), issue.code])).toEqual([
      ['tasks.0.when', 'invalid-value'],
      ['tasks.1.limits.0', 'unknown-limit'],
      ['tasks.2.weight', 'too-heavy'],
    ]);
  });

  it('should take a limit given by a getter as its check read it, reading it once', () => {
    let reads = 0;
    const events = run(
      [
        { id: 'a', agent: 'work', limits: ['api'] },
        { id: 'b', agent: 'work', limits: ['api'] },
      ],
      {
        limits: {
          get api() {
            reads++;
            return { concurrency: reads === 1 ? 1 : -5 };
          },
        },
      },
    );
    expect(starts(events)).toEqual(['0 started:a', '1 started:b']);
    expect(reads).toBe(1);
  });

  it('should take an agent given by a getter, as a run reads it', () => {
    const events = run([{ id: 'a', agent: 'lazy' }], {
      agents: {
        get lazy() {
          return () => 1;
        },
      },
    });
    expect(starts(events)).toEqual(['0 started:a']);
  });

  it('should refuse a limit without concurrency or rate, and a rate without intervalMs', () => {
    expect(() => runDag(defineDag({ id: 'x', tasks: [] }), { limits: { a: {}, b: { rate: { limit: 2 } } } as never })).toThrow(
      /`limits\.a` needs `concurrency`, `rate` or both.*`limits\.b\.rate\.intervalMs`/,
    );
  });

  const optionsError = (limits: unknown): string => {
    try {
      runDag(defineDag({ id: 'x', tasks: [] }), { limits } as never);
    } catch (error) {
      if (error instanceof TypeError) return error.message;
      throw error;
    }
    throw new Error('expected a TypeError');
  };

  it('should say only the unknown field when a misspelling of concurrency or rate is what the limit lacks', () => {
    expect(optionsError({ a: { concurency: 2 }, b: { rates: { limit: 1, intervalMs: 5 } } })).toBe(
      'rxdag: invalid options: `limits.a` has an unknown field `concurency` (did you mean `concurrency`?); ' +
        '`limits.b` has an unknown field `rates` (did you mean `rate`?)',
    );
    expect(optionsError({ a: { parallelism: 2 } })).toBe(
      'rxdag: invalid options: `limits.a` has an unknown field `parallelism`; `limits.a` needs `concurrency`, `rate` or both (got an object)',
    );
  });

  it('should say that a count has a maximum, and take the maximum', () => {
    expect(optionsError({ a: { concurrency: 2 ** 53 }, b: { rate: { limit: 1e20, intervalMs: 5 } } })).toBe(
      'rxdag: invalid options: `limits.a.concurrency` must be a positive integer of at most 9007199254740991 (got 9007199254740992); ' +
        '`limits.b.rate.limit` must be a positive integer of at most 9007199254740991 (got 100000000000000000000)',
    );
    expect(() => runDag(defineDag({ id: 'x', tasks: [] }), { limits: { a: { concurrency: 2 ** 53 - 1 } } })).not.toThrow();
  });

  it('should refuse a limit name no task could name, in the words a task’s limits get, naming the name and not the limit’s value', () => {
    expect(optionsError({ '': { concurrency: 1 }, 're\u001b[31md': { concurrency: 1 }, ok: { concurrency: 0 } })).toBe(
      'rxdag: invalid options: `limits.ok.concurrency` must be a positive integer (got 0); ' +
        '`limits` has an invalid limit name "": must not be empty; ' +
        '`limits` has an invalid limit name "re\\u001b[31md": must not contain control characters: an escape (U+001B) at character 3',
    );
  });
});

describe('names that are also Object.prototype keys', () => {
  it('should refuse an undeclared limit or agent called constructor, and keep a limit called __proto__', () => {
    const dag = defineDag({ id: 'proto', tasks: [{ id: 'a', agent: 'constructor', limits: ['toString'] }] });
    expect(() => runDag(dag, { agents: { work: () => 1 } })).toThrow(
      /unknown agent "constructor"[\s\S]*needs limit "toString", which is not declared/,
    );
    const limits = JSON.parse('{"__proto__": {"concurrency": 1}}') as Record<string, { concurrency: number }>;
    const events = run(
      [
        { id: 'x', agent: 'work', limits: ['__proto__'] },
        { id: 'y', agent: 'work', limits: ['__proto__'] },
      ],
      { maxConcurrency: 4, limits },
      '-(x|)',
    );
    expect(starts(events)).toEqual(['0 started:x', '1 started:y']);
    expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
  });

  it('should check a limit called __proto__ as any other, which zod’s record leaves out', () => {
    const dag = defineDag({ id: 'proto', tasks: [{ id: 'a', agent: 'work', limits: ['__proto__'] }] });
    const limits = JSON.parse('{"__proto__": {"concurrency": 0, "bogus": 1}, "api": {"concurency": 2}, "": {"concurrency": 1}}') as Record<
      string,
      { concurrency: number }
    >;
    // said with the other limits' problems, none hidden
    expect(() => runDag(dag, { agents: { work: () => 1 }, limits })).toThrow(
      new TypeError(
        'rxdag: invalid options: `limits.api` has an unknown field `concurency` (did you mean `concurrency`?); ' +
          '`limits.__proto__.concurrency` must be a positive integer (got 0); `limits.__proto__` has an unknown field `bogus`; ' +
          '`limits` has an invalid limit name "": must not be empty',
      ),
    );
  });
});
