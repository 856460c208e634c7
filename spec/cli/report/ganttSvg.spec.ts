import { ganttSvg } from '../../../src/cli/report/ganttSvg';
import { buildRunModel } from '../../../src/cli/report/runModel';
import { eventsOf } from '../support/eventBuilder';
import { slotWaits } from './waitRuns';

const error = { name: 'Error', message: 'flaky' };

/** The setup of a DAG file that declares no limit, weight or trigger rule. */
const noLimits = { limits: {}, tasks: new Map() };

/**
 * Three ways a task starts after it became ready, with a concurrency limit of 2, no named limit
 * and an `llm` agent of capacity 1: `c` waits for a slot (a and b hold both), `d` starts 2 ms
 * after it is ready while nothing is short (dispatch latency), `f` waits for the one `llm` (e
 * holds it).
 */
const events = eventsOf(
  { type: 'dag.created', at: 0, dagId: 'waits', taskCount: 6 },
  ...slotWaits,
  { type: 'task.ready', at: 60, taskId: 'e', attempt: 1 },
  { type: 'task.ready', at: 60, taskId: 'f', attempt: 1 },
  { type: 'task.started', at: 60, taskId: 'e', attempt: 1, agent: 'llm' },
  { type: 'task.completed', at: 90, taskId: 'e', attempt: 1, durationMs: 30 },
  { type: 'agent.available', at: 90, agent: 'llm' },
  { type: 'task.started', at: 90, taskId: 'f', attempt: 1, agent: 'llm' },
  { type: 'task.completed', at: 95, taskId: 'd', attempt: 1, durationMs: 43 },
  { type: 'task.completed', at: 100, taskId: 'f', attempt: 1, durationMs: 10 },
  {
    type: 'dag.completed',
    at: 100,
    outcome: 'succeeded',
    counts: { total: 6, completed: 6, failed: 0, skipped: 0, cancelled: 0 },
    durationMs: 100,
    failures: [],
  },
);

/** The titles of the lines drawn from ready to first start, by task. */
function waitLines(svg: string): Record<string, [kind: string, title: string]> {
  return Object.fromEntries(
    [
      ...svg.matchAll(
        /<g class="gantt-row" data-task="([^"]+)">(?:(?!<\/g>).)*?<line class="(queued|dispatch)"[^>]*><title>([^<]*)<\/title>/g,
      ),
    ].map((m) => [m[1]!, [m[2]!, m[3]!]]),
  );
}

describe('the report timeline', () => {
  it('should say a task waited for a slot only when every slot was busy, else call the gap dispatch latency', () => {
    const model = buildRunModel(events, { setup: noLimits, maxConcurrency: 2 });
    expect(Object.fromEntries(model.tasks.map((task) => [task.id, task.wait]))).toEqual({
      a: undefined,
      b: undefined,
      c: { kind: 'waited', ms: 50, thenMs: 0, cause: { kind: 'slot', concurrency: 2, held: { attempts: 2, units: 2 }, weight: 1 } },
      d: { kind: 'dispatch', ms: 2 },
      e: undefined,
      f: { kind: 'waited', ms: 30, thenMs: 0, cause: { kind: 'agent', agent: 'llm' } },
    });
    expect(waitLines(ganttSvg(model, new Set()))).toEqual({
      c: ['queued', 'c: waited 50 ms for a free slot (the run&#39;s concurrency: 2, 2 running)'],
      d: ['dispatch', 'd: dispatch latency 2 ms (ready → started; no slot was short)'],
      f: ['queued', 'f: waited 30 ms for a free &quot;llm&quot; agent (its capacity was full)'],
    });
  });

  it('should draw a wait it cannot explain thin, as it draws dispatch latency, and say why it cannot tell', () => {
    // without the DAG's limits and the run's concurrency, c's 50 ms may be a limit or the run's slots
    expect(waitLines(ganttSvg(buildRunModel(events), new Set()))).toMatchObject({
      c: ['dispatch', 'c: waited 50 ms (ready → started; without the DAG&#39;s limits the report cannot tell what for)'],
    });
  });

  it('should call a start delayed by spawning a process dispatch latency, as in a run of shell tasks below the limit', () => {
    // from a real run of examples/data-pipeline.yaml (-c 8): spawning each shell task takes ~20 ms
    const model = buildRunModel(
      eventsOf(
        { type: 'dag.created', at: 0, dagId: 'data-pipeline', taskCount: 3 },
        { type: 'task.ready', at: 0, taskId: 'extract-users', attempt: 1 },
        { type: 'task.ready', at: 0, taskId: 'extract-orders', attempt: 1 },
        { type: 'task.ready', at: 0, taskId: 'fetch-rates', attempt: 1 },
        { type: 'task.started', at: 0, taskId: 'extract-orders', attempt: 1, agent: 'shell' },
        { type: 'task.started', at: 18, taskId: 'extract-users', attempt: 1, agent: 'shell' },
        { type: 'task.started', at: 58, taskId: 'fetch-rates', attempt: 1, agent: 'shell' },
        { type: 'task.completed', at: 93, taskId: 'fetch-rates', attempt: 1, durationMs: 35 },
        { type: 'task.completed', at: 288, taskId: 'extract-users', attempt: 1, durationMs: 270 },
        { type: 'task.completed', at: 358, taskId: 'extract-orders', attempt: 1, durationMs: 358 },
      ),
      { setup: noLimits },
    );
    const svg = ganttSvg(model, new Set());
    expect(svg).not.toContain('for a free slot');
    expect(waitLines(svg)).toEqual({
      'extract-users': ['dispatch', 'extract-users: dispatch latency 18 ms (ready → started; no slot was short)'],
      'fetch-rates': ['dispatch', 'fetch-rates: dispatch latency 58 ms (ready → started; no slot was short)'],
    });
  });

  it('should be wide enough for every label, even a task that ends at the very end of the run', () => {
    // `late` is cancelled at the end without an attempt (its label starts at the right edge of
    // the chart) and `retried`'s last attempt ends with the run (its "#3" follows the bar)
    const model = buildRunModel(
      eventsOf(
        { type: 'dag.created', at: 0, dagId: 'edge', taskCount: 3 },
        { type: 'task.ready', at: 0, taskId: 'retried', attempt: 1 },
        { type: 'task.started', at: 0, taskId: 'retried', attempt: 1, agent: 'sleep' },
        { type: 'task.failed', at: 100, taskId: 'retried', attempt: 1, error, severity: 'error', willRetry: true },
        { type: 'task.started', at: 200, taskId: 'retried', attempt: 2, agent: 'sleep' },
        { type: 'task.failed', at: 300, taskId: 'retried', attempt: 2, error, severity: 'error', willRetry: true },
        { type: 'task.started', at: 400, taskId: 'retried', attempt: 3, agent: 'sleep' },
        { type: 'task.ready', at: 400, taskId: 'a-task-with-a-rather-long-name-for-its-label', attempt: 1 },
        { type: 'task.skipped', at: 1000, taskId: 'skipped-late', attempt: 1, because: 'retried' },
        { type: 'task.cancelled', at: 1000, taskId: 'a-task-with-a-rather-long-name-for-its-label', attempt: 1 },
        { type: 'task.completed', at: 1000, taskId: 'retried', attempt: 3, durationMs: 600 },
        {
          type: 'dag.completed',
          at: 1000,
          outcome: 'cancelled',
          counts: { total: 3, completed: 1, failed: 0, skipped: 1, cancelled: 1 },
          durationMs: 1000,
          failures: [],
        },
      ),
    );
    const critical = new Set(['a-task-with-a-rather-long-name-for-its-label']);
    const svg = ganttSvg(model, critical);
    // a retried attempt's time is its own, its retry said after it (not "retried in" the attempt's time)
    expect(svg).toContain('<title>retried #1 on sleep: failed in 100 ms (0 ms → 100 ms), retried\n');
    const width = Number(/^<svg[^>]* width="([\d.]+)"/.exec(svg)![1]);
    const texts = [
      ...svg.matchAll(/<text class="([^"]*)" x="([-\d.]+)" y="[^"]*"(?: text-anchor="(\w+)")?>(?:<title>[^<]*<\/title>)?([^<]*)<\/text>/g),
    ];
    expect(texts.map((m) => m[4])).toEqual(expect.arrayContaining(['#3', 'cancelled', 'skipped', '★ a-task-with-a-rather-long-n…']));
    for (const [, cls, at, anchor, text] of texts) {
      // about 0.6 em a character, more than most fonts take on average
      const drawn = [...text!].length * (cls === 'attempt-label' ? 10 : 11) * 0.6;
      const left = anchor === 'end' ? Number(at) - drawn : anchor === 'middle' ? Number(at) - drawn / 2 : Number(at);
      expect({ text, left: left >= 0, right: left + drawn <= width }).toEqual({ text, left: true, right: true });
    }
  });

  it('should label attempts close together without writing one label over another', () => {
    // 5 quick failures in the first 5 ms of a run that lasts 10 s: their bars and labels fall together
    const quick = Array.from({ length: 5 }, (_, i) => [
      { type: 'task.started' as const, at: i, taskId: 'q', attempt: i + 1, agent: 'shell' },
      { type: 'task.failed' as const, at: i + 0.5, taskId: 'q', attempt: i + 1, error, severity: 'error' as const, willRetry: i < 4 },
      ...(i < 4 ? [{ type: 'task.retrying' as const, at: i + 1, taskId: 'q', attempt: i + 2 }] : []),
    ]).flat();
    const model = buildRunModel(
      eventsOf(
        { type: 'dag.created', at: 0, dagId: 'quick', taskCount: 2 },
        { type: 'task.ready', at: 0, taskId: 'q', attempt: 1 },
        ...quick,
        { type: 'task.ready', at: 0, taskId: 'long', attempt: 1 },
        { type: 'task.started', at: 0, taskId: 'long', attempt: 1, agent: 'shell' },
        { type: 'task.completed', at: 10_000, taskId: 'long', attempt: 1, durationMs: 10_000 },
      ),
    );
    const labels = [
      ...ganttSvg(model, new Set()).matchAll(/<text class="attempt-label" x="([\d.]+)"[^>]*>(?:<title>[^<]*<\/title>)?([^<]*)<\/text>/g),
    ];
    expect(labels.length).toBeGreaterThan(0);
    // each label starts past the end of the one before it (~0.6 em a character)
    for (let i = 1; i < labels.length; i++) {
      expect(Number(labels[i]![1])).toBeGreaterThanOrEqual(Number(labels[i - 1]![1]) + labels[i - 1]![2]!.length * 10 * 0.6);
    }
    expect(labels[0]![2]).toBe('#1');
  });

  it('should end a backoff when its retry was due, and say what the retry then waited for', () => {
    // r (limit db, 1 at once) fails at 100; hog takes db at 100; r's retry is due at 200 but starts at 3000, as hog ends
    const setup = {
      limits: { db: { concurrency: 1 } },
      tasks: new Map([
        ['r', { limits: ['db'] }],
        ['hog', { limits: ['db'] }],
      ]),
    };
    const held = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'held', taskCount: 2 },
      { type: 'task.ready', at: 0, taskId: 'r', attempt: 1 },
      { type: 'task.started', at: 0, taskId: 'r', attempt: 1, agent: 'sleep' },
      { type: 'task.ready', at: 50, taskId: 'hog', attempt: 1 },
      { type: 'task.failed', at: 100, taskId: 'r', attempt: 1, error, severity: 'error', willRetry: true },
      { type: 'task.started', at: 100, taskId: 'hog', attempt: 1, agent: 'sleep' },
      { type: 'task.retrying', at: 200, taskId: 'r', attempt: 2 },
      { type: 'task.completed', at: 3000, taskId: 'hog', attempt: 1, durationMs: 2900 },
      { type: 'task.started', at: 3000, taskId: 'r', attempt: 2, agent: 'sleep' },
      { type: 'task.completed', at: 3100, taskId: 'r', attempt: 2, durationMs: 100 },
    );
    const linesOf = (svg: string) =>
      [...svg.matchAll(/<g class="gantt-row" data-task="r">([\s\S]*?)<\/g>/g)].flatMap((row) => [
        ...row[1]!.matchAll(/<line class="(backoff|queued|dispatch)" x1="([\d.]+)"[^>]* x2="([\d.]+)"[^>]*><title>([^<]*)<\/title>/g),
      ]);
    const lines = linesOf(ganttSvg(buildRunModel(held, { setup, maxConcurrency: 4 }), new Set()));
    expect(lines.map((m) => [m[1], m[4]])).toEqual([
      ['backoff', 'r: backoff before attempt #2'],
      ['queued', 'r #2: waited 2.80 s for limit db (its concurrency: 1, 1 running)'],
    ]);
    // the backoff line ends where the wait begins
    expect(lines[0]![3]).toBe(lines[1]![2]);
    // without the DAG's limits, the report cannot tell what the retry waited for, and says so
    expect(linesOf(ganttSvg(buildRunModel(held), new Set())).map((m) => m[4])).toEqual([
      'r: backoff before attempt #2',
      // (the title is HTML: its apostrophe escaped)
      'r #2: waited 2.80 s (ready → started; without the DAG&#39;s limits the report cannot tell what for)',
    ]);
  });

  it('should say a retry that waited across a stop and resume of the run waited so, not for a slot', () => {
    const model = buildRunModel(
      eventsOf(
        { type: 'dag.created', at: 0, dagId: 'stopped', taskCount: 1 },
        { type: 'task.ready', at: 0, taskId: 'r', attempt: 1 },
        { type: 'task.started', at: 0, taskId: 'r', attempt: 1, agent: 'sleep' },
        { type: 'task.failed', at: 100, taskId: 'r', attempt: 1, error, severity: 'error', willRetry: true },
        { type: 'task.retrying', at: 200, taskId: 'r', attempt: 2 },
        { type: 'run.resumed', at: 10000, resumedAfterSeq: 5, interrupted: [] },
        { type: 'task.started', at: 10000, taskId: 'r', attempt: 2, agent: 'sleep' },
        { type: 'task.completed', at: 10100, taskId: 'r', attempt: 2, durationMs: 100 },
      ),
    );
    const waits = [...ganttSvg(model, new Set()).matchAll(/<line class="queued"[^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1]);
    expect(waits).toEqual(['r #2: waited 9.80 s (ready → started), across a stop and resume of the run']);
  });

  it('should name the worker of a remote attempt, and say an attempt a resume took up again on its worker was not run twice', () => {
    const model = buildRunModel(
      eventsOf(
        { type: 'dag.created', at: 0, dagId: 'remote', taskCount: 1 },
        { type: 'task.ready', at: 0, taskId: 'job', attempt: 1 },
        { type: 'task.started', at: 0, taskId: 'job', attempt: 1, agent: 'shell' },
        { type: 'run.resumed', at: 5000, resumedAfterSeq: 3, interrupted: ['job'] },
        { type: 'task.started', at: 5000, taskId: 'job', attempt: 1, agent: 'shell' },
        { type: 'run.resumed', at: 6000, resumedAfterSeq: 5, interrupted: ['job'] },
        { type: 'task.started', at: 6000, taskId: 'job', attempt: 1, agent: 'shell' },
        { type: 'task.completed', at: 8000, taskId: 'job', attempt: 1, durationMs: 3000, worker: 'gpu-1:4242' },
      ),
    );
    const tips = [...ganttSvg(model, new Set()).matchAll(/<rect class="bar[^"]*"[^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1]);
    // stopped twice: both interrupted bars of the attempt were taken up
    const takenUp = expect.stringContaining(
      'the resume took its job up again (a remote attempt: its worker may have gone on running it meanwhile)',
    );
    expect(tips).toEqual([
      takenUp,
      takenUp,
      expect.stringMatching(
        /^job #1 on shell \(worker gpu-1:4242\): completed in 2\.00 s \(6\.00 s → 8\.00 s, timed from the resume that took it up: it may have started on its worker before\)$/,
      ),
    ]);
  });
});
