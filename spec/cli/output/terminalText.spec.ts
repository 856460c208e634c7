import type { JournaledRunSummary, JournalHeader } from '../../../src/index';
import { failureList } from '../../../src/cli/output/failureList';
import { formatEvent } from '../../../src/cli/output/formatEvent';
import { lineReporter } from '../../../src/cli/output/reporter';
import { formatRunDetails, runDetails } from '../../../src/cli/output/runDetails';
import { terminalText } from '../../../src/cli/output/terminalText';
import { eventsOf } from '../support/eventBuilder';

/**
 * A task's output reaches the terminal (the plain lines, the list of failures, `rxdag show`) as
 * text: a line feed starts a continuation line, a tab stays, colours are left out, every other
 * control character is written as an escape, so a task cannot clear the screen, retitle the
 * terminal or overwrite a line.
 */
describe('task output on the terminal', () => {
  // what `printf "\033[2J\033]0;PWNED\007 hi\n\tat x\r\n" >&2` leaves in a shell task's error
  const stderr = '\u001b[2J\u001b]0;PWNED\u0007 hi\n\tat x\r';
  const error = { name: 'ShellCommandError', message: `\`x\` exited with code 1; last stderr lines:\n${stderr}` };
  const shown = '\\u001b[2J\\u001b]0;PWNED\\u0007 hi';
  /** Control characters a terminal acts on, line feed and tab excepted. */
  const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

  it('should escape every control character but line feed and tab', () => {
    expect(terminalText(stderr)).toBe(`${shown}\n\tat x\\r`);
    expect(terminalText('bell\u0007, C1 \u009b, bidi \u202e, NUL \u0000')).toBe('bell\\u0007, C1 \\u009b, bidi \\u202e, NUL \\u0000');
    expect(terminalText('plain text\n\tindented: kept as it is')).toBe('plain text\n\tindented: kept as it is');
  });

  it("should leave out a tool's colours and styles, which it prints in CI without a terminal, and escape the other sequences", () => {
    expect(terminalText('\u001b[31mFAIL\u001b[0m src/a.test.ts\n  \u001b[1;38:5:208m●\u001b[m expected')).toBe(
      'FAIL src/a.test.ts\n  ● expected',
    );
    // a sequence that is no colour: the cursor moved, the screen cleared, a colour cut short
    expect(terminalText('\u001b[2Aup \u001b[2J \u001b[31')).toBe('\\u001b[2Aup \\u001b[2J \\u001b[31');
  });

  it('should escape them in the plain line of a failed task and of a warning', () => {
    const [failed, completed] = eventsOf(
      { type: 'task.failed', at: 0, taskId: 't', attempt: 1, error, severity: 'error', willRetry: false },
      { type: 'task.completed', at: 0, taskId: 't', attempt: 1, durationMs: 1, warning: { name: 'Warning', message: 'late\u001b[1A' } },
    );
    const line = formatEvent(failed!, 0);
    expect(line).not.toMatch(RAW);
    expect(line).toBe(`[   0.000s] task.failed t #1 (error): ShellCommandError: \`x\` exited with code 1; last stderr lines:
            ${shown}
            \tat x\\r`);
    expect(formatEvent(completed!, 0)).toBe('[   0.000s] task.completed t #1 in 1 ms with warning: late\\u001b[1A');
  });

  it('should escape them in the --quiet output and in the list of failures', () => {
    let out = '';
    const reporter = lineReporter({ write: (text: string) => (out += text) }, { quiet: true });
    for (const event of eventsOf({ type: 'task.failed', at: 0, taskId: 't', attempt: 1, error, severity: 'error', willRetry: false }))
      reporter.onEvent(event);
    reporter.finish();
    expect(out).not.toMatch(RAW);
    expect(failureList([{ taskId: 't', attempt: 1, error }])).toBe(
      `rxdag: 1 task failed:\n  t (attempt 1): ShellCommandError: \`x\` exited with code 1; last stderr lines:\n      ${shown}\n      \tat x\\r\n`,
    );
  });

  it('should escape them in rxdag show, and keep them exact in its --json', () => {
    const header: JournalHeader = {
      runId: 'run-1',
      dagId: 'd',
      createdAt: 0,
      options: { failurePolicy: 'skip-dependents', contextInjection: true },
      spec: { id: 'd', tasks: [{ id: 't', deps: [], agent: 'shell' }] },
    };
    const events = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'd', taskCount: 1 },
      { type: 'task.started', at: 0, taskId: 't', attempt: 1, agent: 'shell' },
      { type: 'task.failed', at: 1, taskId: 't', attempt: 1, error, severity: 'error', willRetry: false },
    );
    const summary: JournaledRunSummary = {
      runId: 'run-1',
      dagId: 'd',
      status: 'interrupted',
      startedAt: 0,
      lastSeq: 3,
      counts: { total: 1, completed: 0, failed: 1, skipped: 0, cancelled: 0 },
    };
    const details = runDetails(header, events, summary);
    expect(JSON.parse(JSON.stringify(details)).failures[0].error.message).toContain(stderr);
    const text = formatRunDetails(details, '.rxdag/');
    expect(text).not.toMatch(RAW);
    expect(text).toContain(`      ${shown}\n      \tat x\\r\n`);
  });
});
