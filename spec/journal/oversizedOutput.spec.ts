import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { type DagEvent, fileJournal, runDag } from '../../src/index';

/**
 * An output whose JSON text is longer than a string holds fails its attempt, named, not retried,
 * and the journaled run goes on and ends: it used to stop the run at the journal's write (and
 * each resume ran the task again and stopped the same way).
 */
describe('an output too long for a JSON event', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-oversized-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('should fail its attempt without a retry, and the journaled run should end', async () => {
    const part = '\u0001'.repeat(90 * 1024 * 1024); // six characters each as JSON
    let calls = 0;
    const agents = {
      big: () => {
        calls++;
        return part;
      },
      small: () => 'ok',
    };
    const dag = {
      id: 'd',
      tasks: [
        { id: 'huge', agent: 'big', retry: { attempts: 3, backoffMs: 0 } },
        { id: 'other', agent: 'small' },
      ],
    };
    const journal = fileJournal(dir, { sync: 'none' });
    const events: DagEvent[] = await lastValueFrom(runDag(dag, { agents, journal, runId: 'r', healthCheckIntervalMs: 0 }).pipe(toArray()));
    const failed = events.filter((event) => event.type === 'task.failed');
    expect(failed.map((event) => [event.taskId, event.error.name, event.willRetry])).toEqual([['huge', 'OutputNotJsonSafeError', false]]);
    expect(failed[0]!.error.message).toMatch(/^output of task "huge" is not JSON-safe: \$ is \d+ bytes long as JSON text \(UTF-8\)/);
    expect(calls).toBe(1);
    const [run] = await journal.runs();
    expect([run!.status, run!.counts]).toEqual(['failed', { total: 2, completed: 1, failed: 1, skipped: 0, cancelled: 0 }]);
  });
});
