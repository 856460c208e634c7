import { findJsonSyntaxError } from '../../../src/cli/dagFile/jsonSyntax';

describe('findJsonSyntaxError', () => {
  it.each([['{"a": [1, 2.5e3, -0, true, false, null, "x\\u00e9\\n"], "b": {}}'], ['  [ ]  '], ['"just a string"']])(
    'should accept valid JSON %s, as JSON.parse does',
    (text) => {
      expect(() => JSON.parse(text)).not.toThrow();
      expect(findJsonSyntaxError(text)).toBeUndefined();
    },
  );

  it.each([
    ['{"a": [1,2,]}', 11, 'expected a value, found "]" (trailing comma?)'],
    ['{"a": 1,}', 8, 'expected a property name in double quotes, found "}" (trailing comma?)'],
    ["{'a': 1}", 1, `expected a property name in double quotes, found "'"`],
    ['{"a" 1}', 5, 'expected ":", found "1"'],
    ['[1 2]', 3, 'expected "," or "]", found "2"'],
    ['{"a": tru}', 6, 'expected a value, found "t"'],
    [
      '{"a": 1, // note\n}',
      9,
      'expected a property name in double quotes, found "/" (JSON has no comments: remove it, or write the DAG file in YAML, which has #)',
    ],
    [
      '{"a": 1 // note\n}',
      8,
      'expected "," or "}", found "/" (JSON has no comments: remove it, or write the DAG file in YAML, which has #)',
    ],
    ['{"a":\u00a01}', 5, 'expected a value, found U+00A0, a space JSON does not take (only plain spaces, tabs and line breaks)'],
    ['{"a": /* note */ 1}', 6, 'expected a value, found "/" (JSON has no comments: remove it, or write the DAG file in YAML, which has #)'],
    ['{"a": 01}', 7, 'expected "," or "}", found "1"'],
    [
      '{"a": 1 # note\n}',
      8,
      'expected "," or "}", found "#" (JSON has no comments: remove it, or write the DAG file in YAML, which has #)',
    ],
    [
      '{"run": "echo a},\n "b": 1}',
      8,
      'a string runs past the end of its line: its closing quote is missing (a line break inside one is written \\n)',
    ],
    ['"abc', 0, 'a string runs to the end of the file: its closing quote is missing'],
    ['{"id": "d", "run": "echo hi}]}', 19, 'a string runs to the end of the file: its closing quote is missing'],
    ['"a\tb"', 2, 'control character in string (write it as an escape such as \\n)'],
    ['"\\x"', 2, 'invalid escape in string'],
    ['{} x', 3, 'unexpected "x" after the JSON value'],
    ['', 0, 'expected a value, found the end of the file'],
  ])('should find the error in %j at offset %d', (text, offset, message) => {
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(findJsonSyntaxError(text)).toEqual({ offset, message });
  });
});
