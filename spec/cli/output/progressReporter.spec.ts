import { PassThrough } from 'node:stream';
import { defineDag } from '../../../src';
import { progressReporter } from '../../../src/cli/output/progressReporter';
import { eventsOf } from '../support/eventBuilder';

/** A terminal stand-in: cli-progress draws only on a stream that says it is a TTY. */
function fakeTerminal() {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 160 });
  let written = '';
  stream.on('data', (chunk: Buffer) => (written += chunk.toString()));
  return { stream, text: () => written.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, '') };
}

describe('progressReporter', () => {
  const dag = defineDag({
    id: 'd',
    defaults: { agent: 'shell' },
    tasks: [{ id: 'compile' }, { id: 'lint' }, { id: 'ship', deps: ['lint'] }],
  });
  const events = eventsOf(
    { type: 'dag.created', at: 0, dagId: 'd', taskCount: 3 },
    { type: 'task.ready', at: 0, taskId: 'compile', attempt: 1 },
    { type: 'task.ready', at: 0, taskId: 'lint', attempt: 1 },
    { type: 'task.started', at: 1, taskId: 'compile', attempt: 1, agent: 'shell' },
    { type: 'task.started', at: 2, taskId: 'lint', attempt: 1, agent: 'shell' },
    {
      type: 'task.failed',
      at: 5,
      taskId: 'lint',
      attempt: 1,
      error: { name: 'Error', message: 'bad style' },
      severity: 'error',
      willRetry: false,
    },
    { type: 'task.skipped', at: 5, taskId: 'ship', attempt: 1, because: 'lint' },
    { type: 'task.completed', at: 9, taskId: 'compile', attempt: 1, durationMs: 8 },
    {
      type: 'dag.completed',
      at: 9,
      outcome: 'failed',
      counts: { total: 3, completed: 1, failed: 1, skipped: 1, cancelled: 0 },
      durationMs: 9,
    },
  );

  it('should draw the counts and what runs now while the run goes on', async () => {
    const terminal = fakeTerminal();
    const reporter = progressReporter(terminal.stream, dag);
    for (const event of events.slice(0, 4)) reporter.onEvent(event);
    await new Promise((resolve) => setTimeout(resolve, 250)); // the bar redraws on its own timer
    reporter.finish();
    expect(terminal.text()).toMatch(/0\/3 done \| 1 running \| 1 ready \| 0 failed \| \d+s \| compile/);
  });

  it('should print failures above the bar and leave the final counts and line', () => {
    const terminal = fakeTerminal();
    const reporter = progressReporter(terminal.stream, dag);
    for (const event of events) reporter.onEvent(event);
    reporter.finish();
    const text = terminal.text();
    expect(text).toContain('task.failed lint #1 (error): Error: bad style');
    expect(text).toContain('task.skipped ship: dependency lint failed');
    expect(text).toMatch(/3\/3 done \| 0 running \| 0 ready \| 1 failed \| \d+s \| failed/);
    expect(text.trimEnd().split('\n').pop()).toBe(
      '[   0.009s] dag.completed failed: 1/3 completed, 1 failed, 1 skipped, 0 cancelled in 0.01 s',
    );
  });
});
