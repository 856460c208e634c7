/**
 * How names and values are written into messages: quoted and cut to a readable length, control
 * characters escaped (a message must never move a terminal's cursor, colour it or break a line),
 * values described after "got", the closest known name suggested for a misspelt one, and a value
 * quoted as one word of a shell command to paste.
 * Formatting only: whether a value is valid is decided by the schemas and checks that call these.
 */

import { withoutPassword } from '../urlCredentials';

/** Longest id or value quoted whole in a message; longer ones are cut, with their length. */
const QUOTE_LIMIT = 80;

/** The bidirectional marks and controls (a regular expression's class, without brackets). */
const BIDI_CONTROLS = '\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';

/**
 * The format characters every output escapes (a regular expression's class, without brackets):
 * the Unicode line and paragraph separators and the bidirectional marks and controls (U+061C,
 * U+200E-F, U+202A-E, U+2066-9), which show text reversed (`report\u202etxt.exe`). Invisible
 * ones (a zero width space) are left: two names alike but for them are told apart where they meet.
 */
export const FORMAT_CHARACTERS = `\\u2028\\u2029${BIDI_CONTROLS}`;

/**
 * C0 controls (line feed, tab, escape…), DEL, C1 controls and the format characters above:
 * characters that change how a line is shown; and a lone surrogate (half of a
 * pair, no character: UTF-8 has no bytes for it, so a file or a terminal gets U+FFFD in its
 * place, and a journal file named after it cannot be named).
 */
const CONTROL = new RegExp(
  `[\\u0000-\\u001f\\u007f-\\u009f${FORMAT_CHARACTERS}]|[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]`,
);
const CONTROLS = new RegExp(CONTROL.source, 'g');
const BIDI = new RegExp(`[${BIDI_CONTROLS}]`);

const NAMES: Readonly<Record<string, string>> = {
  '\0': 'NUL',
  '\t': 'tab',
  '\n': 'line feed',
  '\r': 'carriage return',
  '\u001b': 'escape',
  '\u007f': 'delete',
  '\u2028': 'line separator',
  '\u2029': 'paragraph separator',
};

const ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` with every control character written as an escape (`\n`, `\t`, `\u001b`…). */
export function escapeControls(text: string): string {
  return replaceControls(text, (char) => ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `text` with each control character (see above) replaced by what `escape` makes of it. */
export function replaceControls(text: string, escape: (char: string) => string): string {
  return text.replace(CONTROLS, escape);
}

/** Whether `text` holds a control character (see {@link controlCharacterIn}). */
export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text);
}

/** The first control character of `text`, named: `a line feed (U+000A) at character 2`; `undefined` when there is none. */
export function controlCharacterIn(text: string): string | undefined {
  const match = CONTROL.exec(text);
  if (match === null) return undefined;
  const char = match[0];
  const code = `U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  const name =
    NAMES[char] ??
    (char >= '\uD800' && char <= '\uDFFF' ? 'lone surrogate' : BIDI.test(char) ? 'bidirectional control' : 'control character');
  return `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name} (${code}) at character ${characterCount(text.slice(0, match.index)) + 1}`;
}

/**
 * A name for a message: in quotes, control characters escaped, cut to a readable length. An
 * error about a 1 MB id must not be a 1 MB message.
 */
export function quoted(text: string): string {
  return quotedAs(text, (same) => same);
}

/** {@link quoted}, the characters that do not show as what they are escaped ({@link visibly}) once it is cut. */
export function quotedVisibly(text: string): string {
  return quotedAs(text, visibly);
}

function quotedAs(text: string, shown: (text: string) => string): string {
  if (text.length <= QUOTE_LIMIT) return `"${escapeControls(shown(text))}"`;
  const length = characterCount(text);
  if (length <= QUOTE_LIMIT) return `"${escapeControls(shown(text))}"`;
  // cut between characters as a reader sees them, then shown: escapes count as the characters they stand for
  return `"${escapeControls(shown(headOf(text, indexOfCharacter(text, QUOTE_LIMIT))))}…" (${length} characters)`;
}

/** How many characters (code points, as the id length check counts them: `🚀` is one) `text` has. */
export function characterCount(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length; i++) if (isPairEnd(text, i)) count--;
  return count;
}

/** Where character `n` of `text` starts (counted in code points), never inside a surrogate pair. */
function indexOfCharacter(text: string, n: number): number {
  let index = 0;
  for (let seen = 0; seen < n && index < text.length; seen++) index += isPairEnd(text, index + 1) ? 2 : 1;
  return index;
}

/** Whether `text[i]` is the second half of a surrogate pair. */
function isPairEnd(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  if (code < 0xdc00 || code > 0xdfff || i === 0) return false;
  const before = text.charCodeAt(i - 1);
  return before >= 0xd800 && before <= 0xdbff;
}

/**
 * The first `most` of `names` joined with commas, and how many more there are:
 * `build, test, lint and 997 more`. A line about a run's tasks must not be a line per thousand.
 */
export function firstNames(names: readonly string[], most: number): string {
  if (names.length <= most) return names.join(', ');
  return `${names.slice(0, most).join(', ')} and ${names.length - most} more`;
}

/** A value as a message shows it after "got": `-5`, `"abc"`, `null`, `an object`, `nothing` (undefined). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return quoted(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return 'a symbol';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

/**
 * A value as a message shows it where something other than a string was expected (a function, an
 * object): a short string as written but for a URL's password, a long one by its length (a
 * connection string or a key given in the wrong place).
 */
export function describeKind(value: unknown): string {
  if (typeof value !== 'string') return describeValue(value);
  return value.length > 40 ? `a string of ${value.length} characters` : quoted(withoutPassword(value));
}

/**
 * The known name `word` was most likely meant to be, or `undefined`: the nearest by edit
 * distance (letters added, dropped, changed or swapped; case ignored) within a third of the
 * longer name, else one that starts like it (`timeout` → `timeoutMs`, `dependencies` → `deps`)
 * or contains it (`concurrency` → `maxConcurrency`).
 */
export function closestName(word: string, known: readonly string[]): string | undefined {
  const question = `${word}\0${known.join('\0')}`;
  if (closestAnswers.has(question)) return closestAnswers.get(question);
  const answer = nearestName(word, known);
  if (closestAnswers.size >= MAX_ANSWERS) closestAnswers.clear();
  closestAnswers.set(question, answer);
  return answer;
}

/** Answers of {@link closestName} by question: a big file repeats one misspelt field in every task. */
const closestAnswers = new Map<string, string | undefined>();
const MAX_ANSWERS = 1000;

function nearestName(word: string, known: readonly string[]): string | undefined {
  const w = comparable(word);
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const name of known) {
    const n = comparable(name);
    const distance = editDistance(w, n);
    const shorter = Math.min(w.length, n.length);
    const related =
      distance <= Math.max(1, Math.floor(Math.max(w.length, n.length) / 3)) ||
      (shorter >= 3 && (n.startsWith(w) || w.startsWith(n) || n.includes(w) || w.includes(n))) ||
      commonPrefix(w, n) >= Math.max(3, Math.ceil(0.75 * n.length));
    if (related && distance < bestScore) {
      best = name;
      bestScore = distance;
    }
  }
  return best;
}

/**
 * `name` as names are compared: case ignored, and letters written with other code points (`é` as
 * `e` and a combining accent), holding characters that do not show, or spaces that are not the
 * plain one (a no-break space at an end) read alike. ASCII is as it is.
 */
function comparable(name: string): string {
  return (/^[\x00-\x7f]*$/.test(name) ? name : shownAs(name)).toLowerCase();
}

/** `text` as it reads: its characters that do not show left out, other spaces as plain ones, none at its ends. */
function shownAs(text: string): string {
  return text.normalize('NFC').replace(INVISIBLE, '').replace(SPACES, ' ').trim();
}

/** The message of an unknown field: `unknown field "dep" (did you mean "deps"?)`. */
export function unknownFieldMessage(field: string, known: readonly string[], noun = 'field'): string {
  return `unknown ${noun} ${quoted(field)}${meantHint(field, known)}`;
}

/**
 * The message of each option of `options` not among `known` (`unknown option \`shcema\` (did you
 * mean \`schema\`?)`): TypeScript catches a misspelt option only in an object literal, and a
 * JavaScript caller's or a spread object's would be dropped without a word.
 */
export function unknownOptionMessages(options: object, known: readonly string[]): string[] {
  return Object.keys(options)
    .filter((key) => !known.includes(key))
    .map((key) => unknownOptionMessage(key, known));
}

/** `unknown option \`shcema\` (did you mean \`schema\`?)`: an option named in code, in backticks. */
export function unknownOptionMessage(option: string, known: readonly string[]): string {
  return unknownFieldMessage(option, known, 'option').replace(/"([^"]*)"/g, '`$1`');
}

/**
 * ` (did you mean "api"?)` after an unknown `name`, with the known name closest to it
 * ({@link closestName}); nothing when none is close.
 */
export function meantHint(name: string, known: readonly string[]): string {
  const meant = closestName(name, known);
  return meant === undefined ? '' : didYouMean(name, meant);
}

/** Characters that show as nothing: format characters (zero-width space, joiners, BOM, soft hyphen). */
const INVISIBLE = /\p{Cf}/gu;
/** Characters that show as a plain space. */
const SPACES = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/gu;

/** `text` with the characters that do not show as what they are escaped (`\u{200b}`, `\u{a0}`). */
export function visibly(text: string): string {
  return text.replace(INVISIBLE, codePointEscape).replace(SPACES, codePointEscape);
}

/**
 * The first character of `text` that shows as a space but is not U+0020, named by its code point
 * (`U+00A0`, the no-break space of text copied from a web page or a chat); undefined for none.
 */
export function oddSpaceIn(text: string): string | undefined {
  return codePointName(ODD_SPACE.exec(text)?.[0]);
}

/** The first character of `text` that shows as nothing (`U+200B`, a zero-width space; `U+FEFF`), named by its code point; undefined for none. */
export function invisibleIn(text: string): string | undefined {
  return codePointName(ONE_INVISIBLE.exec(text)?.[0]);
}

function codePointName(char: string | undefined): string | undefined {
  return char === undefined ? undefined : `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

const ODD_SPACE = new RegExp(SPACES.source, 'u');
const ONE_INVISIBLE = new RegExp(INVISIBLE.source, 'u');

function codePointEscape(char: string): string {
  return `\\u{${char.codePointAt(0)!.toString(16)}}`;
}

/**
 * ` (did you mean "build"?)`, said so that `meant` can be told from `written` when both would
 * show alike: a character that does not show as what it is escaped (`"build\u{200b}"`), or
 * letters written with other Unicode code points (`é` as `e` and a combining accent) named as such.
 */
export function didYouMean(written: string, meant: string): string {
  if (shownAs(written) !== shownAs(meant)) return ` (did you mean ${quotedVisibly(meant)}?)`;
  if (visibly(written) !== written || visibly(meant) !== meant) {
    return ` (did you mean ${quotedVisibly(meant)}? the two differ only in characters that do not show, escaped here: ${quotedVisibly(written)} against ${quotedVisibly(meant)})`;
  }
  // letters written otherwise are the same once composed, not as written (a plain space at an end is not that)
  const [w, m] = [written.trim(), meant.trim()];
  if (w === m || w.normalize('NFC') !== m.normalize('NFC')) return ` (did you mean ${quoted(meant)}?)`;
  return ` (did you mean ${quoted(meant)}? the same letters written with other Unicode code points: write the id alike in both places)`;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Longest name compared letter by letter: longer ones are payloads, not names. */
const MAX_NAME = 64;
/** The distance table, reused by every call: a file with 100,000 misspelt fields asks 100,000 times. */
const distances = new Int32Array((MAX_NAME + 1) * (MAX_NAME + 1));

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
function editDistance(a: string, b: string): number {
  if (a.length > MAX_NAME || b.length > MAX_NAME) return Math.max(a.length, b.length);
  const width = b.length + 1;
  const at = (i: number, j: number) => distances[i * width + j]!;
  for (let j = 0; j <= b.length; j++) distances[j] = j;
  for (let i = 1; i <= a.length; i++) {
    distances[i * width] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, at(i - 2, j - 2) + 1);
      distances[i * width + j] = d;
    }
  }
  return at(a.length, b.length);
}

/**
 * The first `length` UTF-16 units of `text`, fewer where the cut would split a character as a
 * reader sees it (an emoji's surrogate pair, a family joined by ZWJ, a flag, a letter and its accents).
 */
export function headOf(text: string, length: number): string {
  if (text.length <= length) return text;
  // from the start: a run of flags is told apart pair by pair only from its first one
  let cut = 0;
  for (const character of charactersOf(text.slice(0, length + LONGEST_CHARACTER))) {
    if (cut + character.length > length) break;
    cut += character.length;
  }
  return text.slice(0, cut);
}

/**
 * Longer than any character a reader sees (a family of four is 11 units, a letter under a few
 * hundred accents as "Zalgo" text piles them): how far past the cut one is looked for.
 */
const LONGEST_CHARACTER = 1024;

/**
 * Where a tail of `text` cut at `index` may start: `index`, or the start of the next character as
 * a reader sees it when `index` falls inside one (a flag's second half, a letter's accent).
 */
export function characterStartFrom(text: string, index: number): number {
  if (index <= 0 || index >= text.length) return index;
  // a run of flags pairs from its first one: the pair `index` falls in is found by counting the
  // indicators before it (from the one whose second unit it may be)
  const point = isRegionalIndicator(text, index - 1) ? index - 1 : index;
  if (isRegionalIndicator(text, point)) {
    let before = 0;
    for (let i = point - 2; i >= 0 && isRegionalIndicator(text, i); i -= 2) before++;
    const pair = before % 2 === 1 ? point - 2 : point;
    if (pair === index) return index;
    // from the pair's start the flag is read whole, with what joins it (a variation selector, an accent)
    for (const character of charactersOf(text.slice(pair, pair + LONGEST_CHARACTER))) return pair + character.length;
  }
  const from = Math.max(0, index - LONGEST_CHARACTER);
  const { index: start, segment } = graphemes()
    .segment(text.slice(from, index + LONGEST_CHARACTER))
    .containing(index - from)!;
  return from + start === index ? index : Math.min(from + start + segment.length, text.length);
}

/** Whether a flag's half (a regional indicator, U+1F1E6–U+1F1FF) starts at `index` of `text`. */
function isRegionalIndicator(text: string, index: number): boolean {
  const code = text.codePointAt(index) ?? 0;
  return code >= 0x1f1e6 && code <= 0x1f1ff;
}

/** The characters of `text` as a reader sees them (grapheme clusters): a family emoji joined by ZWJ, a flag, a letter and its accents. */
export function* charactersOf(text: string): Generator<string> {
  for (const { segment } of graphemes().segment(text)) yield segment;
}

let segmenter: Intl.Segmenter | undefined;

/** The grapheme segmenter, made on first use: making one loads ICU's rules (~15 ms of every command's start). */
function graphemes(): Intl.Segmenter {
  return (segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' }));
}

/**
 * `text` as one word of a shell command line: as it is when it is safe, else single-quoted; a
 * word holding a control character (a line feed in a folder's name) in `$'…'`, with each such
 * character escaped, so that the line prints as one line and pastes as it was (bash, zsh, ksh).
 */
export function shellWord(text: string): string {
  if (/^[\w@%+=:,./-]+$/.test(text)) return text;
  if (!hasControlCharacters(text)) return `'${text.replace(/'/g, `'\\''`)}'`;
  return `$'${replaceControls(
    text.replace(/[\\']/g, (char) => `\\${char}`),
    controlEscape,
  )}'`;
}

/** One control character as `$'…'` writes it: `\n`, `\t`, `\x1b`, `\u2028`. */
function controlEscape(char: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };
  const code = char.charCodeAt(0);
  return named[char] ?? (code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}
