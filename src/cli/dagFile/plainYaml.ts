/**
 * A fast reader for the plain YAML that DAG files are written in: block mappings and sequences
 * indented with spaces, one-line scalars (plain, single- or double-quoted), one-line flow lists
 * and mappings of scalars (`deps: [a, b]`, `retry: { attempts: 2 }`), literal block scalars
 * (`run: |`), comments and a leading `---`. It reads such a file an order of magnitude faster
 * than the `yaml` library, which builds a whole document (~80 µs and ~8 KB a task).
 *
 * It is a shortcut, never a judge: it gives the value the `yaml` library gives (YAML 1.2, core
 * schema, unique keys), or `undefined` as soon as the text holds anything else — a tab, a
 * carriage return, an anchor, an alias, a tag, a folded or multi-line scalar, a quoted or
 * special key, a duplicate key, a flow collection over several lines, an indentation it does
 * not expect, a syntax error. The caller then reads the text with the `yaml` library, which
 * reports the problems. It places nothing: positions come from the `yaml` library, and only
 * when there is a problem to place.
 */

/** Thrown inside the reader when the text is not plain YAML; never escapes this module. */
const NOT_PLAIN: unique symbol = Symbol('not plain YAML');

/** Characters the `yaml` library reads differently, or that only odd files hold: the reader bails on any. */
const ODD_CHARACTERS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/;
/** A mapping key the reader takes: a plain word, followed by `:` and a space or the end of the line. */
const KEY = /^([A-Za-z_][A-Za-z0-9_.-]*):(?= |$)/;
/** A leading document marker, alone or with a comment. */
const DOCUMENT_START = /^--- *(?: #.*)?$/;
/** What may follow a quoted scalar or a flow collection on its line: spaces, a comment. */
const LINE_END = /^ *(?: #.*)?$/;
/** A literal block scalar's header: `|`, `|-` or `|+`, then a comment at most. */
const LITERAL_HEADER = /^\|([-+]?) *(?: #.*)?$/;
/** Nesting the reader follows; deeper files go to the `yaml` library (which says how deep is too deep). */
const MAX_DEPTH = 200;
/** First characters of a plain scalar the reader leaves to the `yaml` library (indicators, reserved). */
const PLAIN_START_BAD = new Set(['[', ']', '{', '}', ',', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`', '?', ':']);

/**
 * The value of a YAML text (one document, the root a block mapping or sequence) exactly as
 * `yaml`'s `parseDocument(text, { uniqueKeys: true }).toJS()` gives it, or `undefined` when the
 * text is not plain YAML as described above (or is not valid YAML).
 */
export function readPlainYaml(text: string): { readonly value: unknown } | undefined {
  if (ODD_CHARACTERS.test(text)) return undefined;
  const reader = new PlainYamlReader(text.split('\n'), text.endsWith('\n'));
  try {
    return { value: reader.document() };
  } catch (error) {
    if (error === NOT_PLAIN) return undefined;
    // the reader's own limits (a stack this deep is not expected): leave the file to the library
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

function bail(): never {
  throw NOT_PLAIN;
}

/** Spaces at the start of `line`. */
function indentOf(line: string): number {
  let i = 0;
  while (line.charCodeAt(i) === 32) i++;
  return i;
}

function isSequenceEntry(content: string): boolean {
  return content.charCodeAt(0) === 45 /* - */ && (content.length === 1 || content.charCodeAt(1) === 32);
}

class PlainYamlReader {
  /** The line being read. */
  private at = 0;
  private depth = 0;

  constructor(
    private readonly lines: readonly string[],
    /** Whether the text ends with a line feed (then the last of `lines` is an empty artifact). */
    private readonly endsWithNewline: boolean,
  ) {}

  document(): unknown {
    let indent = this.nextContent();
    if (indent === 0 && DOCUMENT_START.test(this.lines[this.at]!)) {
      this.at++;
      indent = this.nextContent();
    }
    if (indent < 0) bail();
    const value = this.node(indent);
    if (this.nextContent() >= 0) bail(); // a line none of the nodes took: the library decides what it is
    return value;
  }

  /** Moves to the next line that is not blank nor a comment; its indentation, or -1 at the end. */
  private nextContent(): number {
    const { lines } = this;
    while (this.at < lines.length) {
      const line = lines[this.at]!;
      const indent = indentOf(line);
      if (indent < line.length && line.charCodeAt(indent) !== 35 /* # */) return indent;
      this.at++;
    }
    return -1;
  }

  /** The block node whose first line is the current one, at `indent`. */
  private node(indent: number): unknown {
    if (++this.depth > MAX_DEPTH) bail();
    const content = this.lines[this.at]!.slice(indent);
    const value = isSequenceEntry(content) ? this.sequence(indent) : this.mapping(indent, content);
    this.depth--;
    return value;
  }

  /** A block sequence of entries `- …` at `indent`, from the current line. */
  private sequence(indent: number): unknown[] {
    const items: unknown[] = [];
    for (;;) {
      const content = this.lines[this.at]!.slice(indent);
      let p = 1;
      while (content.charCodeAt(p) === 32) p++;
      const rest = content.slice(p);
      if (rest === '' || rest.charCodeAt(0) === 35 /* # */) {
        this.at++;
        items.push(this.childOrNull(indent, false));
      } else if (isSequenceEntry(rest)) {
        bail(); // `- - a`
      } else if (KEY.test(rest)) {
        if (++this.depth > MAX_DEPTH) bail();
        items.push(this.mapping(indent + p, rest));
        this.depth--;
      } else {
        items.push(this.inlineValue(rest, indent));
      }
      if (this.nextContent() !== indent || !isSequenceEntry(this.lines[this.at]!.slice(indent))) return items;
    }
  }

  /** A block mapping of `key: …` lines at `indent`; `first` is the current line's content from the first key on. */
  private mapping(indent: number, first: string): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    let content = first;
    for (;;) {
      const match = KEY.exec(content);
      if (match === null) bail();
      const key = match[1]!;
      if (typeof plainScalar(key) !== 'string' || key === '__proto__' || Object.prototype.hasOwnProperty.call(map, key)) bail();
      let p = match[0].length;
      while (content.charCodeAt(p) === 32) p++;
      const rest = content.slice(p);
      if (rest === '' || rest.charCodeAt(0) === 35 /* # */) {
        this.at++;
        map[key] = this.childOrNull(indent, true);
      } else {
        map[key] = this.inlineValue(rest, indent);
      }
      if (this.nextContent() !== indent) return map;
      content = this.lines[this.at]!.slice(indent);
      if (isSequenceEntry(content)) return map;
    }
  }

  /**
   * The value of a key or an entry written on the lines after it (the current line on): a block
   * node more indented than its parent at `indent` — or, for a mapping's value, a sequence at
   * the same indentation — else nothing (`null`).
   */
  private childOrNull(indent: number, sequenceAtSameIndent: boolean): unknown {
    const next = this.nextContent();
    if (next > indent) return this.node(next);
    if (next === indent && sequenceAtSameIndent && isSequenceEntry(this.lines[this.at]!.slice(indent))) {
      if (++this.depth > MAX_DEPTH) bail();
      const value = this.sequence(indent);
      this.depth--;
      return value;
    }
    return null;
  }

  /** A value written on the current line after its key or dash (`text`); moves past the lines it takes. */
  private inlineValue(text: string, parentIndent: number): unknown {
    const first = text[0]!;
    if (first === '|') return this.literal(text, parentIndent);
    this.at++;
    if (first === '"' || first === "'") {
      const { value, end } = first === '"' ? doubleQuoted(text, 0) : singleQuoted(text, 0);
      if (!LINE_END.test(text.slice(end))) bail();
      return value;
    }
    if (first === '[' || first === '{') {
      const { value, end } = first === '[' ? flowSequence(text) : flowMapping(text);
      if (!LINE_END.test(text.slice(end))) bail();
      return value;
    }
    if (PLAIN_START_BAD.has(first) || (first === '-' && (text.length === 1 || text[1] === ' '))) bail();
    const comment = text.indexOf(' #');
    const scalar = (comment < 0 ? text : text.slice(0, comment)).trimEnd();
    if (scalar.includes(': ') || scalar.endsWith(':')) bail();
    return plainScalar(scalar);
  }

  /** A literal block scalar (`|`, `|-`, `|+`) whose header is `header`, its lines below it. */
  private literal(header: string, parentIndent: number): string {
    const chomp = LITERAL_HEADER.exec(header)?.[1];
    if (chomp === undefined) bail(); // `>`, an indentation indicator, anything after the header
    const { lines } = this;
    // the text's last line feed leaves an empty last "line" that is no line of the file
    const end = this.endsWithNewline ? lines.length - 1 : lines.length;
    let at = this.at + 1;
    let firstText = at;
    while (firstText < end && indentOf(lines[firstText]!) === lines[firstText]!.length) firstText++;
    if (firstText >= end) bail(); // an empty block scalar: rare, left to the library
    const contentIndent = indentOf(lines[firstText]!);
    if (contentIndent <= parentIndent) bail();
    const parts: string[] = [];
    for (; at < end; at++) {
      const line = lines[at]!;
      const indent = indentOf(line);
      if (indent === line.length) {
        if (indent > contentIndent) bail(); // spaces past the indentation: the library decides
        parts.push('');
      } else if (indent < contentIndent) break;
      else parts.push(line.slice(contentIndent));
    }
    // the last line of a file without a final line feed has no line break to keep or clip
    if (at === end && !this.endsWithNewline) bail();
    this.at = at;
    let last = parts.length - 1;
    while (parts[last] === '') last--;
    const body = parts.slice(0, last + 1).join('\n');
    if (chomp === '-') return body;
    if (chomp === '+') return `${body}\n${'\n'.repeat(parts.length - 1 - last)}`;
    return `${body}\n`;
  }
}

/** A plain scalar's value in YAML 1.2's core schema, as the `yaml` library resolves it. */
export function plainScalar(text: string): unknown {
  const first = text.charCodeAt(0);
  // only these start a null, a boolean or a number: a letter like the `t` of `t42` ends it here
  if (!(
    first === 126 /* ~ */ ||
    first === 110 ||
    first === 78 ||
    first === 116 ||
    first === 84 ||
    first === 102 ||
    first === 70 ||
    first === 43 ||
    first === 45 ||
    first === 46 ||
    (first >= 48 && first <= 57)
  )) {
    return text;
  }
  if (/^(?:~|[Nn]ull|NULL)$/.test(text)) return null;
  if (/^(?:[Tt]rue|TRUE)$/.test(text)) return true;
  if (/^(?:[Ff]alse|FALSE)$/.test(text)) return false;
  if (/^0o[0-7]+$/.test(text)) return parseInt(text.slice(2), 8);
  if (/^[-+]?[0-9]+$/.test(text)) return parseInt(text, 10);
  if (/^0x[0-9a-fA-F]+$/.test(text)) return parseInt(text.slice(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(text)) {
    return text.slice(-3).toLowerCase() === 'nan' ? NaN : text[0] === '-' ? -Infinity : Infinity;
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(text)) return parseFloat(text);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(text)) return parseFloat(text);
  return text;
}

/** The escapes of a double-quoted scalar (as the `yaml` library reads them), but `\x`, `\u`, `\U`. */
const ESCAPES: Readonly<Record<string, string>> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
};
const HEX_DIGITS = { x: 2, u: 4, U: 8 } as const;

/** A double-quoted scalar starting at `from` that ends on the same line; `end` is past its closing quote. */
function doubleQuoted(text: string, from: number): { value: string; end: number } {
  let value = '';
  let run = from + 1; // start of the characters not copied yet
  for (let i = from + 1; i < text.length; i++) {
    const char = text[i]!;
    if (char === '"') return { value: value + text.slice(run, i), end: i + 1 };
    if (char !== '\\') continue;
    value += text.slice(run, i);
    const escape = text[i + 1];
    if (escape === undefined) bail(); // a line continuation
    const digits = HEX_DIGITS[escape as keyof typeof HEX_DIGITS];
    if (digits !== undefined) {
      const hex = text.slice(i + 2, i + 2 + digits);
      if (hex.length !== digits || !/^[0-9a-fA-F]+$/.test(hex)) bail();
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) bail();
      value += String.fromCodePoint(code);
      i += 1 + digits;
    } else {
      const replacement = ESCAPES[escape];
      if (replacement === undefined) bail();
      value += replacement;
      i += 1;
    }
    run = i + 1;
  }
  return bail(); // not closed on its line: a multi-line scalar
}

/** A single-quoted scalar starting at `from` that ends on the same line (`''` is a quote). */
function singleQuoted(text: string, from: number): { value: string; end: number } {
  for (let i = from + 1; i < text.length; i++) {
    if (text[i] !== "'") continue;
    if (text[i + 1] === "'") {
      i++;
      continue;
    }
    return { value: text.slice(from + 1, i).replace(/''/g, "'"), end: i + 1 };
  }
  return bail();
}

/** A scalar in a flow collection starting at `from`: quoted, or plain up to the next `,` or `closer`. */
function flowScalar(text: string, from: number, closer: string): { value: unknown; end: number } {
  const first = text[from];
  if (first === '"') return doubleQuoted(text, from);
  if (first === "'") return singleQuoted(text, from);
  let end = from;
  while (end < text.length && text[end] !== ',' && text[end] !== closer) end++;
  const scalar = text.slice(from, end).trimEnd();
  if (scalar === '' || PLAIN_START_BAD.has(scalar[0]!) || (scalar[0] === '-' && (scalar.length === 1 || scalar[1] === ' '))) bail();
  // a `:` may make a pair, a `#` a comment, a bracket a collection: left to the library
  if (/[:#[\]{}]/.test(scalar)) bail();
  return { value: plainScalar(scalar), end: from + scalar.length };
}

function skipSpaces(text: string, from: number): number {
  let at = from;
  while (text.charCodeAt(at) === 32) at++;
  return at;
}

/** `[a, "b", 3]` on one line; `end` is past the `]`. */
function flowSequence(text: string): { value: unknown[]; end: number } {
  const items: unknown[] = [];
  let at = skipSpaces(text, 1);
  if (text[at] === ']') return { value: items, end: at + 1 };
  for (;;) {
    const item = flowScalar(text, at, ']');
    items.push(item.value);
    at = skipSpaces(text, item.end);
    if (text[at] === ']') return { value: items, end: at + 1 };
    if (text[at] !== ',') bail();
    at = skipSpaces(text, at + 1);
    if (text[at] === ']' || text[at] === ',') bail(); // a trailing or doubled comma: left to the library
  }
}

/** `{ a: 1, b: "x" }` on one line, plain keys only; `end` is past the `}`. */
function flowMapping(text: string): { value: Record<string, unknown>; end: number } {
  const map: Record<string, unknown> = {};
  let at = skipSpaces(text, 1);
  if (text[at] === '}') return { value: map, end: at + 1 };
  for (;;) {
    const match = /^([A-Za-z_][A-Za-z0-9_.-]*): +/.exec(text.slice(at, at + 300));
    if (match === null) bail();
    const key = match[1]!;
    if (typeof plainScalar(key) !== 'string' || key === '__proto__' || Object.prototype.hasOwnProperty.call(map, key)) bail();
    const item = flowScalar(text, at + match[0].length, '}');
    map[key] = item.value;
    at = skipSpaces(text, item.end);
    if (text[at] === '}') return { value: map, end: at + 1 };
    if (text[at] !== ',') bail();
    at = skipSpaces(text, at + 1);
    if (text[at] === '}' || text[at] === ',') bail();
  }
}
