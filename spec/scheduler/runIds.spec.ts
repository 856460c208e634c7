import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { firstValueFrom, lastValueFrom, NEVER } from 'rxjs';
import { createScheduler, defineDag, fileJournal, MAX_ID_LENGTH, runDag } from '../../src';

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
      await expect(lastValueFrom(scheduler.resume('live'))).rejects.toThrow(
        'rxdag: run "live" is going on on this scheduler; there is nothing to resume while it runs',
      );
      live.unsubscribe();
      await scheduler.shutdown();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
