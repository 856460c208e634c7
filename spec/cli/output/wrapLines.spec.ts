import { formatEvent, TEXT_INDENT } from '../../../src/cli/output/formatEvent';
import { displayWidth } from '../../../src/cli/output/displayWidth';
import { wrapLines } from '../../../src/cli/output/wrapLines';
import { eventsOf } from '../support/eventBuilder';

describe('wrapLines', () => {
  const collapse = (text: string) => text.replace(/\s+/g, ' ').trim();

  it('should break a long line at its last space that fits, continuing under the indent', () => {
    expect(wrapLines('[   0.1s] task.failed x: exited with code 3', 30, 10)).toBe('[   0.1s] task.failed x:\n          exited with code 3');
    expect(wrapLines('[   0.1s] task.failed x: exited with code 3', 30, 0)).toBe('[   0.1s] task.failed x:\nexited with code 3');
  });

  it('should leave short lines and their own line breaks alone', () => {
    expect(wrapLines('short\n            indented continuation', 80, 12)).toBe('short\n            indented continuation');
  });

  it('should cut a word longer than the line, keeping every character', () => {
    expect(wrapLines('abcdefghij', 4)).toBe('abcd\nefgh\nij');
  });

  it('should not indent when the width leaves too little room for text', () => {
    expect(wrapLines('one two three four', 10, 8)).toBe('one two\nthree four');
  });

  it.each([30, 40, 60, 80])('should fit a shell failure in %d columns and keep its exit code and stderr lines', (width) => {
    const [failed] = eventsOf({
      type: 'task.failed',
      at: 16,
      taskId: 'fetch-rates',
      attempt: 1,
      error: {
        name: 'ShellCommandError',
        message:
          '`if [ "$RXDAG_ATTEMPT" -lt 2 ]; then echo "GET /rates: 503 Service Unavailable" >&2; exit 75; fi; cat rat…` exited with code 75; last stderr lines:\nGET /rates: 503 Service Unavailable\nretrying later',
      },
      severity: 'error',
      willRetry: true,
    });
    const line = formatEvent(failed!, 0);
    const wrapped = wrapLines(line, width, TEXT_INDENT);
    for (const row of wrapped.split('\n')) expect(row.length).toBeLessThanOrEqual(width);
    expect(collapse(wrapped)).toBe(collapse(line));
    expect(collapse(wrapped)).toMatch(/exited with code 75; last stderr lines: GET \/rates: 503 Service Unavailable retrying later$/);
    // each stderr line still starts a line of its own
    const starts = wrapped.split('\n').map((row) => row.trimStart());
    expect(starts).toContainEqual(expect.stringMatching(/^GET \/rates: 503/));
    expect(starts).toContain('retrying later');
  });

  it('should count wide characters as two columns and never break inside one', () => {
    const emoji = `${'🚀'.repeat(50)}FIN`;
    const rows = wrapLines(emoji, 20, 4).split('\n');
    for (const row of rows) {
      expect(displayWidth(row)).toBeLessThanOrEqual(20);
      expect(row).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/); // no half a character
    }
    expect(rows.map((row) => row.trimStart()).join('')).toBe(emoji);
    const cjk = wrapLines(`${'中'.repeat(60)}END`, 80);
    expect(cjk.split('\n').map(displayWidth)).toEqual([80, 43]);
  });

  it('should draw a tab as the spaces to the next tab stop, so that a line of tabs keeps its end within the width', () => {
    const line = 'FAIL\tpkg/billing\t0.012s\tTestInvoiceTotals expected=42 got=41';
    expect(wrapLines(line, 200)).toBe('FAIL    pkg/billing     0.012s  TestInvoiceTotals expected=42 got=41');
    const rows = wrapLines(`${'\t'.repeat(9)}END2`, 40).split('\n');
    for (const row of rows) expect(displayWidth(row)).toBeLessThanOrEqual(40);
    expect(rows.join('').trim()).toBe('END2');
    // columns counted from the line's start, wide characters as two
    expect(wrapLines('中文\tx', 80)).toBe('中文    x');
  });

  it('should count a character drawn as an emoji (VS16) as two columns', () => {
    const hearts = `${'x'.repeat(12)}${'❤️'.repeat(24)}`;
    for (const row of wrapLines(hearts, 59, 12).split('\n')) expect(displayWidth(row)).toBeLessThanOrEqual(59);
    expect(
      wrapLines(hearts, 59, 12)
        .split('\n')
        .map((row) => row.trim())
        .join(''),
    ).toBe(hearts);
    // never parted from its VS16 at a break
    expect(wrapLines('123456789❤️x', 10)).toBe('123456789\n❤️x');
    expect(displayWidth('❤️')).toBe(2);
    expect(displayWidth('❤')).toBe(1);
    expect(displayWidth('🚀\ufe0f')).toBe(2);
  });

  it('should put a character wider than the whole width on a line of its own rather than loop', () => {
    expect(wrapLines('中文', 1)).toBe('中\n文');
  });

  it('should never break inside a character as a reader sees it: a family emoji joined by ZWJ, a flag, a letter and its accents', () => {
    const family = '\u{1F468}\u200d\u{1F469}\u200d\u{1F467}';
    for (const character of [family, '\u{1F1EB}\u{1F1F7}', 'e\u0301\u0302']) {
      const line = `${'x'.repeat(5)}${character.repeat(40)}`;
      for (const width of [7, 8, 13, 60]) {
        for (const row of wrapLines(line, width).split('\n').slice(1)) expect(row.replaceAll(character, '')).toBe('');
      }
    }
  });
});
