import { PassThrough } from 'node:stream';
import { defineDag } from '../../../src';
import { progressReporter } from '../../../src/cli/output/progressReporter';
import { eventsOf, oneTaskStarted } from '../support/eventBuilder';

/** A terminal stand-in: cli-progress draws only on a stream that says it is a TTY. */
function fakeTerminal(columns = 160) {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns });
  let written = '';
  stream.on('data', (chunk: Buffer) => (written += chunk.toString()));
  return {
    stream,
    text: () => written.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, ''),
    screen: () => screenOf(written, stream.columns),
    raw: () => written,
  };
}

/**
 * What a terminal `columns` wide shows after `output`: the rows left on screen, honouring what
 * cli-progress sends: line wrapping off/on (`ESC[?7l`/`ESC[?7h`; off, a long line loses its
 * end), cursor to a column or rows up, and clearing a line or the screen below.
 */
function screenOf(output: string, columns: number): string[] {
  const rows: string[][] = [[]];
  let row = 0;
  let col = 0;
  let wrap = true;
  const put = (char: string) => {
    if (col >= columns) {
      if (!wrap)
        col = columns - 1; // the last column is overwritten
      else {
        row++;
        col = 0;
      }
    }
    rows[row] ??= [];
    rows[row]![col++] = char;
  };
  for (const token of output.match(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]|[^\x1b]/gs) ?? []) {
    const escape = /^\x1b\[([0-9;?]*)([A-Za-z])$/.exec(token);
    if (escape === null) {
      if (token === '\n') {
        row++;
        col = 0;
        rows[row] ??= [];
      } else if (token === '\r') col = 0;
      else if (token !== '\x1b7' && token !== '\x1b8') put(token);
      continue;
    }
    const [, args, command] = escape;
    const n = Number(args?.replace('?', '') || '0');
    if (command === 'l' && args === '?7') wrap = false;
    else if (command === 'h' && args === '?7') wrap = true;
    else if (command === 'G') col = Math.max(n - 1, 0);
    else if (command === 'A') row = Math.max(row - Math.max(n, 1), 0);
    else if (command === 'K') rows[row] = n === 2 ? [] : n === 0 ? rows[row]!.slice(0, col) : rows[row]!;
    else if (command === 'J') {
      rows.length = row + 1;
      rows[row] = rows[row]!.slice(0, col);
    }
  }
  return rows.map((cells) =>
    Array.from(cells, (cell) => cell ?? ' ')
      .join('')
      .trimEnd(),
  );
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
    expect(terminal.text()).toMatch(/0\/3 completed \| 1 running \| 1 ready \| 0 failed \| \d+s \| compile/);
  });

  it('should end the line with the elapsed time while nothing runs (a backoff, a rate limit), not with a separator', async () => {
    const terminal = fakeTerminal();
    const reporter = progressReporter(terminal.stream, dag);
    for (const event of eventsOf(
      { type: 'dag.created', at: 0, dagId: 'd', taskCount: 3 },
      { type: 'task.ready', at: 0, taskId: 'compile', attempt: 1 },
      { type: 'task.ready', at: 0, taskId: 'lint', attempt: 1 },
    ))
      reporter.onEvent(event);
    // the frame drawn while the tasks wait (the bar redraws 10 times a second), before the bar stopped and said so
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(terminal.text()).toMatch(/░+ 0\/3 completed \| 0 running \| 2 ready \| 0 failed \| \d+s$/);
    reporter.finish();
    expect(terminal.screen()).toContainEqual(
      expect.stringMatching(/^░+ 0\/3 completed \| 0 running \| 2 ready \| 0 failed \| \d+s \| stopped$/),
    );
  });

  it('should count the tasks waiting to retry, which nothing else shows', async () => {
    const error = { name: 'Error', message: 'flaky' };
    const retrying = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'd', taskCount: 3 },
      { type: 'task.ready', at: 0, taskId: 'compile', attempt: 1 },
      { type: 'task.started', at: 0, taskId: 'compile', attempt: 1, agent: 'shell' },
      { type: 'task.ready', at: 0, taskId: 'lint', attempt: 1 },
      { type: 'task.started', at: 0, taskId: 'lint', attempt: 1, agent: 'shell' },
      { type: 'task.failed', at: 5, taskId: 'compile', attempt: 1, error, severity: 'error', willRetry: true },
    );
    /** The line a terminal `columns` wide shows while `compile` waits to retry and `lint` runs. */
    const lineAt = async (columns: number): Promise<string | undefined> => {
      const terminal = fakeTerminal(columns);
      const reporter = progressReporter(terminal.stream, dag);
      for (const event of retrying) reporter.onEvent(event);
      try {
        await new Promise((resolve) => setTimeout(resolve, 250));
        return terminal.screen().at(-1);
      } finally {
        reporter.finish();
      }
    };
    expect(await lineAt(160)).toMatch(/^░+ 0\/3 completed \| 1 running \| 0 ready \| 1 to retry \| 0 failed \| \d+s \| lint$/);
    // where the count does not fit beside the bar, the bar stays and the count is left out
    expect(await lineAt(74)).toMatch(/^░+ 0\/3 completed \| 1 running \| 0 ready \| 0 failed \| \d+s$/);
    // the narrow line, which has no bar, says them
    expect(await lineAt(60)).toMatch(/^0\/3 completed \| 0 failed \| 1 running \| 1 to retry \| \d+s$/);
    // and leaves them out before it cuts the elapsed time
    expect(await lineAt(50)).toMatch(/^0\/3 completed \| 0 failed \| 1 running \| \d+s$/);
  });

  it('should print failures above the bar and leave the final counts and line', () => {
    const terminal = fakeTerminal();
    const reporter = progressReporter(terminal.stream, dag);
    for (const event of events) reporter.onEvent(event);
    reporter.finish();
    const text = terminal.text();
    expect(text).toContain('task.failed lint #1 (error): Error: bad style');
    expect(text).toContain('task.skipped ship: upstream task lint failed');
    // the bar counts the tasks that completed; the others are shown by outcome
    expect(text).toMatch(/1\/3 completed \| 1 failed \| 1 skipped \| \d+s \| failed/);
    expect(text.trimEnd().split('\n').pop()).toBe(
      '[   0.009s] dag.completed failed: 1/3 completed, 1 failed, 1 skipped, 0 cancelled in 0.01 s',
    );
  });

  it('should give the first skipped tasks of each failure a line each and only count the rest, so the failure stays in sight', () => {
    const size = 40;
    const wide = defineDag({
      id: 'wide',
      defaults: { agent: 'shell' },
      tasks: [
        { id: 'root' },
        { id: 'other' },
        ...Array.from({ length: size }, (_, i) => ({ id: `leaf${i}`, deps: ['root'] })),
        ...Array.from({ length: 7 }, (_, i) => ({ id: `twig${i}`, deps: ['other'] })),
      ],
    });
    const failed = (taskId: string) => ({
      type: 'task.failed' as const,
      at: 2,
      taskId,
      attempt: 1,
      error: { name: 'Error', message: 'broken' },
      severity: 'error' as const,
      willRetry: false,
    });
    const skipped = (prefix: string, count: number, because: string) =>
      Array.from({ length: count }, (_, i) => ({ type: 'task.skipped' as const, at: 2, taskId: `${prefix}${i}`, attempt: 1, because }));
    const terminal = fakeTerminal();
    const reporter = progressReporter(terminal.stream, wide);
    for (const event of eventsOf(
      { type: 'dag.created', at: 0, dagId: 'wide', taskCount: size + 9 },
      { type: 'task.ready', at: 0, taskId: 'root', attempt: 1 },
      { type: 'task.started', at: 1, taskId: 'root', attempt: 1, agent: 'shell' },
      failed('root'),
      ...skipped('leaf', size, 'root'),
      { type: 'task.ready', at: 0, taskId: 'other', attempt: 1 },
      { type: 'task.started', at: 1, taskId: 'other', attempt: 1, agent: 'shell' },
      failed('other'),
      ...skipped('twig', 7, 'other'),
    ))
      reporter.onEvent(event);
    reporter.finish();
    const text = terminal.text();
    expect(text).toContain('task.failed root #1 (error): Error: broken');
    expect(text.match(/task\.skipped \w+/g)).toEqual([
      ...['leaf0', 'leaf1', 'leaf2', 'leaf3', 'leaf4'].map((id) => `task.skipped ${id}`),
      ...['twig0', 'twig1', 'twig2', 'twig3', 'twig4'].map((id) => `task.skipped ${id}`),
    ]);
    expect(text.match(/more tasks skipped: the bar counts them, without a line each/g)).toHaveLength(2);
    expect(text).toMatch(/0\/49 completed \| 2 failed \| 47 skipped/);
  });

  it('should count cancelled tasks apart, not as done, after Ctrl-C', () => {
    const terminal = fakeTerminal();
    const reporter = progressReporter(terminal.stream, dag);
    for (const event of eventsOf(
      { type: 'dag.created', at: 0, dagId: 'd', taskCount: 3 },
      { type: 'task.ready', at: 0, taskId: 'compile', attempt: 1 },
      { type: 'task.ready', at: 0, taskId: 'lint', attempt: 1 },
      { type: 'task.started', at: 1, taskId: 'compile', attempt: 1, agent: 'shell' },
      { type: 'task.started', at: 2, taskId: 'lint', attempt: 1, agent: 'shell' },
      { type: 'task.cancelled', at: 5, taskId: 'compile', attempt: 1 },
      { type: 'task.cancelled', at: 5, taskId: 'lint', attempt: 1 },
      { type: 'task.cancelled', at: 5, taskId: 'ship', attempt: 1 },
      {
        type: 'dag.completed',
        at: 6,
        outcome: 'cancelled',
        counts: { total: 3, completed: 0, failed: 0, skipped: 0, cancelled: 3 },
        durationMs: 6,
      },
    ))
      reporter.onEvent(event);
    reporter.finish();
    const text = terminal.text();
    expect(text).toMatch(/0\/3 completed \| 0 failed \| 3 cancelled \| \d+s \| cancelled/);
    expect(text).not.toMatch(/3\/3/);
  });

  it('should print notices above the bar while it is drawn, and after it as plain lines', () => {
    const terminal = fakeTerminal();
    const reporter = progressReporter(terminal.stream, dag);
    for (const event of events.slice(0, 5)) reporter.onEvent(event);
    reporter.notice!('rxdag: stopping: waiting for 2 running shell tasks to exit (Ctrl-C again to kill them now)');
    for (const event of events.slice(5)) reporter.onEvent(event);
    reporter.finish();
    reporter.notice!('rxdag: cannot write the report r.html: ENOSPC (no space left on device)');
    const screen = terminal.screen();
    expect(screen).toContain('rxdag: stopping: waiting for 2 running shell tasks to exit (Ctrl-C again to kill them now)');
    expect(screen[screen.length - 2]).toBe('rxdag: cannot write the report r.html: ENOSPC (no space left on device)');
  });

  it('should let the terminal wrap a notice above the bar, so that a command in it is copied whole', () => {
    const terminal = fakeTerminal(60);
    const reporter = progressReporter(terminal.stream, dag);
    for (const event of events.slice(0, 5)) reporter.onEvent(event);
    const notice = "rxdag: stopping on SIGTERM: the run is left interrupted (rxdag resume nightly-1 --store 'my runs' continues it)";
    reporter.notice!(notice);
    for (const event of events.slice(5)) reporter.onEvent(event);
    reporter.finish();
    // one line of text, the terminal's wrapping on while it is written: no line feed inside the command
    expect(terminal.raw()).toContain(`\x1b[?7h${notice}\n\x1b[?7l`);
    expect(terminal.screen().join('')).toContain(notice);
  });

  it('should wrap a failure to the width of a narrow terminal, keeping its exit code and stderr lines', () => {
    const columns = 60;
    const terminal = fakeTerminal(columns);
    const reporter = progressReporter(terminal.stream, dag);
    const failure = {
      type: 'task.failed' as const,
      at: 5,
      taskId: 'lint',
      attempt: 1,
      error: {
        name: 'ShellCommandError',
        message:
          '`npx eslint --max-warnings 0 src spec examples benchmarks scripts` exited with code 3; last stderr lines:\nsrc/cli/run.ts:12:7 error no-unused-vars\nsrc/cli/main.ts:3:1 error import/order',
      },
      severity: 'error' as const,
      willRetry: false,
    };
    const run = [...events.slice(0, 5), failure, ...events.slice(6)].map((event, i) => ({ ...event, runId: 'run-1', seq: i + 1 }));
    for (const event of run) reporter.onEvent(event as (typeof events)[number]);
    reporter.finish();
    const screen = terminal.screen();
    for (const row of screen) expect(row.length).toBeLessThanOrEqual(columns);
    const shown = screen.join('\n').replace(/\s+/g, ' ');
    expect(shown).toContain(
      'task.failed lint #1 (error): ShellCommandError: `npx eslint --max-warnings 0 src spec examples benchmarks scripts` exited with code 3; last stderr lines: src/cli/run.ts:12:7 error no-unused-vars src/cli/main.ts:3:1 error import/order',
    );
  });

  it('should put the counts first and leave out the bar on a narrow terminal, so none is cut off', () => {
    const columns = 44;
    const terminal = fakeTerminal(columns);
    const reporter = progressReporter(terminal.stream, dag);
    for (const event of events) reporter.onEvent(event);
    reporter.finish();
    const screen = terminal.screen();
    for (const row of screen) expect(row.length).toBeLessThanOrEqual(columns);
    // how the run ended outlasts the skipped count; nothing runs any more, which is not said
    expect(screen).toContainEqual(expect.stringMatching(/^1\/3 completed \| 1 failed \| \d+s \| failed$/));
  });

  it("should fit the bar's line to the terminal, from the wide line to the narrow one, also after a resize", () => {
    const wide = fakeTerminal(160);
    const reporter = progressReporter(wide.stream, dag);
    for (const event of events.slice(0, 5)) reporter.onEvent(event);
    wide.stream.columns = 70; // a resize while the run goes on
    for (const event of events.slice(5)) reporter.onEvent(event);
    reporter.finish();
    const screen = wide.screen();
    // nothing reaches the last column, which a line too long would overwrite
    for (const row of screen) expect(row.length).toBeLessThan(70);
    expect(screen).toContainEqual(expect.stringMatching(/^1\/3 completed \| 1 failed \| \d+s \| 1 skipped \| failed$/));
    // at 80 columns the run's last line keeps its bar: nothing runs or is ready then, which is not said
    const eighty = fakeTerminal(80);
    const many = progressReporter(eighty.stream, dag);
    for (const event of events) many.onEvent(event);
    many.finish();
    for (const row of eighty.screen()) expect(row.length).toBeLessThan(80);
    expect(eighty.screen()).toContainEqual(expect.stringMatching(/^[█░]{10} 1\/3 completed \| 1 failed \| 1 skipped \| \d+s \| failed$/));
  });

  it('should show what runs now only with room for some of it: at no width is the elapsed time cut, nor does the line end in a bare `| …`', () => {
    for (let columns = 56; columns <= 120; columns++) {
      const terminal = fakeTerminal(columns);
      const reporter = progressReporter(terminal.stream, dag);
      for (const event of events.slice(0, 5)) reporter.onEvent(event); // two tasks running
      reporter.finish(); // stopped: its last line ends with `| stopped`
      const lines = terminal
        .raw()
        .split(/\r|\n|\x1b\[[0-9;?]*[A-Za-z]/)
        .filter((line) => / running \| /.test(line));
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        expect([columns, line]).not.toEqual([columns, expect.stringMatching(/\| \d+s?…$/)]);
        expect([columns, line]).not.toEqual([columns, expect.stringMatching(/\| .{0,8}…$/)]);
      }
    }
  });

  it('should draw the whole bar from 100 columns on and the narrow line below 72, as the docs say', () => {
    /** The rows showing the bar's counts on a terminal `columns` wide, with two tasks running. */
    const countsAt = (columns: number): string[] => {
      const terminal = fakeTerminal(columns);
      const reporter = progressReporter(terminal.stream, dag);
      for (const event of events.slice(0, 5)) reporter.onEvent(event);
      reporter.finish();
      return terminal.screen().filter((row) => row.includes(' completed | '));
    };
    expect(countsAt(100)).toContainEqual(expect.stringMatching(/^[█░]{20} 0\/3 completed/));
    expect(countsAt(99)).toContainEqual(expect.stringMatching(/^[█░]{10} 0\/3 completed/));
    expect(countsAt(71)).toContainEqual(expect.stringMatching(/^0\/3 completed \| 0 failed \| 2 running/));
    expect(countsAt(71)).not.toContainEqual(expect.stringMatching(/[█░]/));
  });

  it('should keep the bar at 80 columns whether the running tasks fit or not, and end on `| stopped`', () => {
    for (const taskId of ['build-frontend-and-backend-bundles', 'a']) {
      const terminal = fakeTerminal(80);
      const reporter = progressReporter(terminal.stream, defineDag({ id: 'chain', tasks: [{ id: taskId, agent: 'shell' }] }));
      for (const event of eventsOf(...oneTaskStarted('chain', taskId))) reporter.onEvent(event);
      reporter.finish();
      const [last] = terminal.screen().filter((row) => / running /.test(row));
      // the bar, the counts in their wide order, and how the run ended, whatever the id's length
      expect(last).toMatch(/^░+ 0\/1 completed \| 1 running \| 0 ready \| 0 failed \| \d+s \| stopped$/);
    }
  });

  it('should show a notice given just before the bar stops, and give the cursor and line wrapping back', () => {
    const terminal = fakeTerminal();
    const reporter = progressReporter(terminal.stream, dag);
    for (const event of events.slice(0, 5)) reporter.onEvent(event);
    reporter.notice!('rxdag: stopping: run r left interrupted; rxdag resume r continues it');
    reporter.finish(); // SIGTERM: no dag.completed comes
    const screen = terminal.screen();
    expect(screen).toContain('rxdag: stopping: run r left interrupted; rxdag resume r continues it');
    // the bar's counts stay under it, saying the run stopped
    expect(screen).toContainEqual(expect.stringMatching(/0\/3 completed \| 2 running \| 0 ready \| 0 failed \| \d+s \| stopped$/));
    const raw = terminal.raw();
    expect(raw.lastIndexOf('\x1b[?25h')).toBeGreaterThan(raw.lastIndexOf('\x1b[?25l'));
    expect(raw.lastIndexOf('\x1b[?7h')).toBeGreaterThan(raw.lastIndexOf('\x1b[?7l'));
  });

  it('should hear Ctrl-Z with one handler for every bar of the process, and none once they stopped', () => {
    const before = process.listeners('SIGTSTP').length;
    const [first, second] = [fakeTerminal(), fakeTerminal()];
    const reporters = [progressReporter(first.stream, dag), progressReporter(second.stream, dag)];
    expect(process.listeners('SIGTSTP').length).toBe(before + 1);
    for (const reporter of reporters) reporter.finish();
    expect(process.listeners('SIGTSTP').length).toBe(before);
    expect(process.listeners('SIGCONT').length).toBe(0);
  });

  it('should wrap to 80 columns on a terminal that reports 0 columns, not one character per line', () => {
    const terminal = fakeTerminal(0);
    const reporter = progressReporter(terminal.stream, dag);
    const failure = {
      ...events[5]!,
      error: {
        name: 'ShellCommandError',
        message: `\`npx eslint ${'--fix '.repeat(12)}src\` exited with code 3; last stderr lines:\nsrc/a.ts:1 error`,
      },
    };
    for (const event of [...events.slice(0, 5), failure, ...events.slice(6)]) reporter.onEvent(event as (typeof events)[number]);
    reporter.finish();
    const failed = terminal
      .text()
      .split(/\r?\n/)
      .find((line) => line.includes('task.failed lint'));
    expect(failed?.length).toBeGreaterThan(60);
    expect(failed?.length).toBeLessThanOrEqual(79);
  });

  it("should escape the control characters of a task's output above the bar, keeping its line feeds and drawing its tabs", () => {
    const terminal = fakeTerminal();
    let raw = '';
    terminal.stream.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    const reporter = progressReporter(terminal.stream, dag);
    const failure = {
      ...events[5]!,
      error: {
        name: 'ShellCommandError',
        message: '`x` exited with code 1; last stderr lines:\n\u001b[2J\u001b]0;PWNED\u0007 hi\n\tat y\r',
      },
    };
    for (const event of [...events.slice(0, 5), failure, ...events.slice(6)]) reporter.onEvent(event as (typeof events)[number]);
    reporter.finish();
    expect(raw).not.toMatch(/\u001b\[2J|\u001b\]|\u0007/);
    // the tab drawn as the spaces to its tab stop (column 16), as the terminal would
    expect(terminal.text()).toContain('\n            \\u001b[2J\\u001b]0;PWNED\\u0007 hi\n                at y\\r\n');
  });

  it("should start a resumed run's bar from its journal: tasks completed before the crash count as completed", () => {
    const terminal = fakeTerminal();
    const history = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'd', taskCount: 3 },
      { type: 'task.ready', at: 0, taskId: 'compile', attempt: 1 },
      { type: 'task.ready', at: 0, taskId: 'lint', attempt: 1 },
      { type: 'task.started', at: 1, taskId: 'compile', attempt: 1, agent: 'shell' },
      { type: 'task.started', at: 2, taskId: 'lint', attempt: 1, agent: 'shell' },
      { type: 'task.completed', at: 9, taskId: 'compile', attempt: 1, durationMs: 8 },
    );
    const reporter = progressReporter(terminal.stream, dag, { history, failurePolicy: 'skip-dependents' });
    expect(terminal.text()).toBe(''); // nothing of the journal is printed again
    reporter.onEvent({ type: 'run.resumed', runId: 'run-1', seq: 7, at: 5000, resumedAfterSeq: 6, interrupted: ['lint'] });
    reporter.finish();
    // lint was in flight when the process died: ready again, not running
    expect(terminal.text()).toMatch(/1\/3 completed \| 0 running \| 1 ready \| 0 failed \| \d+s \| stopped\n/);
  });
});
