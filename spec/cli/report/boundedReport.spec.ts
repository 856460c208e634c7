import type { DagEvent } from '../../../src/index';
import { renderReport } from '../../../src/cli/report/renderReport';
import { BOUNDED_REPORT_TASKS, MOST_SHOWN_TASKS, SHOWN_AT_MOST } from '../../../src/cli/report/shownTasks';
import { ATTEMPT_DETAIL_CHARS, DRAWN_ATTEMPTS, drawnAttempts, TASK_DETAIL_CHARS } from '../../../src/cli/report/boundedPage';
import type { AttemptBar } from '../../../src/cli/report/runModel';
import { eventsOf } from '../support/eventBuilder';
import { LARGE_RUN_PARTS, largeRun } from './largeRuns';

/** The task ids of the Gantt rows, the graph's nodes and the table's rows of a report. */
function drawn(html: string): { readonly rows: string[]; readonly nodes: string[]; readonly tableRows: string[] } {
  const ids = (pattern: RegExp) => [...html.matchAll(pattern)].map((m) => m[1]!);
  return {
    rows: ids(/<g class="gantt-row" data-task="([^"]*)">/g),
    nodes: ids(/<g class="node [^"]*" data-task="([^"]*)"/g),
    tableRows: ids(/<tr data-task="([^"]*)"/g),
  };
}

const note = (html: string) => /<p class="note" id="large-run">(.*?)<\/p>/.exec(html)?.[1]?.replace(/<\/?code>/g, '');

/**
 * Above `BOUNDED_REPORT_TASKS` tasks, the report draws and lists only the tasks that matter, at
 * most `MOST_SHOWN_TASKS` of them whatever the size of the run, and says what it left out.
 */
describe('renderReport of a run of more than BOUNDED_REPORT_TASKS tasks', () => {
  const size = BOUNDED_REPORT_TASKS + 1000;
  const { events, deps } = largeRun(size);
  const html = renderReport({ events, deps, showCommand: 'rxdag show large-1 --store runs' });

  /**
   * The page of no task, and per task shown at most its Gantt row and bar, its node and the edges
   * to it, its table row, and its error in all three (~1.1 KB a task here: its errors are short).
   */
  const MOST_BYTES = Buffer.byteLength(renderReport({ events: [] })) + MOST_SHOWN_TASKS * 2_000;

  it(`should draw at most ${MOST_SHOWN_TASKS} tasks, the same in the timeline, the graph and the table, in a page of bounded size`, () => {
    const { rows, nodes, tableRows } = drawn(html);
    expect(rows.length).toBeLessThanOrEqual(MOST_SHOWN_TASKS);
    expect(new Set(nodes)).toEqual(new Set(rows));
    expect(tableRows).toEqual(rows);
    expect(Buffer.byteLength(html)).toBeLessThan(MOST_BYTES);
  });

  it('should show the first failures with their errors and stderr, up to its cap, the earliest first', () => {
    const { rows } = drawn(html);
    const failed = rows.filter((id) => /^f\d+$/.test(id));
    expect(failed).toEqual(Array.from({ length: SHOWN_AT_MOST.failed }, (_, i) => `f${i}`));
    expect(html).toMatch(/<tr data-task="f0" class="failed">.*?exited with code 3; last stderr lines:\nboom 0<\/span><\/td><\/tr>/);
  });

  it('should show tasks skipped because their own dependency failed before those skipped after a skip, and no skip by a rule', () => {
    const { rows } = drawn(html);
    const skipped = rows.filter((id) => /^s/.test(id));
    expect(skipped).toHaveLength(SHOWN_AT_MOST.skippedByFailure);
    expect(skipped.every((id) => /^s\d+[ab]$/.test(id))).toBe(true);
    expect(rows).not.toContain('alert');
  });

  it('should show both ends of a long critical path, the slowest and the retried tasks, up to their caps', () => {
    const { rows } = drawn(html);
    const half = SHOWN_AT_MOST.criticalPath / 2;
    for (const id of ['c0', `c${half - 1}`, `c${LARGE_RUN_PARTS.chain - half}`, `c${LARGE_RUN_PARTS.chain - 1}`, 'w1', 'w2', 'w3'])
      expect(rows).toContain(id);
    expect(rows).not.toContain(`c${LARGE_RUN_PARTS.chain / 2}`);
    expect(rows.filter((id) => /^r\d+$/.test(id))).toHaveLength(SHOWN_AT_MOST.retried);
    // the plain tasks that were not slow are left out
    expect(rows).not.toContain('w0');
    expect(rows).not.toContain('w4');
  });

  it('should say what it shows and what it left out, and where every task is', () => {
    const shown = drawn(html).rows.length;
    const skipped = LARGE_RUN_PARTS.skippedBecauseFailed + LARGE_RUN_PARTS.skippedBecauseSkipped;
    const leftOut = size - shown;
    const leftOutSkipped = skipped + 1 - SHOWN_AT_MOST.skippedByFailure;
    const leftOutFailed = LARGE_RUN_PARTS.failed - SHOWN_AT_MOST.failed;
    const count = (n: number) => n.toLocaleString('en-US');
    expect(note(html)).toBe(
      `This run has ${count(size)} tasks, too many to draw: the timeline, the graph (with the dependencies between these tasks) and the table show ${shown} of them: ` +
        `the first 100 of the 150 that failed, 50 of the ${skipped} skipped because a task failed, the first and last 50 of the 200 on the critical path, ` +
        `the 50 slowest, the 50 with the most attempts of the 80 retried. ` +
        `Left out: ${count(leftOut)} tasks (${count(leftOut - leftOutSkipped - leftOutFailed)} completed, ${leftOutFailed} failed, ${leftOutSkipped} skipped). ` +
        "Every task is in rxdag show large-1 --store runs (each task's timing and every failure).",
    );
    // a run that kept neither a journal nor an events log says so; one that wrote a log names it
    expect(note(renderReport({ events, deps }))).toMatch(
      /This run kept no journal and no events log \(--events FILE, a line per event\), which would hold every task\.$/,
    );
    expect(note(renderReport({ events, deps, eventsLog: 'events.jsonl' }))).toMatch(
      /Every task is in the events log events\.jsonl \(a line per event\)\.$/,
    );
    expect(html).toContain(
      '<p class="meta" id="slowest">Slowest (busy, every attempt together): <code>w1</code> 1.50 s, <code>w2</code> 1.50 s, <code>w3</code> 1.50 s, <code>c0</code> 10 ms,',
    );
    // the middle of the critical path is not in the timeline
    expect(html).toMatch(/<p class="meta" id="critical-path">Critical path \(200 tasks\): .*… 180 more … → /);
  });

  it('should stay the same size for a run four times bigger', () => {
    const bigger = largeRun(4 * size);
    const page = renderReport({ events: bigger.events, deps: bigger.deps });
    expect(drawn(page).rows).toEqual(drawn(html).rows);
    expect(Buffer.byteLength(page)).toBeLessThan(MOST_BYTES);
  }, 30_000);
});

describe('renderReport of an events log cut before every task became ready', () => {
  it('should count the tasks the log does not name and say how to list them', () => {
    const { events } = largeRun(BOUNDED_REPORT_TASKS + 1000);
    const created = events[0]!;
    const cut = [{ ...created, taskCount: BOUNDED_REPORT_TASKS + 3000 } as DagEvent, ...events.slice(1)];
    expect(note(renderReport({ events: cut }))).toMatch(
      /^This run has 8,000 tasks, too many to draw: .* Left out: [\d,]+ tasks \(.*, 2,000 never ready, which the events do not name: give --dag FILE to list them\)\. /,
    );
    const small = largeRun(2500).events; // drawn whole, but more than a small run
    const smallCut = [{ ...small[0]!, taskCount: 5000 } as DagEvent, ...small.slice(1)];
    expect(note(renderReport({ events: smallCut }))).toMatch(/^The events name 2,500 tasks: each is drawn and listed below/);
    expect(renderReport({ events: smallCut })).toContain(
      '<p class="note" id="unnamed">2,500 more tasks of this run never became ready, which the events do not name: give <code>--dag FILE</code> to list them.</p>',
    );
  });
});

describe(`renderReport of a run of ${BOUNDED_REPORT_TASKS} tasks`, () => {
  it('should draw and list every task, and say nothing of tasks left out', () => {
    const { events, deps } = largeRun(BOUNDED_REPORT_TASKS);
    const html = renderReport({ events, deps });
    const { rows, nodes, tableRows } = drawn(html);
    expect([rows.length, nodes.length, tableRows.length]).toEqual([BOUNDED_REPORT_TASKS, BOUNDED_REPORT_TASKS, BOUNDED_REPORT_TASKS]);
    expect(note(html)).toBe(
      `This run has ${BOUNDED_REPORT_TASKS.toLocaleString('en-US')} tasks: every one is drawn and listed below, so the page is large and may be slow to open.`,
    );
    expect(html).not.toContain('id="slowest"');
  });
});

describe('renderReport of a large run whose failing tasks retried many times with long errors', () => {
  const size = BOUNDED_REPORT_TASKS + 1000;
  const ATTEMPTS = 60;
  const FAILING = 150;
  const events = retriedRunEvents(size, FAILING, ATTEMPTS);
  const html = renderReport({ events });

  it('should keep its page small: each error cut, and of each task the first and last attempts drawn', () => {
    const shown = drawn(html).rows.length;
    // per task shown: its row, node and table row (~2.1 KB, its four times kept on one line), its error in the table, the graph and its last attempt's tooltip, a few attempts' tooltips
    const most =
      Buffer.byteLength(renderReport({ events: [] })) +
      shown * (2_100 + 3 * TASK_DETAIL_CHARS + DRAWN_ATTEMPTS * (ATTEMPT_DETAIL_CHARS + 300));
    expect(Buffer.byteLength(html)).toBeLessThan(most);
    // without the cuts, 150 tasks × 60 attempts × 4,000 characters
    expect(Buffer.byteLength(html)).toBeLessThan(2_000_000);
  });

  it('should draw the first and last three attempts of f0, say how many it left out, and count them all in the table', () => {
    const bars = [...html.matchAll(/<rect class="bar [^"]*" data-task="f0" data-attempt="(\d+)"/g)].map((m) => Number(m[1]));
    expect(bars).toEqual([1, 2, 3, 58, 59, 60]);
    expect(html).toContain('<title>f0: 54 attempts not drawn here (the table counts every attempt)</title>+54</text>');
    expect(html).toMatch(/<tr data-task="f0" class="failed"><td>f0<\/td><td><span class="badge failed">failed<\/span><\/td><td>60<\/td>/);
  });

  it('should cut each error, saying how much it left out', () => {
    expect(html).toContain(
      `ShellCommandError: ${'e'.repeat(Math.floor(TASK_DETAIL_CHARS / 3) - 'ShellCommandError: '.length)}… (3019 characters left out) …${'e'.repeat(TASK_DETAIL_CHARS - Math.floor(TASK_DETAIL_CHARS / 3))}<`,
    );
  });
});

describe('renderReport of a small run whose tasks retried many times with long errors', () => {
  const ATTEMPTS = 60;
  const FAILING = 150;
  const events = retriedRunEvents(FAILING, FAILING, ATTEMPTS);
  const html = renderReport({ events });

  it('should keep its page small as well: each error cut, and of each task the first and last attempts drawn', () => {
    // every task drawn; without the cuts, 150 tasks × 60 attempts × 4,000 characters made ~40 MB
    expect(drawn(html).rows).toHaveLength(FAILING);
    expect(Buffer.byteLength(html)).toBeLessThan(2_000_000);
    const bars = [...html.matchAll(/<rect class="bar [^"]*" data-task="f0" data-attempt="(\d+)"/g)].map((m) => Number(m[1]));
    expect(bars).toEqual([1, 2, 3, 58, 59, 60]);
    expect(html).toContain(
      `ShellCommandError: ${'e'.repeat(Math.floor(TASK_DETAIL_CHARS / 3) - 'ShellCommandError: '.length)}… (3019 characters left out) …${'e'.repeat(TASK_DETAIL_CHARS - Math.floor(TASK_DETAIL_CHARS / 3))}<`,
    );
  });
});

/** The events of a run of `size` tasks, `failing` of them failing `attempts` times (see {@link retriedRun}), from its start to its end. */
function retriedRunEvents(size: number, failing: number, attempts: number): DagEvent[] {
  return eventsOf({ type: 'dag.created', at: 0, dagId: 'retries', taskCount: size }, ...retriedRun(size, failing, attempts), {
    type: 'dag.completed',
    at: 10_000,
    outcome: 'failed',
    counts: { total: size, completed: size - failing, failed: failing, skipped: 0, cancelled: 0 },
    durationMs: 10_000,
  });
}

/** Plain tasks `w…` completing at once, and `failing` tasks `f…` failing `attempts` times each with an error of 4,000 characters. */
function retriedRun(size: number, failing: number, attempts: number): Parameters<typeof eventsOf> {
  const parts: Parameters<typeof eventsOf> = [];
  for (let i = 0; i < size - failing; i++) {
    parts.push(
      { type: 'task.ready', at: 0, taskId: `w${i}`, attempt: 1 },
      { type: 'task.started', at: 0, taskId: `w${i}`, attempt: 1, agent: 'sleep' },
      { type: 'task.completed', at: 1, taskId: `w${i}`, attempt: 1, durationMs: 1 },
    );
  }
  for (let i = 0; i < failing; i++) {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const at = 10 + attempt * 100;
      parts.push(
        { type: attempt === 1 ? 'task.ready' : 'task.retrying', at: at - 50, taskId: `f${i}`, attempt } as Parameters<typeof eventsOf>[0],
        { type: 'task.started', at, taskId: `f${i}`, attempt, agent: 'shell' },
        {
          type: 'task.failed',
          at: at + 10,
          taskId: `f${i}`,
          attempt,
          error: { name: 'ShellCommandError', message: 'e'.repeat(4000) },
          severity: 'error',
          willRetry: attempt < attempts,
        },
      );
    }
  }
  return parts;
}

describe('renderReport of a task whose attempt failed with a long error', () => {
  /** The events of a run of one shell task `f` whose first attempt failed with `message`; with `retried`, its second completed. */
  const failedOnce = (message: string, retried: boolean) => {
    const failed = { type: 'task.failed', at: 10, taskId: 'f', attempt: 1, severity: 'error', willRetry: retried } as const;
    const counts = { total: 1, completed: retried ? 1 : 0, failed: retried ? 0 : 1, skipped: 0, cancelled: 0 };
    return eventsOf(
      { type: 'dag.created', at: 0, dagId: 'long', taskCount: 1 },
      { type: 'task.ready', at: 0, taskId: 'f', attempt: 1 },
      { type: 'task.started', at: 0, taskId: 'f', attempt: 1, agent: 'shell' },
      { ...failed, error: { name: 'ShellCommandError', message } },
      ...(retried
        ? ([
            { type: 'task.retrying', at: 20, taskId: 'f', attempt: 2 },
            { type: 'task.started', at: 20, taskId: 'f', attempt: 2, agent: 'shell' },
            { type: 'task.completed', at: 30, taskId: 'f', attempt: 2, durationMs: 10 },
          ] as const)
        : []),
      { type: 'dag.completed', at: 30, outcome: retried ? 'succeeded' : 'failed', counts, durationMs: 30 },
    );
  };

  it("should keep the failure's error in the table's Details as long as a task's, its last lines with it", () => {
    const error = `${'x'.repeat(300)} THE-ROOT-CAUSE`;
    const html = renderReport({ events: failedOnce(error, true) });
    expect(html).toContain(`completed after 1 failed attempt; attempt #1 failed: ShellCommandError: ${error}</span>`);
  });

  it("should keep the end of an error it cuts, where a shell task's last lines are", () => {
    const error = `\`make\` exited with code 2\n${'noise\n'.repeat(1000)}Error: THE-ROOT-CAUSE`;
    const html = renderReport({ events: failedOnce(error, false) });
    const details = /<span class="detail">([^<]*)<\/span>/.exec(html)?.[1];
    expect(details).toMatch(
      /^ShellCommandError: `make` exited with code 2\nnoise\n.*… \(\d+ characters left out\) ….*noise\nError: THE-ROOT-CAUSE$/s,
    );
    expect(details!.length).toBeLessThan(TASK_DETAIL_CHARS + 60);
  });

  it('should measure what the page shows of a coloured error, its colours left out before it is cut', () => {
    const html = renderReport({ events: failedOnce(`${'\u001b[31mE\u001b[0m'.repeat(1000)}THE-END`, false) });
    const details = /<span class="detail">([^<]*)<\/span>/.exec(html)?.[1];
    expect(details).toMatch(/^ShellCommandError: E+… \(\d+ characters left out\) …E+THE-END$/);
    expect(details!.replace(/[^E]/g, '').length).toBeGreaterThan(TASK_DETAIL_CHARS - 30);
  });
});

describe('drawnAttempts', () => {
  const bar = (attempt: number): AttemptBar => ({
    attempt,
    agent: 'shell',
    startMs: 0,
    endMs: 1,
    outcome: 'failed',
    retry: 'retried',
    detail: undefined,
  });

  it('should draw every bar up to the most, else the first and last halves and count the attempts between', () => {
    expect(drawnAttempts([1, 2, 3, 4, 5, 6].map(bar), 6)).toMatchObject({ leftOut: 0, last: [] });
    const seven = drawnAttempts([1, 2, 3, 4, 5, 6, 7].map(bar), 6);
    expect([seven.first.map((b) => b.attempt), seven.leftOut, seven.last.map((b) => b.attempt)]).toEqual([[1, 2, 3], 1, [5, 6, 7]]);
  });

  it('should not count as left out an attempt whose other bar (run again after a resume) is drawn', () => {
    // attempt 4 ran again after a resume: its second bar is drawn
    const bars = [1, 2, 3, 4, 4, 5, 6].map(bar);
    expect(drawnAttempts(bars, 6).leftOut).toBe(0);
    // bars 4 and 5 left out, attempt 5's second bar drawn: attempt 4 alone is not drawn
    expect(drawnAttempts([1, 2, 3, 4, 5, 5, 6, 7].map(bar), 6).leftOut).toBe(1);
  });
});
