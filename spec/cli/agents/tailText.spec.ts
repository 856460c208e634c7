import { TailText } from '../../../src/cli/agents/tailText';

describe('TailText', () => {
  it('should keep everything, trimmed, while under the limit', () => {
    const tail = new TailText(100);
    tail.push('  first\n');
    tail.push('second  \n');
    expect(tail.text()).toBe('first\nsecond');
  });

  it('should keep at most the last maxChars characters, from the start of a line, marked as cut', () => {
    const tail = new TailText(10);
    for (let i = 0; i < 1000; i++) tail.push(`${i}\n`);
    expect(tail.text()).toBe('…\n998\n999');
  });

  it('should cut inside a long line rather than keep only the short line after it', () => {
    const tail = new TailText(100);
    tail.push(`${'b'.repeat(5000)}\nend\n`);
    expect(tail.text()).toBe(`…${'b'.repeat(95)}\nend`);
    const oneLine = new TailText(10);
    oneLine.push('x'.repeat(50));
    expect(oneLine.text()).toBe(`…${'x'.repeat(10)}`);
  });

  it('should give the last non-empty lines', () => {
    const tail = new TailText(100);
    tail.push('a\n\nb\r\nc\n\n');
    expect(tail.lastLines(2)).toEqual(['b', 'c']);
    expect(tail.lastLines(0)).toEqual([]);
    // the first line keeps its indent, as a stack trace's lines all have it
    const trace = new TailText(100);
    trace.push('\n\tat foo (a.js:1)\n\tat bar (b.js:2)\n');
    expect(trace.lastLines(5)).toEqual(['\tat foo (a.js:1)', '\tat bar (b.js:2)']);
  });

  it('should take a line of control sequences alone (a colour reset, the cursor shown again) for an empty one', () => {
    const tail = new TailText(200);
    // tput sgr0's `ESC ( B ESC [ m` (tmux's `ESC [ m SI`), a window title (OSC), the cursor restored, a bell, a reset
    tail.push(
      '\u001b[31merror: no config\u001b[0m\n\u001b[0m\n\u001b[?25h\u001b[K\n\u001b(B\u001b[m\n\u001b[m\u000f\n\u001b]0;done\u0007\u001b8\n\u0007\n\u001bc\n',
    );
    expect(tail.lastLines(2)).toEqual(['\u001b[31merror: no config\u001b[0m']);
    // a DCS query (tput's of a capability), a C1 control, a zero-width space or joiner alone
    tail.push('\u001bP+q544e\u001b\\\n\u009b\n\u200b\n\u200d\u2060\n\u2063\u00ad\n\u200e\u202e\u{e0041}\n\u3164\n');
    // a variation selector left of a stripped emoji, a grapheme joiner, Khmer's inherent vowels, a braille blank
    tail.push('\ufe0f\n\u{e0100}\u034f\n\u17b4\u17b5\n\u2800\n');
    expect(tail.lastLines(2)).toEqual(['\u001b[31merror: no config\u001b[0m']);
  });

  it('should give a line a progress bar redrew with \\r as a terminal shows it: its last drawing', () => {
    const tail = new TailText(4000);
    for (let percent = 0; percent <= 100; percent += 10) tail.push(`\r[${String(percent).padStart(3)}%] downloading`);
    tail.push('\nerror: connection reset\r\nretrying\r\r\n');
    expect(tail.lastLines(3)).toEqual(['[100%] downloading', 'error: connection reset', 'retrying']);
    // the output itself keeps every byte
    expect(tail.text()).toContain('\r[ 50%] downloading\r');
  });

  it('should never cut a character in two (an emoji is two UTF-16 units)', () => {
    for (const maxChars of [9, 10, 11]) {
      const tail = new TailText(maxChars);
      for (let k = 0; k < 20; k++) tail.push('🚀🚀🚀');
      const text = tail.text();
      // a lone half of a pair cannot be encoded as UTF-8
      expect(Buffer.from(text, 'utf8').toString('utf8')).toBe(text);
      expect(text.replace('…', '')).toMatch(/^(🚀)+$/u);
    }
  });

  it('should never cut inside a character as a reader sees it: a flag, a family joined by ZWJ, a letter and its accent', () => {
    for (const character of ['🇫🇷', '👨‍👩‍👧', 'e\u0301']) {
      // every cut position within a character
      for (let maxChars = 5; maxChars <= 5 + 2 * character.length; maxChars++) {
        const tail = new TailText(maxChars);
        for (let k = 0; k < 40; k++) tail.push(character);
        const text = tail.text().replace('…', '');
        expect({ maxChars, text }).toEqual({ maxChars, text: character.repeat(Math.ceil(text.length / character.length)) });
      }
    }
  });

  it('should never cut inside a colour escape, whose end would show as text', () => {
    const coloured = '\u001b[1;31my\u001b[0m';
    // every cut position within the escapes of the chunk
    for (let maxChars = 1; maxChars <= 2 * coloured.length; maxChars++) {
      const tail = new TailText(maxChars);
      for (let k = 0; k < 10; k++) tail.push(coloured);
      const text = tail.text().replace('…', '');
      expect({ maxChars, text }).toEqual({ maxChars, text: expect.stringMatching(/^(\u001b\[[0-9;]*m|y)*$/) });
    }
  });
});
