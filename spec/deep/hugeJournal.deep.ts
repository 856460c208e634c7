import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Observable } from 'rxjs';
import { type DagEvent, fileJournal, resumeRun, runDag } from '../../src/index';
import { ensureBuilt, runCli } from '../cli/support/builtCli';

/**
 * A journal of more text than one string holds (V8: ~512 MiB) and more bytes than Node reads at
 * once (2 GiB): 100,000 tasks whose outputs are 22,000 characters, the whole run in one flush
 * (agents that answer at once), is written, read back by `resumeRun` after its last lines are
 * cut (a crash), listed and shown by the CLI. Run by `npm run test:deep` (~2.2 GB on disk in the
 * OS temp folder), not by `npm test`.
 */
jest.setTimeout(300_000);

const TASKS = 100_000;
const OUTPUT = 'x'.repeat(22_000);

describe('a file journal past the longest string', () => {
  let dir: string;
  beforeAll(() => ensureBuilt());
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-huge-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const settled = (events$: Observable<DagEvent>) =>
    new Promise<DagEvent | undefined>((resolve, reject) => {
      let last: DagEvent | undefined;
      events$.subscribe({ next: (event) => (last = event), error: reject, complete: () => resolve(last) });
    });

  it('should be written, resumed after a crash, listed and shown', async () => {
    const tasks = Array.from({ length: TASKS }, (_, i) => ({ id: `t${i}`, agent: 'w' }));
    const journal = fileJournal(dir, { sync: 'none' });
    const ended = await settled(
      runDag({ id: 'huge', tasks }, { agents: { w: () => OUTPUT }, journal, runId: 'huge-1', healthCheckIntervalMs: 0 }),
    );
    expect(ended).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    const file = path.join(dir, 'huge-1.jsonl');
    expect(fs.statSync(file).size).toBeGreaterThan(2 ** 31);

    // a crash before the last 3 lines: the run is interrupted, its last task not recorded as done
    const fd = fs.openSync(file, 'r+');
    try {
      const tail = Buffer.alloc(64 * 1024);
      const size = fs.fstatSync(fd).size;
      fs.readSync(fd, tail, 0, tail.length, size - tail.length);
      let cut = tail.length - 1;
      for (let k = 0; k < 3; k++) cut = tail.lastIndexOf(0x0a, cut - 1);
      fs.ftruncateSync(fd, size - tail.length + cut + 1);
    } finally {
      fs.closeSync(fd);
    }
    expect(await runCli(['runs', '--store', dir, '--json'])).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('"status":"interrupted"'),
    });

    const ran: string[] = [];
    const resumed = await settled(
      resumeRun(fileJournal(dir), 'huge-1', { agents: { w: ({ id }: { id: string }) => (ran.push(id), 'y') } }),
    );
    expect(resumed).toMatchObject({ type: 'dag.completed', outcome: 'succeeded', counts: { completed: TASKS } });
    expect(ran.length).toBeLessThanOrEqual(2);

    const shown = await runCli(['show', 'huge-1', '--store', dir]);
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    expect(shown.stdout).toContain(`tasks    ${TASKS}: ${TASKS} completed`);
  });
});
