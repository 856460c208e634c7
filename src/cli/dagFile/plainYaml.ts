/**
 * A fast reader for the plain YAML that DAG files are written in: block mappings and sequences
 * indented with spaces, one-line scalars (plain, single- or double-quoted), one-line flow lists
 * and mappings of scalars (`deps: [a, b]`, `retry: { attempts: 2 }`), literal block scalars
 * (`run: |`), comments and a leading `---`. It reads such a file an order of magnitude faster
 * than the `yaml` library, which builds a whole document (~80 µs and ~8 KB a task). One-line
 * flow collections may nest (`api: { concurrency: 2, rate: { limit: 60, intervalMs: 60000 } }`).
 *
 * It is a shortcut, never a judge: it gives the value the `yaml` library gives (YAML 1.2, core
 * schema, unique keys), or `undefined` as soon as the text holds anything else — a tab, a
 * carriage return, an anchor, an alias, a tag, a folded or multi-line scalar, a quoted or
 * special key, a duplicate key, a flow collection over several lines, an indentation it does
 * not expect, a syntax error. The caller then reads the text with the `yaml` library, which
 * reports the problems. Asked where the parts of a text it takes are written (only when a
 * problem is to be placed), it reads the text again recording each node and key
 * ({@link plainYamlPositions}), placing them as the `yaml` library places them. It also says
 * whether a number or boolean it read is written otherwise than JavaScript writes it (`02134`):
 * only then need anyone look for where.
 */

import { NodeOffsets } from './nodeOffsets';
import {
  COLON,
  DASH,
  NOT_PLAIN,
  PLAIN_START_BAD,
  SPACE,
  bail,
  doubleQuoted,
  flowMapping,
  flowSequence,
  isKeyPart,
  isKeyStart,
  plainScalar,
  readsBackOtherwise,
  singleQuoted,
} from './plainYamlLine';
import type { Positions } from './sourceText';

/** Characters the `yaml` library reads differently, or that only odd files hold: the reader bails on any. */
const ODD_CHARACTERS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/;
/** A leading document marker, alone or with a comment. */
const DOCUMENT_START = /^--- *(?: #.*)?$/;
/** A literal block scalar's header: `|`, `|-` or `|+`, then a comment at most. */
const LITERAL_HEADER = /^\|([-+]?) *(?: #.*)?$/;
/** Nesting the reader follows; deeper files go to the `yaml` library (which says how deep is too deep). */
const MAX_DEPTH = 200;

const LINE_FEED = 10;
const HASH = 35;

/**
 * The value of a YAML text (one document, the root a block mapping or sequence) exactly as
 * `yaml`'s `parseDocument(text, { uniqueKeys: true }).toJS()` gives it, or `undefined` when the
 * text is not plain YAML as described above (or is not valid YAML); `rewritten` when a number
 * or boolean in it reads back otherwise (`02134` is 2134: see `readsBackOtherwise`).
 */
export function readPlainYaml(text: string, offsets?: NodeOffsets): { readonly value: unknown; readonly rewritten: boolean } | undefined {
  if (ODD_CHARACTERS.test(text)) return undefined;
  try {
    const reader = new PlainYamlReader(text, offsets);
    const value = reader.document();
    return { value, rewritten: reader.rewritten };
  } catch (error) {
    if (error === NOT_PLAIN) return undefined;
    // the reader's own limits (a stack this deep is not expected): leave the file to the library
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

/**
 * Where the parts of `text` are written, placed as the `yaml` library's document places them (a
 * node at its first character, a value written as nothing at its key or its dash), or
 * `undefined` when the text is not plain YAML. Costs a second reading of the text, and a few
 * int32 per node: a problem in a 100,000-task file is placed in a fraction of a second.
 */
export function plainYamlPositions(text: string): Positions | undefined {
  const offsets = new NodeOffsets();
  return readPlainYaml(text, offsets) === undefined ? undefined : offsets.positions(text);
}

/**
 * Reads the text line by line through offsets (no string per line): `at` is where the current
 * line starts. Every method bails (throws {@link NOT_PLAIN}) on what it does not take.
 */
class PlainYamlReader {
  /** Where the current line starts. */
  private at = 0;
  private depth = 0;
  /** Whether a number or boolean read so far is written otherwise than JavaScript writes it. */
  rewritten = false;

  /** @param offsets where to record each node and key as it is read; none when only the value is wanted */
  constructor(
    private readonly text: string,
    private readonly offsets?: NodeOffsets,
  ) {}

  document(): unknown {
    let indent = this.nextContent();
    if (indent === 0 && DOCUMENT_START.test(this.text.slice(this.at, this.lineEnd(this.at)))) {
      this.at = this.lineEnd(this.at) + 1;
      indent = this.nextContent();
    }
    if (indent < 0) bail();
    const value = this.node(indent);
    if (this.nextContent() >= 0) bail(); // a line none of the nodes took: the library decides what it is
    return value;
  }

  /** Where the line starting at `start` ends (its line feed, or the end of the text). */
  private lineEnd(start: number): number {
    const end = this.text.indexOf('\n', start);
    return end < 0 ? this.text.length : end;
  }

  /** Moves to the next line that is not blank nor a comment; its indentation, or -1 at the end. */
  private nextContent(): number {
    const { text } = this;
    while (this.at < text.length) {
      let i = this.at;
      while (text.charCodeAt(i) === SPACE) i++;
      const code = text.charCodeAt(i);
      if (i < text.length && code !== LINE_FEED && code !== HASH) return i - this.at;
      this.at = code === LINE_FEED ? i + 1 : this.lineEnd(i) + 1;
    }
    return -1;
  }

  /** Whether the text at `from` (in the line ending at `end`) starts a sequence entry: `-` then a space or the end. */
  private isEntry(from: number, end: number): boolean {
    return this.text.charCodeAt(from) === DASH && (from + 1 === end || this.text.charCodeAt(from + 1) === SPACE);
  }

  /** Where the `:` after a plain key at `from` is (followed by a space or the end of the line at `end`), or -1. */
  private keyEnd(from: number, end: number): number {
    const { text } = this;
    if (!isKeyStart(text.charCodeAt(from))) return -1;
    let k = from + 1;
    while (k < end && isKeyPart(text.charCodeAt(k))) k++;
    if (k >= end || text.charCodeAt(k) !== COLON) return -1;
    return k + 1 === end || text.charCodeAt(k + 1) === SPACE ? k : -1;
  }

  /** The block node whose first line is the current one, at `indent`. */
  private node(indent: number): unknown {
    if (++this.depth > MAX_DEPTH) bail();
    const from = this.at + indent;
    const value = this.isEntry(from, this.lineEnd(from)) ? this.sequence(indent) : this.mapping(indent, from);
    this.depth--;
    return value;
  }

  /** A block sequence of entries `- …` at `indent`, from the current line. */
  private sequence(indent: number): unknown[] {
    const { text } = this;
    const items: unknown[] = [];
    const list = this.offsets?.openList(this.at + indent) ?? -1;
    for (;;) {
      const dash = this.at + indent;
      const end = this.lineEnd(dash);
      let from = dash + 1;
      while (from < end && text.charCodeAt(from) === SPACE) from++;
      if (from === end || text.charCodeAt(from) === HASH) {
        this.at = end + 1;
        items.push(this.childOrNull(indent, false, dash));
      } else if (this.isEntry(from, end)) {
        bail(); // `- - a`
      } else if (this.keyEnd(from, end) >= 0) {
        if (++this.depth > MAX_DEPTH) bail();
        items.push(this.mapping(from - this.at, from));
        this.depth--;
      } else {
        items.push(this.inlineValue(from, end, indent));
      }
      if (this.nextContent() !== indent) break;
      const next = this.at + indent;
      if (!this.isEntry(next, this.lineEnd(next))) break;
    }
    this.offsets?.close(list);
    return items;
  }

  /** A block mapping of `key: …` lines at `indent`; its first key is at `first`, on the current line. */
  private mapping(indent: number, first: number): Record<string, unknown> {
    const { text } = this;
    const map: Record<string, unknown> = {};
    const mapping = this.offsets?.openMapping(first) ?? -1;
    let from = first;
    for (;;) {
      const end = this.lineEnd(from);
      const colon = this.keyEnd(from, end);
      if (colon < 0) bail();
      const key = text.slice(from, colon);
      if (typeof plainScalar(key) !== 'string' || key === '__proto__' || Object.prototype.hasOwnProperty.call(map, key)) bail();
      this.offsets?.key(from, colon);
      let value = colon + 1;
      while (value < end && text.charCodeAt(value) === SPACE) value++;
      if (value === end || text.charCodeAt(value) === HASH) {
        this.at = end + 1;
        map[key] = this.childOrNull(indent, true, from);
      } else {
        map[key] = this.inlineValue(value, end, indent);
      }
      if (this.nextContent() !== indent) break;
      from = this.at + indent;
      if (this.isEntry(from, this.lineEnd(from))) break;
    }
    this.offsets?.close(mapping);
    return map;
  }

  /**
   * The value of a key or an entry written on the lines after it (the current line on): a block
   * node more indented than its parent at `indent` — or, for a mapping's value, a sequence at
   * the same indentation — else nothing (`null`), placed at `emptyAt` (its key, or its dash).
   */
  private childOrNull(indent: number, sequenceAtSameIndent: boolean, emptyAt: number): unknown {
    const next = this.nextContent();
    if (next > indent) return this.node(next);
    if (next === indent && sequenceAtSameIndent && this.isEntry(this.at + indent, this.lineEnd(this.at + indent))) {
      if (++this.depth > MAX_DEPTH) bail();
      const value = this.sequence(indent);
      this.depth--;
      return value;
    }
    this.offsets?.scalar(emptyAt);
    return null;
  }

  /** Whether only spaces, then a comment after at least one space, are left of the line from `from` to `end`. */
  private restIsComment(from: number, end: number): boolean {
    let at = from;
    while (at < end && this.text.charCodeAt(at) === SPACE) at++;
    return at === end || (at > from && this.text.charCodeAt(at) === HASH);
  }

  /** A value written from `from` to the line's `end` after its key or dash; moves past the lines it takes. */
  private inlineValue(from: number, end: number, parentIndent: number): unknown {
    const { text } = this;
    const first = text[from]!;
    // a flow collection records itself and its items
    if (first !== '[' && first !== '{') this.offsets?.scalar(from);
    if (first === '|') return this.literal(from, end, parentIndent);
    this.at = end + 1;
    if (first === '"' || first === "'" || first === '[' || first === '{') {
      const read =
        first === '"'
          ? doubleQuoted(text, from, end)
          : first === "'"
            ? singleQuoted(text, from, end)
            : first === '['
              ? flowSequence(text, from, end, this.offsets)
              : flowMapping(text, from, end, this.offsets);
      if (!this.restIsComment(read.end, end)) bail();
      if (read.rewritten === true) this.rewritten = true;
      return read.value;
    }
    if (PLAIN_START_BAD.has(first) || (first === '-' && (from + 1 === end || text.charCodeAt(from + 1) === SPACE))) bail();
    // the scalar ends at a comment (` #`); a `: ` in it, or a `:` at its end, makes a mapping
    let stop = end;
    for (let i = from + 1; i < end; i++) {
      if (text.charCodeAt(i) === HASH && text.charCodeAt(i - 1) === SPACE) {
        stop = i - 1;
        break;
      }
    }
    while (text.charCodeAt(stop - 1) === SPACE) stop--;
    for (let i = from; i < stop; i++) {
      if (text.charCodeAt(i) === COLON && (i + 1 === stop || text.charCodeAt(i + 1) === SPACE)) bail();
    }
    const scalar = text.slice(from, stop);
    const value = plainScalar(scalar);
    if (readsBackOtherwise(scalar, value)) this.rewritten = true;
    return value;
  }

  /** A literal block scalar (`|`, `|-`, `|+`) whose header is from `from` to `end`, its lines below it. */
  private literal(from: number, end: number, parentIndent: number): string {
    const { text } = this;
    const chomp = LITERAL_HEADER.exec(text.slice(from, end))?.[1];
    if (chomp === undefined) bail(); // `>`, an indentation indicator, anything after the header
    // the text's last line feed ends its last line: no line starts at the very end
    let contentIndent = -1;
    for (let line = end + 1; line < text.length && contentIndent < 0;) {
      let i = line;
      while (text.charCodeAt(i) === SPACE) i++;
      if (i < text.length && text.charCodeAt(i) !== LINE_FEED) contentIndent = i - line;
      else line = i + 1;
    }
    if (contentIndent < 0) bail(); // an empty block scalar at the end: rare, left to the library
    if (contentIndent <= parentIndent) bail(); // an empty one (the next line is not its text): rare too
    const parts: string[] = [];
    let line = end + 1;
    let ended = false;
    while (line < text.length) {
      const lineEnd = this.lineEnd(line);
      let i = line;
      while (i < lineEnd && text.charCodeAt(i) === SPACE) i++;
      if (i === lineEnd) {
        if (i - line > contentIndent) bail(); // spaces past the indentation: the library decides
        parts.push('');
      } else if (i - line < contentIndent) {
        ended = true;
        break;
      } else parts.push(text.slice(line + contentIndent, lineEnd));
      line = lineEnd + 1;
    }
    // the last line of a file without a final line feed has no line break to keep or clip
    if (!ended && !text.endsWith('\n')) bail();
    this.at = line;
    let last = parts.length - 1;
    while (parts[last] === '') last--;
    const body = parts.slice(0, last + 1).join('\n');
    if (chomp === '-') return body;
    if (chomp === '+') return `${body}\n${'\n'.repeat(parts.length - 1 - last)}`;
    return `${body}\n`;
  }
}
