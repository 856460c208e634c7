import {
  characterStartFrom,
  closestName,
  controlCharacterIn,
  describeValue,
  escapeControls,
  headOf,
  quoted,
  quotedVisibly,
} from '../../src/dag/text';

describe('message text', () => {
  it('should cut a head of text only between characters as a reader sees them', () => {
    const family = '\u{1F468}\u200d\u{1F469}\u200d\u{1F467}\u200d\u{1F466}';
    expect([1, 11, 12].map((length) => headOf(`a${family}b`, length))).toEqual(['a', 'a', `a${family}`]);
    expect(headOf('x\u{1F1EF}\u{1F1F5}y', 4)).toBe('x'); // a flag is two pairs
    expect(headOf('cafe\u0301s', 4)).toBe('caf'); // the e keeps its accent
    expect(headOf('x😀y', 2)).toBe('x');
    expect(headOf('abc', 10)).toBe('abc');
    expect(headOf('a'.repeat(10_000), 5000)).toHaveLength(5000);
    // a run of flags, cut far from its start: still between two flags
    const flags = '\u{1F1EF}\u{1F1F5}'.repeat(100);
    for (let length = 1; length < flags.length; length += 7) expect(headOf(flags, length)).toHaveLength(length - (length % 4));
  });

  it.each([
    ['dep', ['id', 'deps', 'agent'], 'deps'],
    ['timeout', ['timeoutMs', 'retry'], 'timeoutMs'],
    ['timout', ['timeoutMs', 'retry'], 'timeoutMs'],
    ['task', ['id', 'tasks', 'defaults'], 'tasks'],
    ['retries', ['retry', 'priority'], 'retry'],
    ['dependencies', ['deps', 'agent'], 'deps'],
    ['concurrency', ['maxConcurrency', 'mode'], 'maxConcurrency'],
    ['TimeoutMS', ['timeoutMs'], 'timeoutMs'],
    ['colour', ['id', 'deps', 'agent', 'run', 'sleep'], undefined],
    ['x', ['id', 'run'], undefined],
  ])('should suggest for %j among %j: %j', (word, known, meant) => {
    expect(closestName(word, known)).toBe(meant);
  });

  it('should escape control characters and name the first one', () => {
    expect(escapeControls('a\nb\tc\u001b[0m\u007f\u202e')).toBe('a\\nb\\tc\\u001b[0m\\u007f\\u202e');
    expect(quoted('x\r\ny')).toBe('"x\\r\\ny"');
    expect(controlCharacterIn('ok')).toBeUndefined();
    expect(controlCharacterIn('ab\u0000')).toBe('a NUL (U+0000) at character 3');
    expect(controlCharacterIn('\u0007')).toBe('a control character (U+0007) at character 1');
    // counted in characters, as an id's length is: an emoji is one
    expect(controlCharacterIn('🚀🚀\tx')).toBe('a tab (U+0009) at character 3');
    // the Arabic letter mark is a bidirectional mark too; the joiners emoji and some scripts need are not controls
    expect(controlCharacterIn('a\u061c')).toBe('a bidirectional control (U+061C) at character 2');
    expect(escapeControls('a\u061cb')).toBe('a\\u061cb');
    expect(controlCharacterIn('👨\u200d👩\u200d👧 fa\u200cmily')).toBeUndefined();
  });

  it('should describe values after "got", cutting long strings', () => {
    expect([undefined, null, -5, Number.NaN, 'a', [1], {}, () => 1, 3n].map(describeValue)).toEqual([
      'nothing',
      'null',
      '-5',
      'NaN',
      '"a"',
      'an array',
      'an object',
      'a function',
      '3n',
    ]);
    expect(describeValue('x'.repeat(1000))).toBe(`"${'x'.repeat(80)}…" (1000 characters)`);
  });

  // the id length check counts an emoji as one character: so does the message that quotes the id
  it('should count characters as the id check does, and never cut a character in two', () => {
    expect(quoted('🚀'.repeat(257))).toBe(`"${'🚀'.repeat(80)}…" (257 characters)`);
    expect(quoted('🚀'.repeat(50))).toBe(`"${'🚀'.repeat(50)}"`);
    expect(quoted(`${'x'.repeat(79)}🚀${'y'.repeat(10)}`)).toBe(`"${'x'.repeat(79)}🚀…" (90 characters)`);
    // a lone half of a pair is one character, as in the id check, and written as its escape (no character has it)
    expect(quoted(`\ud83d${'x'.repeat(100)}`)).toBe(`"\\ud83d${'x'.repeat(79)}…" (101 characters)`);
    // a flag is two code points: cut before one, not inside it
    expect(quoted(`a${'🇫🇷'.repeat(60)}`)).toBe(`"a${'🇫🇷'.repeat(39)}…" (121 characters)`);
  });

  it('should start a tail at a character as a reader sees it, wherever in a long run of flags it is cut', () => {
    // flags pair from the run's first indicator, however far back it is (4 units a flag)
    for (const before of ['', 'a']) {
      const text = `${before}${'🇫🇷'.repeat(50)}`;
      for (let index = before.length; index <= text.length; index++) {
        const expected = before.length + Math.ceil((index - before.length) / 4) * 4;
        expect({ index, start: characterStartFrom(text, index) }).toEqual({ index, start: expected });
      }
    }
    // an odd run: its last indicator stands alone
    expect([1, 2, 3, 4, 5].map((index) => characterStartFrom('🇫🇫🇫x', index))).toEqual([4, 4, 4, 4, 6]);
    // what joins a flag or a lone indicator (a variation selector, an accent) goes with it
    expect(characterStartFrom('\u{1f1eb}\ufe0f\u{1f1eb}\u{1f1f7}', 1)).toBe(3);
    expect([2, 3, 4].map((index) => characterStartFrom('#🇫🇷\ufe0fz', index))).toEqual([6, 6, 6]);
    // a letter and its accent, a lone half of a pair, a letter under hundreds of accents
    expect(characterStartFrom('ae\u0301z', 2)).toBe(3);
    expect([1, 100, 300].map((index) => characterStartFrom(`Z${'\u0336'.repeat(300)}x`, index))).toEqual([301, 301, 301]);
    expect(characterStartFrom('a\udc00b', 1)).toBe(1);
  });

  it('should cut an id shown visibly before its escapes, and count its own characters', () => {
    // a no-break space shown escaped: the cut never lands inside an escape, the count is the id's
    const id = `ab${'\u00a0x'.repeat(60)}`;
    expect(quotedVisibly(id)).toBe(`"ab${'\\u{a0}x'.repeat(39)}…" (122 characters)`);
  });
});
