/**
 * The one-line pieces of the plain-YAML reader ({@link readPlainYaml}): plain scalars resolved
 * in YAML 1.2's core schema, single- and double-quoted scalars, and flow lists and mappings
 * closed on their line, of scalars and of such lists and mappings (`{ rate: { limit: 60 } }`),
 * nested at most {@link MAX_FLOW_DEPTH} deep. Each takes the text and offsets (no string per line) and bails
 * (throws {@link NOT_PLAIN}) on anything it leaves to the `yaml` library. It does not read
 * block structure, comments between lines or literal blocks: that is the reader's. Given a
 * {@link NodeOffsets}, a flow collection records where it, its keys and its items are written;
 * it says whether a number or boolean in it reads back otherwise ({@link readsBackOtherwise}).
 */
import type { NodeOffsets } from './nodeOffsets';

/** Thrown when the text is not plain YAML; {@link readPlainYaml} catches it, it never escapes. */
export const NOT_PLAIN: unique symbol = Symbol('not plain YAML');

/** First characters of a plain scalar the reader leaves to the `yaml` library (indicators, reserved). */
export const PLAIN_START_BAD = new Set(['[', ']', '{', '}', ',', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`', '?', ':']);

export const SPACE = 32;
export const DASH = 45;
export const COLON = 58;

export function bail(): never {
  throw NOT_PLAIN;
}

/** `[A-Za-z_]`: what a key the reader takes starts with. */
export function isKeyStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

/** `[A-Za-z0-9_.-]`: what the rest of such a key is made of. */
export function isKeyPart(code: number): boolean {
  return isKeyStart(code) || (code >= 48 && code <= 57) || code === 46 || code === DASH;
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
  if (text.length < 10 && /^[0-9]+$/.test(text)) return parseInt(text, 10); // the common case: `sleep: 0`
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

/**
 * Whether `value`, read from the plain scalar `text`, is a number or boolean that JavaScript
 * writes otherwise: `02134` is 2134, `1.10` is 1.1, `True` is true. Such a value written where
 * text is taken would not reach it as written.
 */
export function readsBackOtherwise(text: string, value: unknown): boolean {
  return (typeof value === 'number' || typeof value === 'boolean') && String(value) !== text;
}

/** What a one-line piece reads as: its value, where it ends, and (a plain scalar, a flow collection) whether a number or boolean in it reads back otherwise. */
export interface FlowRead<T> {
  readonly value: T;
  readonly end: number;
  readonly rewritten?: boolean;
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

/** A double-quoted scalar starting at `from` that ends before `limit` (its line's end); `end` is past its closing quote. */
export function doubleQuoted(text: string, from: number, limit: number): FlowRead<string> {
  let value = '';
  let run = from + 1; // start of the characters not copied yet
  for (let i = from + 1; i < limit; i++) {
    const char = text[i]!;
    if (char === '"') return { value: value + text.slice(run, i), end: i + 1 };
    if (char !== '\\') continue;
    value += text.slice(run, i);
    if (i + 1 >= limit) bail(); // a line continuation
    const escape = text[i + 1]!;
    const digits = HEX_DIGITS[escape as keyof typeof HEX_DIGITS];
    if (digits !== undefined) {
      const hex = text.slice(i + 2, Math.min(i + 2 + digits, limit));
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

/** A single-quoted scalar starting at `from` that ends before `limit` (`''` is a quote). */
export function singleQuoted(text: string, from: number, limit: number): FlowRead<string> {
  for (let i = from + 1; i < limit; i++) {
    if (text[i] !== "'") continue;
    if (i + 1 < limit && text[i + 1] === "'") {
      i++;
      continue;
    }
    return { value: text.slice(from + 1, i).replace(/''/g, "'"), end: i + 1 };
  }
  return bail();
}

/** Flow collections nested deeper than this are left to the `yaml` library. */
export const MAX_FLOW_DEPTH = 8;

/**
 * A value in a flow collection starting at `from`: a nested flow list or mapping (at `depth`),
 * a quoted scalar, or a plain one up to the next `,` or `closer` (before `limit`).
 */
function flowValue(
  text: string,
  from: number,
  closer: string,
  limit: number,
  offsets: NodeOffsets | undefined,
  depth: number,
): FlowRead<unknown> {
  const first = text[from];
  if (first === '[') return flowSequence(text, from, limit, offsets, depth + 1);
  if (first === '{') return flowMapping(text, from, limit, offsets, depth + 1);
  offsets?.scalar(from);
  if (first === '"') return doubleQuoted(text, from, limit);
  if (first === "'") return singleQuoted(text, from, limit);
  let end = from;
  while (end < limit && text[end] !== ',' && text[end] !== closer) end++;
  while (end > from && text.charCodeAt(end - 1) === SPACE) end--;
  const scalar = text.slice(from, end);
  if (scalar === '' || PLAIN_START_BAD.has(scalar[0]!) || (scalar[0] === '-' && (scalar.length === 1 || scalar[1] === ' '))) bail();
  // a `:` may make a pair, a `#` a comment, a bracket a collection: left to the library
  if (/[:#[\]{}]/.test(scalar)) bail();
  const value = plainScalar(scalar);
  return { value, end, rewritten: readsBackOtherwise(scalar, value) };
}

function skipSpaces(text: string, from: number, limit: number): number {
  let at = from;
  while (at < limit && text.charCodeAt(at) === SPACE) at++;
  return at;
}

/** `[a, "b", 3]` from `from`, closed before `limit` (its line's end); `end` is past the `]`. */
export function flowSequence(text: string, from: number, limit: number, offsets?: NodeOffsets, depth = 1): FlowRead<unknown[]> {
  if (depth > MAX_FLOW_DEPTH) bail();
  const items: unknown[] = [];
  let rewritten = false;
  const list = offsets?.openList(from) ?? -1;
  let at = skipSpaces(text, from + 1, limit);
  if (text[at] === ']' && at < limit) {
    offsets?.close(list);
    return { value: items, end: at + 1 };
  }
  for (;;) {
    if (at >= limit) bail();
    const item = flowValue(text, at, ']', limit, offsets, depth);
    items.push(item.value);
    if (item.rewritten === true) rewritten = true;
    at = skipSpaces(text, item.end, limit);
    if (at >= limit) bail(); // not closed on its line
    if (text[at] === ']') {
      offsets?.close(list);
      return { value: items, end: at + 1, rewritten };
    }
    if (text[at] !== ',') bail();
    at = skipSpaces(text, at + 1, limit);
    if (text[at] === ']' || text[at] === ',') bail(); // a trailing or doubled comma: left to the library
  }
}

/** `{ a: 1, b: "x" }` from `from`, closed before `limit`, plain keys only; `end` is past the `}`. */
export function flowMapping(
  text: string,
  from: number,
  limit: number,
  offsets?: NodeOffsets,
  depth = 1,
): FlowRead<Record<string, unknown>> {
  if (depth > MAX_FLOW_DEPTH) bail();
  const map: Record<string, unknown> = {};
  let rewritten = false;
  const mapping = offsets?.openMapping(from) ?? -1;
  let at = skipSpaces(text, from + 1, limit);
  if (text[at] === '}' && at < limit) {
    offsets?.close(mapping);
    return { value: map, end: at + 1 };
  }
  for (;;) {
    if (at >= limit || !isKeyStart(text.charCodeAt(at))) bail();
    let colon = at + 1;
    while (colon < limit && isKeyPart(text.charCodeAt(colon))) colon++;
    // `key:` and at least one space
    if (colon + 1 >= limit || text.charCodeAt(colon) !== COLON || text.charCodeAt(colon + 1) !== SPACE) bail();
    const key = text.slice(at, colon);
    if (typeof plainScalar(key) !== 'string' || key === '__proto__' || Object.prototype.hasOwnProperty.call(map, key)) bail();
    offsets?.key(at, colon);
    const item = flowValue(text, skipSpaces(text, colon + 1, limit), '}', limit, offsets, depth);
    map[key] = item.value;
    if (item.rewritten === true) rewritten = true;
    at = skipSpaces(text, item.end, limit);
    if (at >= limit) bail();
    if (text[at] === '}') {
      offsets?.close(mapping);
      return { value: map, end: at + 1, rewritten };
    }
    if (text[at] !== ',') bail();
    at = skipSpaces(text, at + 1, limit);
    if (text[at] === '}' || text[at] === ',') bail();
  }
}
