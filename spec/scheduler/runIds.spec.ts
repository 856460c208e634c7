import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { firstValueFrom, lastValueFrom, NEVER, retry, tap } from 'rxjs';
import { createScheduler, defineDag, fileJournal, MAX_ID_LENGTH, RunActiveError, runDag, SchedulerShutDownError } from '../../src';

/** The ids a scheduler gives runs, and what it says of a run id already going on. */
describe('run ids', () => {
  it('should give a run of a DAG with the longest id a run id no longer than an id may be, cut at a whole character', async () => {
    for (const dagId of ['d'.repeat(MAX_ID_LENGTH), `${'d'.repeat(MAX_ID_LENGTH - 8)}🚀🚀🚀🚀`]) {
      const created = await firstValueFrom(runDag(defineDag({ id: dagId, tasks: [{ id: 'a', agent: 'x' }] }), { agents: { x: () => 1 } }));
      expect(created.runId.length).toBeLessThanOrEqual(MAX_ID_LENGTH);
      expect(created.runId.startsWith(dagId.slice(0, 200))).toBe(true);
      expect(created.runId).not.toMatch(/[\uD800-\uDBFF]-/); // no half of a character before the suffix
    }
  });

  it('should say that a run going on has nothing to resume, rather than ask for another id', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-runids-'));
    try {
      const scheduler = createScheduler({ journal: fileJournal(dir), healthCheckIntervalMs: 0, agents: { wait: () => NEVER } });
      const live = scheduler.submit(defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'wait' }] }), { runId: 'live' }).subscribe();
      const refused = lastValueFrom(scheduler.resume('live'));
      await expect(refused).rejects.toThrow('rxdag: run "live" is going on on this scheduler; there is nothing to resume while it runs');
      await expect(refused).rejects.toMatchObject({ name: 'RunActiveError', runId: 'live', resuming: true });
      await expect(refused).rejects.toBeInstanceOf(RunActiveError);
      live.unsubscribe();
      await scheduler.shutdown();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('should refuse a second run under the id of one going on with RunActiveError, starting nothing of it', async () => {
    const calls: string[] = [];
    const scheduler = createScheduler({ healthCheckIntervalMs: 0, agents: { wait: ({ id }) => (calls.push(id), NEVER) } });
    const live = scheduler.submit(defineDag({ id: 'd', tasks: [{ id: 'first', agent: 'wait' }] }), { runId: 'same' }).subscribe();
    const refused = lastValueFrom(scheduler.submit(defineDag({ id: 'e', tasks: [{ id: 'second', agent: 'wait' }] }), { runId: 'same' }));
    await expect(refused).rejects.toBeInstanceOf(RunActiveError);
    await expect(refused).rejects.toMatchObject({
      runId: 'same',
      resuming: false,
      message: 'rxdag: runId "same" is already used by a run going on on this scheduler; give each run its own runId',
    });
    expect(calls).toEqual(['first']);
    live.unsubscribe();
    await scheduler.shutdown();
  });

  it('should give ids that differ across processes and restarts, whose counters start again at 1', async () => {
    const spec = { id: 'order', tasks: [{ id: 'a', agent: 'x' }] };
    // the random part alike in every process: the time must keep the ids apart
    const random = jest.spyOn(Math, 'random').mockReturnValue(0.5);
    const firstIdOfNewProcess = async (): Promise<string> => {
      let fresh: typeof import('../../src') | undefined;
      jest.isolateModules(() => {
        fresh = require('../../src') as typeof import('../../src'); // its run counter starts at 1
      });
      return (await firstValueFrom(fresh!.runDag(fresh!.defineDag(spec), { agents: { x: () => 1 } }))).runId;
    };
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push(await firstIdOfNewProcess());
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      expect(new Set(ids).size).toBe(3);
      for (const id of ids) expect(id).toMatch(/^order-[0-9a-z]{13,}$/);
    } finally {
      random.mockRestore();
    }
  });

  it('should free a run id from its dag.completed on: the next run under it may start from there, or from retry()', async () => {
    const scheduler = createScheduler({ healthCheckIntervalMs: 0, agents: { ok: () => 1 } });
    const dag = defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'ok' }] });
    const outcomes: string[] = [];
    await new Promise<void>((done, failed) => {
      scheduler.submit(dag, { runId: 'same' }).subscribe({
        next: (event) => {
          if (event.type !== 'dag.completed') return;
          outcomes.push(event.outcome);
          scheduler.submit(dag, { runId: 'same' }).subscribe({
            next: (again) => again.type === 'dag.completed' && outcomes.push(again.outcome),
            error: failed,
            complete: done,
          });
        },
        error: failed,
      });
    });
    expect(outcomes).toEqual(['succeeded', 'succeeded']);
    // a whole run retried under a fixed id when it failed
    let calls = 0;
    const flaky = createScheduler({
      healthCheckIntervalMs: 0,
      agents: { flaky: () => (++calls < 3 ? Promise.reject(new Error('no')) : 1) },
    });
    const last = await lastValueFrom(
      flaky.submit(defineDag({ id: 'f', tasks: [{ id: 'a', agent: 'flaky', retry: { attempts: 1 } }] }), { runId: 'order-123' }).pipe(
        tap((event) => {
          if (event.type === 'dag.completed' && event.outcome !== 'succeeded') throw new Error('run failed');
        }),
        retry(5),
      ),
    );
    expect(last).toMatchObject({ type: 'dag.completed', runId: 'order-123', outcome: 'succeeded' });
    expect(calls).toBe(3);
    await Promise.all([scheduler.shutdown(), flaky.shutdown()]);
  });

  it('should refuse a scheduler given one run id for all its runs, naming where a run gets its own', () => {
    const options = { agents: { x: () => 1 }, runId: 'fixed' };
    expect(() => createScheduler(options as Parameters<typeof createScheduler>[0])).toThrow(
      new TypeError('rxdag: invalid options: `runId` names one run, not a scheduler: give each run its own with submit(dag, { runId })'),
    );
  });

  it('should refuse a run on a scheduler that was shut down with SchedulerShutDownError', async () => {
    const scheduler = createScheduler({ healthCheckIntervalMs: 0, agents: { x: () => 1 } });
    await scheduler.shutdown();
    const refused = lastValueFrom(scheduler.submit(defineDag({ id: 'late', tasks: [{ id: 'a', agent: 'x' }] })));
    await expect(refused).rejects.toBeInstanceOf(SchedulerShutDownError);
    await expect(refused).rejects.toMatchObject({
      name: 'SchedulerShutDownError',
      message: 'rxdag: scheduler is shut down; run of DAG "late" refused',
    });
  });
});
