import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { firstValueFrom, lastValueFrom, NEVER } from 'rxjs';
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
