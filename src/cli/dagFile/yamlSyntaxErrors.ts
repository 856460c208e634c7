/**
 * The `yaml` library's syntax errors as problems a DAG file's writer can act on: each at its line
 * and column (at most {@link MAX_SYNTAX_ERRORS}), with what is likely wrong where the library's
 * words are about its parser: a value holding `: ` (`run: echo note: hi`), a key indented more
 * or less than the key above it, `-id:` without a space after its dash. An error placed at a
 * line's indentation is placed at what the line holds, and one mistake the library reports
 * twice is said once. It finds no errors itself: the library does.
 */
import type { LineCounter, YAMLError } from 'yaml';
import { oddSpaceIn } from '../../dag/text';
import type { Problem } from '../problems';
import { MAX_NESTING } from './jsonSyntax';

/** Syntax errors listed before "… and N more": a file of garbage would otherwise print hundreds. */
export const MAX_SYNTAX_ERRORS = 10;

/** A line that starts with a plain key, after the dashes of the list entries it opens: `  - id: a`. */
const KEY_LINE = /^((?: *- +)* *)([A-Za-z_][\w.-]*) *:(?: |$)/;
/** A line whose key is glued to its dash: `  -id: a` (a key `-id`, not a list entry). */
const DASH_KEY_LINE = /^( *)-([A-Za-z_][\w.-]*) *:(?: |$)/;

/** A key as written before its `:`: quoted, or plain up to the colon. */
const DUPLICATE_KEY = /^("(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*'|[^\s"'#:][^:\n]*?)[ \t]*:(?:[ \t]|$)/m;
/** The longest key a message quotes. */
const MAX_KEY_SHOWN = 200;

/** Problems for the syntax `errors` the library found in `text`. */
export function yamlSyntaxProblems(errors: readonly YAMLError[], text: string, lineCounter: LineCounter, fileName: string): Problem[] {
  const said: (Worded & { readonly code: string })[] = [];
  /** Where the errors a hint explained are: the library's second error there is the same mistake. */
  const explained = new Set<number>();
  /** Where an error was said: the library's next ones there (`-id:` gives two, a stray `- id:` three) are the same mistake. */
  const saidAt = new Set<number>();
  for (const error of errors) {
    if (error.code === 'MULTILINE_IMPLICIT_KEY' && explained.has(error.pos[0])) continue;
    const worded = withOddSpace(wordedError(error, text), text, error.pos[0]);
    if (saidAt.has(worded.offset)) continue;
    // a reader out of stack says so at each level it unwinds: once is enough
    if (worded.message === NESTED_TOO_DEEPLY && said.some((earlier) => earlier.message === NESTED_TOO_DEEPLY)) continue;
    saidAt.add(worded.offset);
    if (worded.hinted) explained.add(error.pos[0]);
    said.push({ ...worded, code: error.code });
  }
  const problems = said.slice(0, MAX_SYNTAX_ERRORS).map(({ offset, message, code }): Problem => {
    const { line, col } = lineCounter.linePos(offset);
    if (code !== 'MULTIPLE_DOCS') return { file: fileName, line, column: col, message: `YAML syntax error: ${message}` };
    const second = text.startsWith('---', offset)
      ? `the \`---\` at line ${line} starts a second one`
      : `a second one starts at line ${line}`;
    return {
      file: fileName,
      line,
      column: col,
      message: `more than one YAML document (${second}); a DAG file is one document: remove it, or make it a comment`,
    };
  });
  const more = said.length - MAX_SYNTAX_ERRORS;
  if (more > 0) {
    const { line, col } = lineCounter.linePos(said[MAX_SYNTAX_ERRORS]!.offset);
    problems.push({ file: fileName, line, column: col, message: `… and ${more} more YAML syntax error${more === 1 ? '' : 's'}` });
  }
  return problems;
}

/**
 * How deep a YAML file's nesting can surely go: the YAML library reads by recursion, and runs out
 * of stack short of JSON's limit (from ~850 levels of block mappings, depending on the stack).
 */
const YAML_NESTING = MAX_NESTING / 2;
const NESTED_TOO_DEEPLY = `nested too deeply to read (keep nesting under ${YAML_NESTING} levels)`;

/** A message of the library (a syntax error, or an error reading the document) in the words of a DAG file. */
export function readableYamlError(message: string): string {
  if (/Maximum call stack/.test(message)) return NESTED_TOO_DEEPLY;
  if (/^Excessive alias count/.test(message)) {
    return `the aliases expand past 100 uses of anchors (each counting the aliases inside it), the guard against alias bombs: ${SHARE_BY_DEFAULTS}`;
  }
  if (/^Merge sources must be/.test(message)) {
    return `${message} (\`<<:\` takes the alias of a mapping anchored above it: \`<<: *base\` after \`&base\` on a mapping; check the alias's name and what its anchor holds)`;
  }
  return message;
}

/** What to do when a file's aliases are too many: the same fields for every task are what `defaults` is for. */
export const SHARE_BY_DEFAULTS = 'share fields among many tasks with `defaults:` instead';

/** An error's message and where it is said, and whether a hint says what is likely wrong. */
interface Worded {
  readonly offset: number;
  readonly message: string;
  readonly hinted: boolean;
}

function wordedError(error: YAMLError, text: string): Worded {
  const at = error.pos[0];
  const plain = { offset: atContent(text, at), message: readableYamlError(error.message), hinted: false };
  const line = lineAt(text, at);
  const quote = /^Missing closing (["'])quote/.exec(error.message)?.[1];
  if (error.code === 'MISSING_CHAR' && quote !== undefined) {
    // said at the end of the file, where the value it opens runs to: the quote that opened it is the mistake
    const open = openingQuote(text, at, quote);
    if (open !== undefined) {
      return {
        offset: open,
        message: `Missing closing ${quote}quote: this ${quote} opens a value nothing closes (it runs to the end of the file)`,
        hinted: true,
      };
    }
  }
  if (error.code === 'UNEXPECTED_TOKEN' && /:\s+'[^']*'[^\s'#,\]}]/.test(line.text)) {
    return { ...plain, message: `${plain.message} (inside '…' a single quote is written twice: 'it''s', or use "…")`, hinted: true };
  }
  const dashKey = DASH_KEY_LINE.exec(line.text);
  if (dashKey !== null) {
    const [, indent, key] = dashKey;
    const hint = `\`-${key}\` needs a space after \`-\` to start a list entry: \`- ${key}:\``;
    return { offset: line.start + indent!.length, message: `${error.message} (${hint})`, hinted: true };
  }
  if (error.code === 'DUPLICATE_KEY') {
    // the library names no key: the one at the error, as written
    const key = DUPLICATE_KEY.exec(text.slice(plain.offset, plain.offset + MAX_KEY_SHOWN))?.[1];
    const shown = key === undefined ? undefined : /^["']/.test(key) ? key : `\`${key}\``;
    return shown === undefined ? plain : { ...plain, message: `${error.message} (${shown} is given twice in this mapping)` };
  }
  if (error.code === 'BLOCK_AS_IMPLICIT_KEY') {
    // `run: echo note: hi`: a `: ` in a plain value starts a mapping (a value: after a key on its line)
    const value = text.slice(at, line.start + line.text.length).replace(/ #.*$/, '');
    const afterKey = /^[\s-]*[^\s:][^:]*: /.test(text.slice(line.start, at));
    if (afterKey && /: |:$/.test(value))
      return { ...plain, message: `${error.message} (a value holding ": " needs quotes, or \`run: |\`)`, hinted: true };
    // a key indented more than the key above it reads as the rest of that key's value
    const above = keyOf(line);
    const next = nextContentLine(text, line.start + line.text.length + 1);
    const misplaced = next === undefined ? undefined : keyOf(next);
    if (above !== undefined && misplaced !== undefined && misplaced.column > above.column) {
      return { offset: misplaced.offset, message: `${error.message} (${indentationHint(misplaced, above)})`, hinted: true };
    }
    return plain;
  }
  if (error.code === 'BAD_INDENT' || /Sequence item without - indicator/.test(error.message)) {
    // placed at the indentation of the comment or blank lines before the item
    const itemLine = isBlank(line) ? nextContentLine(text, line.start) : line;
    const misplaced = itemLine === undefined ? undefined : keyOf(itemLine);
    const aboveLine = previousContentLine(text, line.start);
    const above = aboveLine === undefined ? undefined : keyOf(aboveLine);
    if (misplaced !== undefined && above !== undefined && misplaced.column !== above.column) {
      return { offset: misplaced.offset, message: `${error.message} (${indentationHint(misplaced, above)})`, hinted: true };
    }
  }
  return plain;
}

/**
 * `worded` told, when no hint says what is wrong, that the line of the error holds a space YAML
 * does not read as one (`run:\u{a0}echo`, the no-break space of pasted text).
 */
function withOddSpace(worded: Worded, text: string, at: number): Worded {
  const odd = worded.hinted ? undefined : oddSpaceIn(lineAt(text, at).text);
  if (odd === undefined) return worded;
  const hint = `the line holds ${odd}, a space that is not the plain one, as text copied from a web page or a chat often has, which YAML reads as a letter: write a plain space`;
  return { ...worded, message: `${worded.message} (${hint})`, hinted: true };
}

/**
 * Where the quoted value that runs to `end` opens: the last `quote` before it that is not escaped
 * (`\"` in a double-quoted value; in a single-quoted one, quotes come in pairs, `''`, so of a row
 * of quotes of odd length the first opens the value: `'''x` is `'` then `''`).
 */
function openingQuote(text: string, end: number, quote: string): number | undefined {
  for (let at = text.lastIndexOf(quote, end - 1); at >= 0;) {
    if (quote === '"') {
      if (text[at - 1] !== '\\') return at;
      at = text.lastIndexOf(quote, at - 1);
      continue;
    }
    let first = at;
    while (first > 0 && text[first - 1] === quote) first--;
    if ((at - first) % 2 === 0) return first;
    at = first > 0 ? text.lastIndexOf(quote, first - 1) : -1;
  }
  return undefined;
}

/** A line of the text: where it starts, and its text without its line feed. */
interface Line {
  readonly start: number;
  readonly text: string;
}

/** A key written on a line: its name, its offset and its 1-based column. */
interface Key {
  readonly name: string;
  readonly offset: number;
  readonly column: number;
}

function indentationHint(misplaced: Key, above: Key): string {
  return `\`${misplaced.name}\` is at column ${misplaced.column} and \`${above.name}\` above it at column ${above.column}: the keys of one mapping start at the same column`;
}

function keyOf(line: Line): Key | undefined {
  const match = KEY_LINE.exec(line.text);
  if (match === null) return undefined;
  const column = match[1]!.length + 1;
  return { name: match[2]!, offset: line.start + column - 1, column };
}

function lineAt(text: string, offset: number): Line {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', start);
  return { start, text: text.slice(start, end < 0 ? text.length : end) };
}

/** Whether a line holds only spaces and a comment at most. */
function isBlank(line: Line): boolean {
  return /^\s*(#.*)?$/.test(line.text);
}

/** The first line from offset `start` (a line's start) that is not blank nor a comment. */
function nextContentLine(text: string, start: number): Line | undefined {
  for (let at = start; at < text.length;) {
    const line = lineAt(text, at);
    if (!isBlank(line)) return line;
    at = line.start + line.text.length + 1;
  }
  return undefined;
}

/** The last line before the line starting at `start` that is not blank nor a comment. */
function previousContentLine(text: string, start: number): Line | undefined {
  // `end`: the line feed that ends the line looked at
  for (let end = start - 1; end >= 0;) {
    const line = lineAt(text, end);
    if (!isBlank(line)) return line;
    end = line.start - 1;
  }
  return undefined;
}

/** `offset`, or when it is at the start of a line's indentation, where the line's content starts. */
function atContent(text: string, offset: number): number {
  if (offset > 0 && text[offset - 1] !== '\n') return offset;
  let at = offset;
  while (text[at] === ' ') at++;
  return at < text.length && text[at] !== '\n' ? at : offset;
}
