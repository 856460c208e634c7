import { PassThrough } from 'node:stream';
import { defineDag } from '../../../src';
import { progressReporter } from '../../../src/cli/output/progressReporter';
import { eventsOf } from '../support/eventBuilder';

/** The live progress of a run on remote workers ends with a line naming the workers (the bar names no task). */
describe('progressReporter with remote workers', () => {
  const dag = defineDag({
    id: 'd',
    tasks: [
      { id: 'a', agent: 'shell' },
      { id: 'b', agent: 'shell' },
      { id: 'c', agent: 'shell' },
    ],
  });

  function finalText(events: ReturnType<typeof eventsOf>, history?: ReturnType<typeof eventsOf>, journaled = true): string {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 160 });
    let written = '';
    stream.on('data', (chunk: Buffer) => (written += chunk.toString()));
    const reporter = progressReporter(stream, dag, {
      journaled,
      ...(history === undefined ? {} : { history, failurePolicy: 'skip-dependents' }),
    });
    for (const event of events) reporter.onEvent(event);
    reporter.finish();
    return written.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, '');
  }

  const run = eventsOf(
    { type: 'dag.created', at: 0, dagId: 'd', taskCount: 3 },
    { type: 'task.ready', at: 0, taskId: 'a', attempt: 1 },
    { type: 'task.ready', at: 0, taskId: 'b', attempt: 1 },
    { type: 'task.ready', at: 0, taskId: 'c', attempt: 1 },
    { type: 'task.started', at: 1, taskId: 'a', attempt: 1, agent: 'shell' },
    { type: 'task.completed', at: 2, taskId: 'a', attempt: 1, durationMs: 1, worker: 'box-1:10' },
    { type: 'task.started', at: 2, taskId: 'b', attempt: 1, agent: 'shell' },
    { type: 'task.completed', at: 3, taskId: 'b', attempt: 1, durationMs: 1, worker: 'box-2:20' },
    { type: 'task.started', at: 3, taskId: 'c', attempt: 1, agent: 'shell' },
    { type: 'task.completed', at: 4, taskId: 'c', attempt: 1, durationMs: 1, worker: 'box-1:10' },
    {
      type: 'dag.completed',
      at: 4,
      outcome: 'succeeded',
      durationMs: 4,
      counts: { total: 3, completed: 3, failed: 0, skipped: 0, cancelled: 0 },
    },
  );

  it('should name each worker with the tasks it completed after the final line', () => {
    expect(finalText(run)).toMatch(
      /dag\.completed succeeded: 3\/3 completed[^\n]*\nran on 2 workers: box-1:10 \(2 tasks\), box-2:20 \(1 task\); rxdag show names each task's worker\n$/,
    );
  });

  it('should not send a run that is not journaled (--no-journal) to rxdag show', () => {
    expect(finalText(run, undefined, false)).toMatch(
      /\nran on 2 workers: box-1:10 \(2 tasks\), box-2:20 \(1 task\) \(the events, --json or --events, name each task's\)\n$/,
    );
  });

  it('should count the tasks a resumed run completed before it stopped', () => {
    expect(finalText(run.slice(8), run.slice(0, 8))).toContain('ran on 2 workers: box-1:10 (2 tasks), box-2:20 (1 task);');
  });

  it('should print no such line for a local run', () => {
    const local = run.map((event) => (event.type === 'task.completed' ? { ...event, worker: undefined } : event));
    expect(finalText(JSON.parse(JSON.stringify(local)))).not.toContain('ran on');
  });
});
