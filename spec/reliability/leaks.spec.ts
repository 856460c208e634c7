import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, NEVER, type Observable, take, timer } from 'rxjs';
import {
  createScheduler,
  type DagEvent,
  type DagRun,
  type DagSpec,
  defineAgent,
  type Agent,
  fileJournal,
  type Journal,
  type JournalWriter,
  runDag,
  type TaskContext,
} from '../../src';
import { exposeGc } from '../support/gc';

/**
 * No leaks: 1,000 DAGs started and cancelled midway in real time (timers, promises, streams,
 * pooled agent instances, health checks, timeouts and retries all live when they are
 * cancelled). Afterwards no timer or handle of ours is left, nothing of the runs is retained,
 * and the heap is back where it was.
 */

/** Active handles and requests by type (timers, immediates, sockets, …). */
function resources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

/** Resource types that grew since `baseline`, with how many more there are. */
function grown(baseline: Map<string, number>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [type, count] of resources()) if (count > (baseline.get(type) ?? 0)) result[type] = count - (baseline.get(type) ?? 0);
  return result;
}

const tick = (ms = 0) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Objects a run touched; each must be collectable once the run is over. */
const tracked: WeakRef<object>[] = [];
const track = <T extends object>(value: T): T => {
  tracked.push(new WeakRef(value));
  return value;
};

/** A promise agent that honours its AbortSignal (clears its timer), as agents should. */
const sleepy: Agent = (ctx: TaskContext) => {
  track(ctx);
  return new Promise((resolve, reject) => {
    const handle = setTimeout(() => resolve(track({ slept: ctx.id })), 2 + (ctx.id.length % 7));
    ctx.signal.addEventListener('abort', () => {
      clearTimeout(handle);
      reject(ctx.signal.reason);
    });
  });
};
const ticking: Agent = (ctx) => timer(1 + (ctx.attempt % 5)).pipe(take(1)) as Observable<number>;
const hanging: Agent = (ctx) => {
  track(ctx);
  return NEVER;
};
const flaky: Agent = (ctx) => {
  if (ctx.attempt === 1) throw new Error('first attempt fails');
  return track({ ok: ctx.attempt });
};
let instancesAlive = 0;
const pooled = defineAgent({
  capacity: 3,
  idleMs: 3,
  create: () => {
    instancesAlive++;
    return track({ connection: true });
  },
  dispose: () => void instancesAlive--,
  run: (ctx: TaskContext) => sleepy(ctx),
});
const agents = { sleepy, ticking, hanging, flaky, pooled };
const kinds = ['sleepy', 'ticking', 'flaky', 'pooled'] as const;

/** A 30-task DAG with a task that never ends (so every run is cancelled) and timers of every kind. */
function dagSpec(n: number): DagSpec {
  return {
    id: `leak-${n}`,
    tasks: [
      { id: 'forever', agent: 'hanging' },
      ...Array.from({ length: 29 }, (_, i) => ({
        id: `t${i}`,
        agent: kinds[(i + n) % kinds.length]!,
        ...(i > 2 ? { deps: [`t${(i * 7 + n) % i}`] } : {}),
        ...(i % 5 === 0 ? { timeoutMs: 4 } : {}),
        ...(i % 3 === 0 ? { retry: { attempts: 2, backoffMs: 1 } } : {}),
      })),
    ],
  };
}

const RUNS = 1000;
const BATCH = 25;

/** Starts `count` runs, cancels each midway (by time or by event count), resolves when all ended. */
async function runAndCancel(first: number, count: number, shared: ReturnType<typeof createScheduler>, ended: DagEvent[]): Promise<void> {
  const done: Promise<void>[] = [];
  for (let n = first; n < first + count; n++) {
    const run: DagRun = track(
      n % 2 === 0
        ? shared.submit(dagSpec(n))
        : runDag(dagSpec(n), { agents, healthCheckIntervalMs: 2, stuckAfterMs: 1, maxConcurrency: 6 }),
    );
    done.push(
      new Promise<void>((resolve) => {
        const watch = run.events$.subscribe((event) => {
          if (event.type !== 'dag.completed') return;
          ended.push(event);
          watch.unsubscribe();
          resolve();
        });
        if (n % 3 === 0) {
          run.pipe(take(5 + (n % 40))).subscribe();
        } else {
          const subscription = run.subscribe();
          setTimeout(() => subscription.unsubscribe(), 1 + (n % 12));
        }
      }),
    );
  }
  await Promise.all(done);
}

describe('no leaks', () => {
  it('should retain nothing and leave no timer after 1,000 runs cancelled midway', async () => {
    const gc = exposeGc();
    const ended: DagEvent[] = [];
    // warm up (module caches, JIT), then measure from a collected heap
    const warmup = createScheduler({ agents, maxConcurrency: 8, healthCheckIntervalMs: 2, stuckAfterMs: 1 });
    await runAndCancel(0, 50, warmup, []);
    await warmup.shutdown({ force: true });
    await tick(20);
    gc();
    tracked.length = 0;
    const baseline = resources();
    const heapBefore = process.memoryUsage().heapUsed;

    const shared = createScheduler({ agents, maxConcurrency: 8, healthCheckIntervalMs: 2, stuckAfterMs: 1 });
    for (let first = 0; first < RUNS; first += BATCH) await runAndCancel(first, BATCH, shared, ended);
    await shared.shutdown();
    await tick(30); // idle instances go after idleMs; late timers of settled attempts fire
    // on a loaded machine a late timer may need longer; a leaked one never goes, so wait (up to
    // 2 s) for the handles to come back to the baseline rather than a fixed time
    for (let waited = 0; waited < 2_000 && Object.keys(grown(baseline)).length > 0; waited += 20) await tick(20);
    await tick(0);
    gc();
    await tick(0); // WeakRefs are cleared after the job that collected them
    gc();

    expect(ended).toHaveLength(RUNS);
    expect(ended.filter((e) => e.type === 'dag.completed' && e.outcome === 'cancelled')).toHaveLength(RUNS);
    expect(grown(baseline)).toEqual({});
    expect(instancesAlive).toBe(0);
    const alive = tracked.filter((ref) => ref.deref() !== undefined).length;
    expect({ alive, of: tracked.length }).toEqual({ alive: 0, of: tracked.length });
    const growthMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    if (process.env.RXDAG_PROPERTY_STATS === '1') {
      process.stdout.write(
        `leaks: ${RUNS} runs cancelled, ${tracked.length} objects tracked, ${alive} alive, heap growth ${growthMb.toFixed(2)} MB\n`,
      );
    }
    expect(growthMb).toBeLessThan(8);
  }, 120_000);

  it('should keep no journaled run once it ended, the last one included, while its scheduler lives on idle', async () => {
    const gc = exposeGc();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-leaks-'));
    try {
      const inner = fileJournal(dir, { sync: 'none' });
      // each run's writer, watched: the scheduler must let go of it when the run ends
      const writers: WeakRef<object>[] = [];
      const journal: Journal = { ...inner, create: (header) => watched(writers, inner.create(header) as JournalWriter) };
      const shared = createScheduler({ agents: { ok: () => 'done' }, journal, healthCheckIntervalMs: 0 });
      for (let n = 0; n < 200; n++) {
        await lastValueFrom(
          shared.submit(
            {
              id: 'kept',
              tasks: [
                { id: 'a', agent: 'ok' },
                { id: 'b', agent: 'ok', deps: ['a'] },
              ],
            },
            { runId: `run-${n}` },
          ),
        );
      }
      await tick(0);
      gc();
      await tick(0);
      gc();
      // what a loaded machine may still have to run after the last run's end (its timers) is given
      // time; a writer kept by the scheduler stays kept however long it waits
      for (let waited = 0; waited < 1_000 && writers.some((ref) => ref.deref() !== undefined); waited += 20) {
        await tick(20);
        gc();
        await tick(0);
        gc();
      }
      // an idle scheduler keeps none, the last one included (nobody asked for state$, which would show it)
      expect(writers.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
      expect(writers).toHaveLength(200);
      await shared.shutdown();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('no scheduler kept after it is gone', () => {
  it('should let go of a journaled scheduler stopped with an interrupt, its runs left to resume', async () => {
    const gc = exposeGc();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-leaks-'));
    const schedulers: WeakRef<object>[] = [];
    try {
      for (let n = 0; n < 5; n++) await interruptOne(dir, n, schedulers);
      for (let waited = 0; waited < 1_000 && schedulers.some((ref) => ref.deref() !== undefined); waited += 20) {
        await tick(20);
        gc();
      }
      expect(schedulers.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** Starts a run on a scheduler of its own, watched in `refs`, and interrupts it once its tasks run. */
async function interruptOne(dir: string, n: number, refs: WeakRef<object>[]): Promise<void> {
  // an agent that runs until stopped, and an output big enough to see were it kept
  const hangs = (ctx: TaskContext) =>
    new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
  const scheduler = watched(
    refs,
    createScheduler({ agents: { hangs, ok: () => 'x'.repeat(100_000) }, journal: fileJournal(dir), healthCheckIntervalMs: 0 }),
  );
  const run = scheduler.submit(
    {
      id: 'stopped',
      tasks: [
        { id: 'a', agent: 'ok' },
        { id: 'b', agent: 'hangs', deps: ['a'] },
        { id: 'c', agent: 'hangs' },
      ],
    },
    { runId: `run-${n}` },
  );
  await new Promise<void>((resolve) =>
    run.subscribe({ next: (event) => event.type === 'task.started' && event.taskId === 'b' && resolve(), error: () => undefined }),
  );
  await scheduler.shutdown({ interrupt: true });
}

/** `value`, with a weak reference to it in `refs`. */
function watched<T extends object>(refs: WeakRef<object>[], value: T): T {
  refs.push(new WeakRef(value));
  return value;
}
