import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom } from 'rxjs';
import { type DagEvent, events, type FailurePolicy, fileJournal, type JournalWriter, resumeRun } from '../../src/index';

/**
 * A run whose process died while it was being ended early (some tasks cancelled, its
 * `dag.completed` not written) is ended again on resume, as it was going to end: `failed` when a
 * failure ended it (a critical one, or any under `fail-fast`), `cancelled` when it was cancelled,
 * also after a task had failed without ending it.
 */
describe('resuming a run that died while being ended early', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-ending-early-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Journals run `runId`: a fails (with `severity`, for good), then b is cancelled; c is left pending. */
  async function diedWhileEnding(runId: string, failurePolicy: FailurePolicy, severity: 'error' | 'critical'): Promise<DagEvent> {
    const writer = (await fileJournal(dir).create({
      runId,
      dagId: 'd',
      spec: { id: 'd', defaults: { agent: 'w' }, tasks: [{ id: 'a' }, { id: 'b' }, { id: 'c', deps: ['b'] }] },
      options: { failurePolicy, contextInjection: false },
      createdAt: 0,
    })) as JournalWriter;
    let seq = 0;
    const at = 0;
    writer.append([
      events.dagCreated({ runId, seq: ++seq, at, dagId: 'd', taskCount: 3 }),
      events.taskReady({ runId, seq: ++seq, at, taskId: 'a', attempt: 1 }),
      events.taskReady({ runId, seq: ++seq, at, taskId: 'b', attempt: 1 }),
      events.taskStarted({ runId, seq: ++seq, at, taskId: 'a', attempt: 1, agent: 'w' }),
      events.taskStarted({ runId, seq: ++seq, at, taskId: 'b', attempt: 1, agent: 'w' }),
      events.taskFailed({
        runId,
        seq: ++seq,
        at,
        taskId: 'a',
        attempt: 1,
        error: { name: 'Error', message: 'boom' },
        severity,
        willRetry: false,
      }),
      events.taskCancelled({ runId, seq: ++seq, at, taskId: 'b', attempt: 1 }),
    ]);
    await writer.close();
    return lastValueFrom(resumeRun(fileJournal(dir), runId, { agents: { w: () => 'done' }, healthCheckIntervalMs: 0 }));
  }

  it('should end as cancelled a run cancelled after a failure that did not end it', async () => {
    expect(await diedWhileEnding('cancelled', 'skip-dependents', 'error')).toMatchObject({ type: 'dag.completed', outcome: 'cancelled' });
  });

  it('should end as failed a run a critical failure, or any failure under fail-fast, was ending', async () => {
    expect(await diedWhileEnding('critical', 'skip-dependents', 'critical')).toMatchObject({ type: 'dag.completed', outcome: 'failed' });
    expect(await diedWhileEnding('fast', 'fail-fast', 'error')).toMatchObject({ type: 'dag.completed', outcome: 'failed' });
  });
});
