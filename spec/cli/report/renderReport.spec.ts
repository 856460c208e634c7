import { LARGE_RUN_TASKS, renderReport } from '../../../src/cli/report/renderReport';
import { eventsOf, oneTaskStarted } from '../support/eventBuilder';
import { rateRun } from './waitRuns';

/** Two tasks of a DAG with one limit, api (1 start a window of 500 ms), run at -c 1: `a` ended at 12 ms. */
const events = rateRun;
const setup = {
  limits: { api: { rate: { limit: 1, intervalMs: 500 } } },
  tasks: new Map([
    ['a', { limits: ['api'] }],
    ['b', { limits: ['api'] }],
  ]),
};
const deps = { a: [], b: [] };

/** The title of the line from ready to first start of `taskId`. */
function waitOf(html: string, taskId: string): string | undefined {
  return new RegExp(
    `<g class="gantt-row" data-task="${taskId}">(?:(?!</g>).)*?<line class="(?:queued|dispatch)"[^>]*><title>([^<]*)</title>`,
  ).exec(html)?.[1];
}

describe('renderReport', () => {
  it("should tell the timeline the DAG's limits", () => {
    const html = renderReport({ events, deps, setup, maxConcurrency: 1 });
    // -c 1 was not what held b: the slot a held was free from 12 ms on
    expect(waitOf(html, 'b')).toBe('b: waited 500 ms for limit api (its rate: 1 per 500 ms), started 1 ms later');
    expect(html).toContain('<span class="swatch-line queued"></span>waited for a slot, a limit or its agent</span>');
  });

  it("should give a spawned task's rules in the table from its spawn, and pass over a spawn a log holds malformed", () => {
    const spawning = eventsOf(
      ...oneTaskStarted('spawn', 'plan', 'planner'),
      { type: 'tasks.spawned', at: 5, taskId: 'plan', attempt: 1, tasks: [{ id: 's1', agent: 'llm', limits: ['api'], weight: 2 }] },
      { type: 'tasks.spawned', at: 5, taskId: 'plan', attempt: 1, tasks: 'not a list' as never },
      { type: 'task.completed', at: 5, taskId: 'plan', attempt: 1, durationMs: 5 },
      { type: 'task.ready', at: 5, taskId: 's1', attempt: 1 },
      { type: 'task.started', at: 5, taskId: 's1', attempt: 1, agent: 'llm' },
      { type: 'task.completed', at: 9, taskId: 's1', attempt: 1, durationMs: 4 },
    );
    const html = renderReport({ events: spawning, deps: { plan: [] }, setup: { limits: { api: { concurrency: 2 } }, tasks: new Map() } });
    expect(html).toMatch(/<tr data-task="s1" class="completed">.*?<td>llm<\/td><td>limits api · weight 2<\/td>/);
    // without the DAG's setup the table has no rules at all, not those of spawned tasks alone
    expect(renderReport({ events: spawning })).not.toContain('<th scope="col">Rules</th>');
  });

  it("should say the run was full only when told the run's concurrency", () => {
    const oneAtATime = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'serial', taskCount: 2 },
      { type: 'task.ready', at: 0, taskId: 'x', attempt: 1 },
      { type: 'task.ready', at: 0, taskId: 'y', attempt: 1 },
      { type: 'task.started', at: 0, taskId: 'x', attempt: 1, agent: 'sleep' },
      { type: 'task.completed', at: 40, taskId: 'x', attempt: 1, durationMs: 40 },
      { type: 'task.started', at: 40, taskId: 'y', attempt: 1, agent: 'sleep' },
      { type: 'task.completed', at: 50, taskId: 'y', attempt: 1, durationMs: 10 },
    );
    const noLimits = { limits: {}, tasks: new Map() };
    expect(waitOf(renderReport({ events: oneAtATime, setup: noLimits, maxConcurrency: 1 }), 'y')).toBe(
      'y: waited 40 ms for a free slot (the run&#39;s concurrency: 1, 1 running)',
    );
    expect(waitOf(renderReport({ events: oneAtATime, setup: noLimits }), 'y')).toBe(
      'y: waited 40 ms until an attempt ended (1 running; the run never held more than 1 at once: perhaps its concurrency limit)',
    );
  });

  it('should say in the table what held each task back, where a keyboard reaches it', () => {
    const html = renderReport({ events, deps, setup, maxConcurrency: 1 });
    const table = html.slice(html.indexOf('<table'));
    expect([cellsOf(table, 'a').Waited, cellsOf(table, 'b').Waited]).toEqual(['', '500 ms for limit api (its rate: 1 per 500 ms)']);
    // nothing held anything back: no column
    expect(renderReport({ events: rateRun.slice(0, 4) }).includes('<th scope="col">Waited</th>')).toBe(false);
  });

  it('should not name a limit it was not told of', () => {
    expect(waitOf(renderReport({ events }), 'b')).toBe(
      'b: waited 501 ms (ready → started; without the DAG&#39;s limits the report cannot tell what for)',
    );
  });
});

/** Each bar of `taskId`'s row of the timeline: its class and its tooltip. */
function barsOf(html: string, taskId: string): [cls: string, title: string][] {
  const row = new RegExp(`<g class="gantt-row" data-task="${taskId}">(.*?)</g>`, 's').exec(html)?.[1] ?? '';
  return [...row.matchAll(/<rect class="(bar[^"]*)"[^>]*><title>([^<]*)<\/title>/g)].map((m) => [m[1]!, m[2]!]);
}

/** The cells of `taskId`'s row of the table, as text. */
function cellsOf(html: string, taskId: string): Record<string, string> {
  const head = [...(/<thead><tr>(.*?)<\/tr>/.exec(html)?.[1] ?? '').matchAll(/<th scope="col">([^<]*)<\/th>/g)].map((m) => m[1]!);
  const row = new RegExp(`<tr data-task="${taskId}"[^>]*>(.*?)</tr>`, 's').exec(html)?.[1] ?? '';
  const cells = [...row.matchAll(/<td>(.*?)<\/td>/gs)].map((m) => m[1]!.replace(/<[^>]*>/g, ''));
  return Object.fromEntries(head.map((name, i) => [name, cells[i]!]));
}

describe('renderReport of a run whose process stopped', () => {
  /** `a -> b -> c` and `a -> d`; SIGTERM stopped the run while `b` ran, after `d` completed at 2.1 s. */
  const stopped = eventsOf(
    { type: 'dag.created', at: 0, dagId: 'long', taskCount: 4 },
    { type: 'task.ready', at: 0, taskId: 'a', attempt: 1 },
    { type: 'task.started', at: 1, taskId: 'a', attempt: 1, agent: 'shell' },
    { type: 'task.completed', at: 221, taskId: 'a', attempt: 1, durationMs: 220 },
    { type: 'task.ready', at: 221, taskId: 'b', attempt: 1 },
    { type: 'task.ready', at: 221, taskId: 'd', attempt: 1 },
    { type: 'task.started', at: 226, taskId: 'b', attempt: 1, agent: 'shell' },
    { type: 'task.started', at: 226, taskId: 'd', attempt: 1, agent: 'sleep' },
    { type: 'task.completed', at: 2100, taskId: 'd', attempt: 1, durationMs: 1874 },
  );
  const resumed = [
    ...stopped,
    ...eventsOf(
      { type: 'run.resumed', at: 9000, resumedAfterSeq: 9, interrupted: ['b'] },
      { type: 'task.started', at: 9010, taskId: 'b', attempt: 1, agent: 'shell' },
      { type: 'task.completed', at: 14010, taskId: 'b', attempt: 1, durationMs: 5000 },
      { type: 'task.ready', at: 14010, taskId: 'c', attempt: 1 },
      { type: 'task.started', at: 14010, taskId: 'c', attempt: 1, agent: 'shell' },
      { type: 'task.completed', at: 14020, taskId: 'c', attempt: 1, durationMs: 10 },
      {
        type: 'dag.completed',
        at: 14020,
        outcome: 'succeeded',
        counts: { total: 4, completed: 4, failed: 0, skipped: 0, cancelled: 0 },
        durationMs: 14020,
      },
    ).map((event, i) => ({ ...event, seq: stopped.length + i + 1 })),
  ];
  const deps = { a: [], b: ['a'], c: ['b'], d: ['a'] };

  it('should say when the run began and how often it was resumed, beside a length that holds the time it was stopped', () => {
    // the events' clock: the run began at 2026-12-05 21:57:03.250 UTC
    const began = Date.UTC(2026, 11, 5, 21, 57, 3, 250);
    const html = renderReport({ events: resumed.map((event) => ({ ...event, at: event.at + began })), deps });
    expect(html).toMatch(
      /<p class="meta">run [^<]* · began 2026-12-05 21:57:03 UTC · 14\.0 s \(resumed once: the time it was stopped included\) · /,
    );
    // a run never resumed says nothing of resumes
    expect(renderReport({ events: stopped, deps })).not.toContain('resumed once');
    // a log that starts at the resume (what rxdag resume --json printed): the run began where its end says
    const fromResume = resumed.slice(stopped.length).map((event) => ({ ...event, at: event.at + began }));
    expect(renderReport({ events: fromResume, deps })).toContain(' · began 2026-12-05 21:57:03 UTC · 14.0 s (resumed once');
    // a run in virtual time has no wall clock to name
    expect(renderReport({ events: resumed.map((event) => ({ ...event, at: event.at + 1 })), deps })).not.toContain('began');
  });

  it('should draw the attempt the stop cut interrupted, not cancelled, and say what interrupted means', () => {
    const html = renderReport({ events: resumed, deps });
    expect(barsOf(html, 'b')).toEqual([
      [
        'bar interrupted on-critical-path',
        'b #1 on shell: interrupted after at least 1.87 s (226 ms → at least 2.10 s, the last event recorded before the stop)\ninterrupted: the process running it stopped; it ran again on resume',
      ],
      ['bar completed on-critical-path', 'b #1 on shell: completed in 5.00 s (9.01 s → 14.0 s)'],
    ]);
    expect(html).toContain('<span><span class="swatch interrupted"></span>interrupted (its process stopped)</span>');
    // the gap before the attempt's run again is the stop, not a backoff
    expect(html).not.toMatch(/<g class="gantt-row" data-task="b">(?:(?!<\/g>).)*class="backoff"/);
  });

  it('should count an attempt run again by the resume once, as rxdag show does', () => {
    const html = renderReport({ events: resumed, deps });
    expect(cellsOf(html, 'b')).toMatchObject({ Outcome: 'completed', Attempts: '1' });
    expect(html).toMatch(/<g class="node completed critical" data-task="b"[^>]*><title>b: completed\n?<\/title>/);
  });

  it('should call a run not resumed yet interrupted, and its task cut by the stop too', () => {
    const html = renderReport({ events: stopped, deps });
    expect(html).toContain('<title>rxdag report: long (interrupted)</title>');
    expect(html).toContain('<span class="outcome badge interrupted">interrupted</span>');
    expect(barsOf(html, 'b')).toEqual([
      [
        'bar interrupted',
        'b #1 on shell: interrupted after at least 1.87 s (226 ms → at least 2.10 s, the last event recorded before the stop)\ninterrupted: the process running it stopped before the attempt ended',
      ],
    ]);
    expect(cellsOf(html, 'b')).toMatchObject({ Outcome: 'interrupted', Attempts: '1' });
    expect(cellsOf(html, 'c')).toMatchObject({ Outcome: 'unfinished', Attempts: '0' });
  });

  it('should call a run still going unfinished when told so (rxdag show of a running run)', () => {
    const html = renderReport({ events: stopped, deps, stillRunningAt: 3120 });
    expect(html).toContain('<span class="outcome badge unfinished">unfinished</span>');
    expect(cellsOf(html, 'b')).toMatchObject({ Outcome: 'unfinished', Attempts: '1' });
  });

  it('should say how long an attempt of a run still going had run when the report was written, and the run too', () => {
    // written 1.02 s after the run's last event (d completed at 2.10 s), b running since 226 ms
    const html = renderReport({ events: stopped, deps, stillRunningAt: 3120 });
    expect(barsOf(html, 'b')).toEqual([
      ['bar unfinished on-critical-path', 'b #1 on shell: unfinished, running for 2.89 s when the report was written (226 ms → 3.12 s)'],
    ]);
    expect(/<p class="meta">(.*?)<\/p>/.exec(html)?.[1]).toBe(
      'run run-1 · 3.12 s · 2/4 completed, 0 failed, 0 skipped, 0 cancelled, 2 not ended · 9 events',
    );
  });
});

describe('renderReport of a retry whose wait a stop and resume cut', () => {
  const error = { name: 'ShellCommandError', message: '`x` exited with code 1' };
  const retryAfter = (resumedAt: number | undefined) =>
    renderReport({
      events: eventsOf(
        ...oneTaskStarted('retry', 'f'),
        { type: 'task.failed', at: 10, taskId: 'f', attempt: 1, error, severity: 'error', willRetry: true },
        ...(resumedAt === undefined ? [] : [{ type: 'run.resumed' as const, at: resumedAt, resumedAfterSeq: 4, interrupted: [] }]),
        { type: 'task.ready', at: 8400, taskId: 'f', attempt: 2 },
        { type: 'task.started', at: 8400, taskId: 'f', attempt: 2, agent: 'shell' },
        { type: 'task.completed', at: 8410, taskId: 'f', attempt: 2, durationMs: 10 },
      ),
      deps: { f: [] },
    });
  const backoffOf = (html: string) => /<line class="backoff"[^>]*><title>([^<]*)<\/title>/.exec(html)?.[1];

  it('should say the backoff line holds the time the run was stopped', () => {
    expect(backoffOf(retryAfter(6000))).toBe(
      'f: backoff before attempt #2, across a stop and resume of the run (the time it was stopped included)',
    );
    expect(backoffOf(retryAfter(undefined))).toBe('f: backoff before attempt #2');
  });
});

describe('renderReport of a task cancelled while it waited to retry', () => {
  const error = { name: 'ShellCommandError', message: '`x` exited with code 3; last stderr lines:\nbad input' };
  const html = renderReport({
    events: eventsOf(
      ...oneTaskStarted('retry', 'e'),
      { type: 'task.failed', at: 28, taskId: 'e', attempt: 1, error, severity: 'error', willRetry: true },
      { type: 'task.cancelled', at: 1122, taskId: 'e', attempt: 1 },
      {
        type: 'dag.completed',
        at: 1122,
        outcome: 'cancelled',
        counts: { total: 1, completed: 0, failed: 0, skipped: 0, cancelled: 1 },
        durationMs: 1122,
      },
    ),
    deps: { e: [] },
  });

  it('should draw its attempt failed, its retry cancelled, not retried', () => {
    expect(barsOf(html, 'e')).toEqual([
      [
        'bar failed on-critical-path',
        'e #1 on shell: failed in 28 ms (0 ms → 28 ms), its retry cancelled\nShellCommandError: `x` exited with code 3; last stderr lines:\nbad input',
      ],
    ]);
  });

  it('should show its last error in the table', () => {
    expect(cellsOf(html, 'e')).toMatchObject({
      Outcome: 'cancelled',
      Details:
        'cancelled while waiting to retry; attempt #1 failed: ShellCommandError: `x` exited with code 3; last stderr lines:\nbad input',
    });
  });
});

describe('renderReport of a task waiting to retry when its run stopped', () => {
  const error = { name: 'ShellCommandError', message: '`x` exited with code 3; last stderr lines:\nbad input' };
  // no dag.completed: its process stopped (SIGTERM) while the task waited for its retry
  const html = renderReport({
    events: eventsOf(...oneTaskStarted('retry', 'e'), {
      type: 'task.failed',
      at: 28,
      taskId: 'e',
      attempt: 1,
      error,
      severity: 'error',
      willRetry: true,
    }),
    deps: { e: [] },
  });

  it('should show its last error in the table', () => {
    expect(cellsOf(html, 'e')).toMatchObject({
      Outcome: 'unfinished',
      Details: 'waiting to retry; attempt #1 failed: ShellCommandError: `x` exited with code 3; last stderr lines:\nbad input',
    });
  });
});

describe('renderReport of a task that completed after a retry', () => {
  const error = { name: 'AgentError', message: 'rate limited' };
  const html = renderReport({
    events: eventsOf(
      ...oneTaskStarted('flaky', 'f', 'api'),
      { type: 'task.failed', at: 10, taskId: 'f', attempt: 1, error, severity: 'error', willRetry: true },
      { type: 'task.retrying', at: 30, taskId: 'f', attempt: 2 },
      { type: 'task.started', at: 30, taskId: 'f', attempt: 2, agent: 'api' },
      { type: 'task.completed', at: 40, taskId: 'f', attempt: 2, durationMs: 10, output: null },
    ),
  });

  it('should say in the table what its failed attempt failed with', () => {
    expect(cellsOf(html, 'f')).toMatchObject({
      Outcome: 'completed',
      Attempts: '2',
      Details: 'completed after 1 failed attempt; attempt #1 failed: AgentError: rate limited',
    });
  });
});

describe("renderReport of a task's control characters", () => {
  /** The events of a run of one task, `e`, whose first attempt failed for good with `error`. */
  const failedOnce = (dagId: string, error: { name: string; message: string }) =>
    eventsOf(...oneTaskStarted(dagId, 'e'), {
      type: 'task.failed',
      at: 5,
      taskId: 'e',
      attempt: 1,
      error,
      severity: 'error',
      willRetry: false,
    });
  const error = { name: 'ShellCommandError', message: 'last stderr lines:\n\u001b[31mred\u0000nul\u0007\tat x\r\n' };
  const html = renderReport({ events: failedOnce('ctl', error), source: 'dir/\u001b]0;title\u0007.yaml' });

  it('should escape DEL, C1 and bidirectional controls as the terminal does (no text shown reversed)', () => {
    const bidi = renderReport({ events: failedOnce('bidi', { name: 'E', message: 'wrote report\u202etxt.exe \u009b2J\u007f' }) });
    expect(bidi).not.toMatch(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(cellsOf(bidi, 'e').Details).toBe('E: wrote report\\u202etxt.exe \\u009b2J\\u007f');
  });

  it('should escape C0 controls as the terminal does, keeping tab, line feed and carriage return', () => {
    expect(html).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    expect(cellsOf(html, 'e').Details).toBe('ShellCommandError: last stderr lines:\nred\\u0000nul\\u0007\tat x\r\n');
    expect(barsOf(html, 'e')[0]![1]).toContain('\nred\\u0000nul\\u0007\tat x\r\n');
    expect(html).toContain('dir/\\u001b]0;title\\u0007.yaml');
  });
});

describe("renderReport of an edited events log (an untrusted job's)", () => {
  const script = '<script>document.documentElement.dataset.pwned = 1</script>';
  const html = renderReport({
    events: eventsOf(
      { type: 'dag.created', at: 0, dagId: 'edited', taskCount: 1 },
      { type: 'task.ready', at: 0, taskId: 'e', attempt: 1 },
      { type: 'task.started', at: 0, taskId: 'e', attempt: `1">${script}` as unknown as number, agent: 'shell' },
      { type: 'task.completed', at: 5, taskId: 'e', attempt: 1, durationMs: 5 },
      {
        type: 'dag.completed',
        at: 5,
        outcome: `x</title>${script}` as unknown as 'succeeded',
        counts: { total: 1, completed: `<b>${script}</b>` as unknown as number, failed: 0, skipped: 0, cancelled: 0 },
        durationMs: script as unknown as number,
        failures: [],
      },
    ),
  });

  it('should show only numbers and a known outcome where the page expects them', () => {
    expect(html).not.toContain('pwned');
    expect(html).toContain('<title>rxdag report: edited (failed)</title>');
    expect(html).toContain('0/1 completed');
  });

  it('should let only its own script run (by its hash), whatever text came in', () => {
    const own = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
    const hash = require('node:crypto').createHash('sha256').update(own).digest('base64') as string;
    expect(html).toContain(`script-src 'sha256-${hash}'`);
    expect(html).not.toContain("'unsafe-inline'; img-src");
    expect(html.match(/<script>/g)).toHaveLength(1);
  });
});

describe('the critical path line', () => {
  /** A chain of `size` tasks, each started when the one before completed. */
  const chainOf = (size: number) =>
    eventsOf(
      { type: 'dag.created', at: 0, dagId: 'chain', taskCount: size },
      ...Array.from({ length: size }, (_, i) => [
        { type: 'task.started' as const, at: i, taskId: `c${i}`, attempt: 1, agent: 'fn' },
        { type: 'task.completed' as const, at: i + 1, taskId: `c${i}`, attempt: 1, durationMs: 1 },
      ]).flat(),
    );
  const deps = (size: number) => Object.fromEntries(Array.from({ length: size }, (_, i) => [`c${i}`, i === 0 ? [] : [`c${i - 1}`]]));
  const line = (html: string) => /<p class="meta" id="critical-path">(.*?)<\/p>/.exec(html)?.[1]?.replace(/<\/?code>/g, '');

  it('should name every task of a short path, and only the ends of a long one', () => {
    expect(line(renderReport({ events: chainOf(3), deps: deps(3) }))).toBe('Critical path (3 tasks): c0 → c1 → c2');
    const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `c${from + i}`);
    expect(line(renderReport({ events: chainOf(1000), deps: deps(1000) }))).toBe(
      `Critical path (1000 tasks): ${[...ids(0, 10), '… 980 more (★ in the timeline) …', ...ids(990, 1000)].join(' → ')}`,
    );
  });
});

describe('renderReport of a large run', () => {
  /** A run of `size` tasks that each completed at once. */
  const runOf = (size: number) =>
    eventsOf(
      { type: 'dag.created', at: 0, dagId: 'wide', taskCount: size },
      ...Array.from({ length: size }, (_, i) => ({ type: 'task.completed' as const, at: 1, taskId: `t${i}`, attempt: 1, durationMs: 0 })),
    );

  it(`should say a page of more than ${LARGE_RUN_TASKS} tasks is large, and point to the rxdag show of a journaled run`, () => {
    const note = (html: string) => /<p class="note" id="large-run">.*?<\/p>/.exec(html)?.[0];
    const html = renderReport({ events: runOf(LARGE_RUN_TASKS + 1), showCommand: "rxdag show 'my dag (x)-1' --store 'my runs'" });
    expect(note(html)).toBe(
      `<p class="note" id="large-run">This run has ${(LARGE_RUN_TASKS + 1).toLocaleString('en-US')} tasks: every one is drawn and listed below, so the page is large and may be slow to open. For its summary, failures and each task's timing, run <code>rxdag show &#39;my dag (x)-1&#39; --store &#39;my runs&#39;</code>.</p>`,
    );
    // a run that was not journaled (or an events log alone): no command that would fail
    expect(note(renderReport({ events: runOf(LARGE_RUN_TASKS + 1) }))).toBe(
      `<p class="note" id="large-run">This run has ${(LARGE_RUN_TASKS + 1).toLocaleString('en-US')} tasks: every one is drawn and listed below, so the page is large and may be slow to open.</p>`,
    );
  });

  it(`should say nothing of the size of a run of ${LARGE_RUN_TASKS} tasks`, () => {
    expect(renderReport({ events: runOf(LARGE_RUN_TASKS) }).includes('id="large-run"')).toBe(false);
  });
});
