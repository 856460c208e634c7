import { oddSpaceIn } from '../../dag/text';

/** Deepest nesting of objects and arrays accepted in a DAG file. */
export const MAX_NESTING = 1000;

/** A JSON syntax error: where it is (offset into the text) and what was expected there. */
export interface JsonSyntaxError {
  readonly offset: number;
  readonly message: string;
}

/**
 * Finds the first syntax error of a JSON text, or `undefined` when it is valid. Exists because
 * `JSON.parse` on Node 20 does not always say where an error is ("Unexpected token ']', …"),
 * and a user should get the line and column. A plain recursive-descent recognizer (RFC 8259),
 * refusing nesting deeper than {@link MAX_NESTING} (which would overflow the stack here and in
 * the scheduler's own checks) with a clear message.
 */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let at = 0;
  let depth = 0;
  const fail = (message: string): never => {
    throw { offset: at, message } satisfies JsonSyntaxError;
  };
  const describeHere = () => {
    if (at >= text.length) return 'the end of the file';
    const odd = oddSpaceIn(text[at]!);
    // a no-break space of pasted text shows as a space: named, with what JSON takes instead
    return odd === undefined ? JSON.stringify(text[at]) : `${odd}, a space JSON does not take (only plain spaces, tabs and line breaks)`;
  };
  const space = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++;
  };
  const expect = (char: string, what: string) => {
    space();
    if (text[at] !== char) fail(`expected ${what}, found ${describeHere()}${commentHint(text, at)}`);
    at++;
  };
  const string = () => {
    const opening = at;
    at++; // the opening quote
    for (;;) {
      const char = text[at];
      if (char === '"') return void at++;
      // a line break or the end: a string whose closing quote is missing, placed where it opens
      if (char === undefined) {
        at = opening;
        fail('a string runs to the end of the file: its closing quote is missing');
      }
      if (char === '\n' || char === '\r') {
        at = opening;
        fail('a string runs past the end of its line: its closing quote is missing (a line break inside one is written \\n)');
      }
      if (char < ' ') fail('control character in string (write it as an escape such as \\n)');
      if (char === '\\') {
        at++;
        if (text[at] === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(at + 1, at + 5))) at += 5;
        else if (text[at] !== undefined && '"\\/bfnrt'.includes(text[at]!)) at++;
        else fail('invalid escape in string');
      } else at++;
    }
  };
  const value = (): void => {
    space();
    const char = text[at];
    if ((char === '{' || char === '[') && depth >= MAX_NESTING) fail(`nested deeper than ${MAX_NESTING} levels`);
    depth++;
    try {
      container(char);
    } finally {
      depth--;
    }
  };
  const container = (char: string | undefined): void => {
    if (char === '{') {
      at++;
      space();
      if (text[at] === '}') return void at++;
      for (;;) {
        space();
        if (text[at] !== '"') fail(`expected a property name in double quotes, found ${describeHere()}${keyHint(text, at)}`);
        string();
        expect(':', '":"');
        value();
        space();
        if (text[at] === ',') at++;
        else return expect('}', '"," or "}"');
      }
    }
    if (char === '[') {
      at++;
      space();
      if (text[at] === ']') return void at++;
      for (;;) {
        space();
        if (text[at] === ']') fail('expected a value, found "]" (trailing comma?)');
        value();
        space();
        if (text[at] === ',') at++;
        else return expect(']', '"," or "]"');
      }
    }
    if (char === '"') return string();
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(at, at + 400));
    if (literal === null) fail(`expected a value, found ${describeHere()}${commentHint(text, at)}`);
    at += literal![0].length;
  };
  try {
    value();
    space();
    if (at < text.length) fail(`unexpected ${describeHere()} after the JSON value${commentHint(text, at)}`);
    return undefined;
  } catch (error) {
    return error as JsonSyntaxError;
  }
}

/** What is likely wrong where a property name was expected: a comma before `}`, or a comment. */
function keyHint(text: string, at: number): string {
  return text[at] === '}' ? ' (trailing comma?)' : commentHint(text, at);
}

/** ` (JSON has no comments …)` where one starts at `at`, else ''. */
function commentHint(text: string, at: number): string {
  // (`#` too: a YAML or shell habit)
  return text.startsWith('//', at) || text.startsWith('/*', at) || text[at] === '#'
    ? ' (JSON has no comments: remove it, or write the DAG file in YAML, which has #)'
    : '';
}
