import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { last, lastValueFrom, of, timeout } from 'rxjs';
import { events, fileJournal, type JournalWriter, type LimitSpec, resumeRun, type TaskContext } from '../../src/index';

/**
 * A resumed run starts the attempts that were in flight when its process died before any task
 * that was only ready, whatever their priorities: they held their slots and limits then (a
 * remote one may still be running on its worker), so a ready task taking them first would run
 * beside it beyond the limit.
 */
/** How long a slow agent's attempt takes. */
const SLOW_MS = 500;

describe('resuming a run whose attempts were in flight', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-in-flight-first-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /**
   * Journals run `runId`, died with `running` in flight and `waiting` ready (priority 10, the
   * others 0), then resumes it with `maxConcurrency`; resolves with the tasks in the order their
   * agent was called.
   */
  async function resumeAfterDeath(
    runId: string,
    running: string[],
    waiting: string[],
    limited: boolean,
    maxConcurrency: number,
  ): Promise<string[]> {
    const limits = limited ? { limits: ['gpu'] } : {};
    const writer = (await fileJournal(dir).create({
      runId,
      dagId: 'd',
      spec: {
        id: 'd',
        defaults: { agent: 'w' },
        tasks: [...running.map((id) => ({ id, ...limits })), ...waiting.map((id) => ({ id, priority: 10, ...limits }))],
      },
      options: { failurePolicy: 'skip-dependents', contextInjection: false, ...(limited ? { limits: { gpu: { concurrency: 1 } } } : {}) },
      createdAt: 0,
    })) as JournalWriter;
    let seq = 0;
    const at = 0;
    writer.append([
      events.dagCreated({ runId, seq: ++seq, at, dagId: 'd', taskCount: running.length + waiting.length }),
      ...[...running, ...waiting].map((taskId) => events.taskReady({ runId, seq: ++seq, at, taskId, attempt: 1 })),
      ...running.map((taskId) => events.taskStarted({ runId, seq: ++seq, at, taskId, attempt: 1, agent: 'w' })),
    ]);
    await writer.close();
    const called: string[] = [];
    const w = ({ id }: TaskContext) => void called.push(id);
    const end = await lastValueFrom(resumeRun(fileJournal(dir), runId, { agents: { w }, healthCheckIntervalMs: 0, maxConcurrency }));
    expect(end).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    return called;
  }

  it('should start an attempt in flight before a ready task of higher priority that needs its limit', async () => {
    expect(await resumeAfterDeath('limit', ['a'], ['b'], true, 8)).toEqual(['a', 'b']);
  });

  it('should not hold the run back behind an attempt in flight that waits for its rate window: the others start', async () => {
    const runId = 'rate';
    const writer = (await fileJournal(dir).create({
      runId,
      dagId: 'd',
      spec: {
        id: 'd',
        tasks: [
          { id: 'x', agent: 'api', limits: ['api'], priority: 10 },
          { id: 'g', agent: 'other', priority: 5 },
          { id: 'free', agent: 'other' },
        ],
      },
      options: { failurePolicy: 'skip-dependents', contextInjection: false, limits: { api: { rate: { limit: 1, intervalMs: 60_000 } } } },
      createdAt: 0,
    })) as JournalWriter;
    const at = Date.now(); // x's start fills its window for a minute
    writer.append([
      events.dagCreated({ runId, seq: 1, at, dagId: 'd', taskCount: 3 }),
      events.taskReady({ runId, seq: 2, at, taskId: 'x', attempt: 1 }),
      events.taskReady({ runId, seq: 3, at, taskId: 'g', attempt: 1 }),
      events.taskReady({ runId, seq: 4, at, taskId: 'free', attempt: 1 }),
      events.taskStarted({ runId, seq: 5, at, taskId: 'x', attempt: 1, agent: 'api' }),
      events.taskStarted({ runId, seq: 6, at, taskId: 'g', attempt: 1, agent: 'other' }),
    ]);
    await writer.close();
    const called: string[] = [];
    const agents = { api: ({ id }: TaskContext) => void called.push(id), other: ({ id }: TaskContext) => void called.push(id) };
    const subscription = resumeRun(fileJournal(dir), runId, { agents, healthCheckIntervalMs: 0, maxConcurrency: 2 }).subscribe();
    try {
      const deadline = Date.now() + 5000;
      while (called.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(called).toEqual(['g', 'free']);
    } finally {
      subscription.unsubscribe();
    }
  });

  /**
   * Journals run `runId` of `tasks`, died with `running` in flight and the others ready, then
   * resumes it with agents of `capacities` (those in `slow` take `SLOW_MS`), `limits` and
   * `maxConcurrency`; resolves with the tasks in the order their agent was called (a run that
   * does nothing for 3 s, stuck, fails).
   */
  async function resumeWith(
    runId: string,
    tasks: ReadonlyArray<{ id: string; agent: string; limits?: string[]; priority?: number; weight?: number }>,
    running: string[],
    limits: Record<string, LimitSpec>,
    capacities: Record<string, number>,
    { maxConcurrency = 8, slow = [] }: { maxConcurrency?: number; slow?: string[] } = {},
  ): Promise<string[]> {
    const writer = (await fileJournal(dir).create({
      runId,
      dagId: 'd',
      spec: { id: 'd', tasks: tasks.map((task) => ({ ...task })) },
      options: { failurePolicy: 'skip-dependents', contextInjection: false, limits },
      createdAt: 0,
    })) as JournalWriter;
    let seq = 0;
    const at = Date.now(); // the starts in flight fill their rate windows from now
    writer.append([
      events.dagCreated({ runId, seq: ++seq, at, dagId: 'd', taskCount: tasks.length }),
      ...tasks.map(({ id: taskId }) => events.taskReady({ runId, seq: ++seq, at, taskId, attempt: 1 })),
      ...running.map((taskId) =>
        events.taskStarted({ runId, seq: ++seq, at, taskId, attempt: 1, agent: tasks.find(({ id }) => id === taskId)!.agent }),
      ),
    ]);
    await writer.close();
    const called: string[] = [];
    const agents = Object.fromEntries(
      Object.entries(capacities).map(([name, capacity]) => [
        name,
        {
          capacity,
          run: ({ id }: TaskContext) => {
            called.push(id);
            return slow.includes(name) ? new Promise<void>((resolve) => setTimeout(resolve, SLOW_MS)) : undefined;
          },
        },
      ]),
    );
    const resumed = resumeRun(fileJournal(dir), runId, { agents, healthCheckIntervalMs: 0, maxConcurrency });
    const end = await lastValueFrom(
      resumed.pipe(timeout({ each: 3000, with: () => of(`nothing for 3 s: started ${called.join(', ')}`) }), last()),
    );
    expect(end).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    return called;
  }

  it('should hold back the ready tasks of its agent while an attempt in flight waits for its rate window, though they need no limit', async () => {
    const tasks = [
      { id: 'x', agent: 'api', limits: ['window'] },
      { id: 'y', agent: 'api', priority: 10 },
    ];
    expect(await resumeWith('same-agent', tasks, ['x'], { window: { rate: { limit: 1, intervalMs: 300 } } }, { api: 1 })).toEqual([
      'x',
      'y',
    ]);
  });

  it('should not hold back the ready tasks of its agent when the agent has no capacity to keep: only a limit it waits for is kept', async () => {
    // x waits a minute for its window; y, of x's agent (any number at once) and needing no limit, starts
    const tasks = [
      { id: 'x', agent: 'api', limits: ['window'] },
      { id: 'y', agent: 'api', priority: 10 },
    ];
    const runId = 'unbounded-agent';
    const writer = (await fileJournal(dir).create({
      runId,
      dagId: 'd',
      spec: { id: 'd', tasks },
      options: {
        failurePolicy: 'skip-dependents',
        contextInjection: false,
        limits: { window: { rate: { limit: 1, intervalMs: 60_000 } } },
      },
      createdAt: 0,
    })) as JournalWriter;
    const at = Date.now(); // x's start fills its window for a minute
    writer.append([
      events.dagCreated({ runId, seq: 1, at, dagId: 'd', taskCount: 2 }),
      ...tasks.map(({ id: taskId }, i) => events.taskReady({ runId, seq: 2 + i, at, taskId, attempt: 1 })),
      events.taskStarted({ runId, seq: 4, at, taskId: 'x', attempt: 1, agent: 'api' }),
    ]);
    await writer.close();
    const called: string[] = [];
    const agents = { api: { capacity: Number.POSITIVE_INFINITY, run: ({ id }: TaskContext) => void called.push(id) } };
    const subscription = resumeRun(fileJournal(dir), runId, { agents, healthCheckIntervalMs: 0 }).subscribe();
    try {
      const deadline = Date.now() + 5000;
      while (called.length < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(called).toEqual(['y']);
    } finally {
      subscription.unsubscribe();
    }
  });

  it('should never run more units than -c when attempts in flight of an agent of any number at once are heavier than what is ready', async () => {
    // x (2) and a (3) were in flight under a -c of 5; resumed with 4, a waits for x, and b (1), ready, waits behind them
    const weights: Record<string, number> = { x: 2, a: 3, b: 1 };
    const tasks = Object.entries(weights).map(([id, weight]) => ({ id, agent: 'w', weight }));
    const runId = 'heavy-first';
    const writer = (await fileJournal(dir).create({
      runId,
      dagId: 'd',
      spec: { id: 'd', tasks },
      options: { failurePolicy: 'skip-dependents', contextInjection: false },
      createdAt: 0,
    })) as JournalWriter;
    let seq = 0;
    writer.append([
      events.dagCreated({ runId, seq: ++seq, at: 0, dagId: 'd', taskCount: 3 }),
      ...tasks.map(({ id: taskId }) => events.taskReady({ runId, seq: ++seq, at: 0, taskId, attempt: 1 })),
      ...['x', 'a'].map((taskId) => events.taskStarted({ runId, seq: ++seq, at: 0, taskId, attempt: 1, agent: 'w' })),
    ]);
    await writer.close();
    let units = 0;
    let most = 0;
    const called: string[] = [];
    const w = async ({ id }: TaskContext) => {
      called.push(id);
      most = Math.max(most, (units += weights[id]!));
      await new Promise((resolve) => setTimeout(resolve, 50));
      units -= weights[id]!;
    };
    const end = await lastValueFrom(resumeRun(fileJournal(dir), runId, { agents: { w }, healthCheckIntervalMs: 0, maxConcurrency: 4 }));
    expect(end).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    expect(called).toEqual(['x', 'a', 'b']);
    expect(most).toBeLessThanOrEqual(4);
  });

  it('should hold back the ready tasks that need its limit while an attempt in flight waits for its agent, though of other agents', async () => {
    const tasks = [
      { id: 'first', agent: 'a' },
      { id: 'x', agent: 'a', limits: ['gpu'] },
      { id: 'y', agent: 'b', limits: ['gpu'], priority: 10 },
    ];
    expect(await resumeWith('shared-limit', tasks, ['first', 'x'], { gpu: { concurrency: 1 } }, { a: 1, b: 1 })).toEqual([
      'first',
      'x',
      'y',
    ]);
  });

  it('should start an attempt in flight that a waiting one shares room with, and keep the ready tasks off what it holds', async () => {
    // p waits for its window; q (p's agent, which has room for both) holds the gpu: y, ready, waits for q
    const tasks = [
      { id: 'p', agent: 'a', limits: ['w'] },
      { id: 'q', agent: 'a', limits: ['gpu'] },
      { id: 'y', agent: 'b', limits: ['gpu'], priority: 10 },
    ];
    const limits = { w: { rate: { limit: 1, intervalMs: 300 } }, gpu: { concurrency: 1 } };
    const called = await resumeWith('shared-first', tasks, ['p', 'q'], limits, { a: 2, b: 1 }, { slow: ['a'] });
    expect(called.indexOf('q')).toBe(0);
    expect(called.indexOf('y')).toBeGreaterThan(called.indexOf('q'));
  });

  it('should not hold a weighted ready task back for good behind an attempt in flight that waits for the room the task is kept', async () => {
    // t (weight 2) holds g's units; s, in flight, needs one of them and holds t back (they share g): s goes first
    const tasks = [
      { id: 'p', agent: 'a', limits: ['w'], priority: 10 },
      { id: 's', agent: 'a', limits: ['g'] },
      { id: 'r', agent: 'c' },
      { id: 't', agent: 'b', limits: ['g'], weight: 2 },
    ];
    const limits = { w: { rate: { limit: 1, intervalMs: 300 } }, g: { concurrency: 2 } };
    const called = await resumeWith('weighted', tasks, ['p', 's', 'r'], limits, { a: 2, b: 2, c: 1 }, { maxConcurrency: 2, slow: ['c'] });
    expect([...called].sort()).toEqual(['p', 'r', 's', 't']);
  });

  it('should start every attempt in flight, in the order of their tasks, before ready tasks when slots are few', async () => {
    expect(await resumeAfterDeath('slots', ['a', 'b'], ['c', 'd'], false, 1)).toEqual(['a', 'b', 'c', 'd']);
  });
});
