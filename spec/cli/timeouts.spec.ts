import { readFileSync } from 'node:fs';
import type { DagEvent } from '../../src/index';
import { readEventLog, tempDir, writeText } from './support/files';
import { rxdagInProcess as rxdag } from './support/inProcessCli';

/**
 * A shell task whose time ran out: what the command had written by then is part of its recorded
 * error, so the events log, the journal, `rxdag show` and the report say where it hung, as the
 * run's own lines do.
 */
describe('rxdag run and rxdag show of a shell task whose time ran out', () => {
  const tmp = tempDir();
  const store = tmp.file('store');
  const eventsFile = tmp.file('events.jsonl');
  const tail = 'task "slow-e2e" timed out after 1500 ms\nbefore its time ran out, last stdout lines:\ne2e start';
  let run: Awaited<ReturnType<typeof rxdag>>;
  let runId = '';
  beforeAll(async () => {
    const dag = writeText(
      tmp.file('ci.yaml'),
      ['id: ci', 'tasks:', '  - id: slow-e2e', '    run: "echo e2e start; sleep 5"', '    timeoutMs: 1500', ''].join('\n'),
    );
    run = await rxdag('run', dag, '--store', store, '--events', eventsFile, '--kill-grace', '100');
    runId = /^rxdag: run (\S+) /m.exec(run.stderr)![1]!;
  }, 30_000);
  afterAll(() => tmp.remove());

  const failedOf = (events: readonly DagEvent[]) => events.find((event) => event.type === 'task.failed');

  it('should record the last lines in the error of task.failed and dag.completed, its name still TaskTimeoutError', () => {
    expect(run.code).toBe(1);
    const events = readEventLog(eventsFile);
    expect(failedOf(events)).toMatchObject({ taskId: 'slow-e2e', error: { name: 'TaskTimeoutError', message: tail } });
    expect(events.at(-1)).toMatchObject({ type: 'dag.completed', failures: [{ taskId: 'slow-e2e', error: { message: tail } }] });
    const journal = readFileSync(`${store}/${runId}.jsonl`, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"task.failed"'))
      .map((line) => JSON.parse(line) as DagEvent);
    expect(failedOf(journal)).toMatchObject({ error: { name: 'TaskTimeoutError', message: tail } });
  });

  it('should print the last lines once under the task.failed line and in the list of failures', () => {
    const quoted = '            before its time ran out, last stdout lines:\n            e2e start\n';
    expect(run.stdout).toContain(`task.failed slow-e2e #1 (error): TaskTimeoutError: task "slow-e2e" timed out after 1500 ms\n${quoted}`);
    expect(run.stdout.split('before its time ran out')).toHaveLength(3);
    expect(run.stdout).toContain(
      '  slow-e2e (attempt 1): TaskTimeoutError: task "slow-e2e" timed out after 1500 ms\n      before its time ran out, last stdout lines:\n      e2e start\n',
    );
  });

  it('should show the last lines in rxdag show, its --json and its report', async () => {
    const report = tmp.file('report.html');
    const shown = await rxdag('show', runId, '--store', store, '--report', report);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(
      '  slow-e2e (attempt 1): TaskTimeoutError: task "slow-e2e" timed out after 1500 ms\n      before its time ran out, last stdout lines:\n      e2e start\n',
    );
    const json = JSON.parse((await rxdag('show', runId, '--store', store, '--json')).stdout) as { failures: unknown[] };
    expect(json.failures).toEqual([expect.objectContaining({ taskId: 'slow-e2e', error: { name: 'TaskTimeoutError', message: tail } })]);
    expect(readFileSync(report, 'utf8')).toContain('before its time ran out, last stdout lines:\ne2e start');
  });
});
