import { SpanStatusCode } from '@opentelemetry/api';
import { formatSpans, traceRun } from '../../examples/trace-run';

// the example imports the package by name, as users do; here that name is the source, not dist/

describe('examples/trace-run', () => {
  it('should trace the run: one run span, one child span per attempt, the timeout and the skipped task', async () => {
    const [run, ...attempts] = await traceRun();
    expect(run).toMatchObject({
      name: 'rxdag.run nightly-report',
      attributes: expect.objectContaining({ 'rxdag.outcome': 'failed', 'rxdag.tasks.completed': 3, 'rxdag.tasks.skipped': 1 }),
      status: { code: SpanStatusCode.ERROR, message: '1 task failed: thumbnails (task "thumbnails" timed out after 30 ms)' },
    });
    expect(attempts.map((span) => `${span.name} #${span.attributes['rxdag.attempt']} ${span.attributes['rxdag.outcome']}`).sort()).toEqual([
      'rxdag.task fetch #1 completed',
      'rxdag.task parse #1 failed',
      'rxdag.task parse #2 completed',
      'rxdag.task summarize #1 completed',
      'rxdag.task thumbnails #1 timed-out',
    ]);
    for (const span of attempts) expect(span.parentSpanContext?.spanId).toBe(run!.spanContext().spanId);
    // in the order they came, which real time decides (a busy machine may time `thumbnails` out first)
    expect(run!.events.map((event) => `${event.name} ${String(event.attributes?.['rxdag.task_id'])}`).sort()).toEqual([
      'task.retrying parse',
      'task.skipped publish',
    ]);
  });

  it('should print the run, each attempt indented under it, and the run’s events', async () => {
    const lines = formatSpans(await traceRun());
    expect(lines[0]).toMatch(/^rxdag\.run nightly-report +0 → +\d+ ms {2}failed {2}ERROR: 1 task failed: thumbnails/);
    expect(lines.filter((line) => line.startsWith('  rxdag.task '))).toHaveLength(5);
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}rxdag\.task thumbnails #1 +\d+ → +\d+ ms {2}timed-out +ERROR: task "thumbnails" timed out after 30 ms$/),
    );
    // the run's events last, in the order they came
    expect(lines.slice(-2).sort()).toEqual([
      expect.stringMatching(/^ {2}· task\.retrying parse at \d+ ms$/),
      expect.stringMatching(/^ {2}· task\.skipped publish at \d+ ms$/),
    ]);
  });
});
