/**
 * Parses the text of a DAG file, YAML or strict JSON, into its value, fast: `JSON.parse`, and
 * for YAML a reader of plain YAML (`plainYaml.ts`) before the `yaml` library. Where each part
 * is written (line and column) is worked out only when a problem is to be placed, by reading
 * the text again with positions (with the reader that read it: the `yaml` library's document
 * costs ~8 KB a task); a valid file pays for it only when numbers of its `env` are compared
 * with their text (see `textAsWritten.ts`: JSON, or YAML the plain reader did not take, or in
 * which a number is written otherwise than JavaScript writes it). Syntax errors come with their
 * line and column (worded by `yamlSyntaxErrors.ts`), so do the errors of making the YAML document
 * a value (an unresolved alias, a bad merge key, an alias bomb: placed by `yamlValueErrors.ts`),
 * a YAML tag other than JSON's (`yamlTags.ts`), a key a JSON object gives twice (which
 * `JSON.parse` alone would take, keeping the last),
 * and a YAML key that the value holds as another text than written (`01:` is the key `1`) with
 * its own (`textAsWritten.ts`). Does not check what the value holds: the file schema and
 * `defineDag` do.
 */
import type { Node } from 'yaml';
import type { Problem } from '../problems';
import { aliasBombAt, MAX_ALIASED_VALUES } from './aliasSize';
import { jsonPositions, repeatedJsonKey } from './jsonPositions';
import { findJsonSyntaxError, MAX_NESTING } from './jsonSyntax';
import { plainYamlPositions, readPlainYaml } from './plainYaml';
import { changedKeys } from './textAsWritten';
import { readableYamlError, SHARE_BY_DEFAULTS, yamlSyntaxProblems } from './yamlSyntaxErrors';
import { valueErrorOffset } from './yamlValueErrors';
import { tagProblems } from './yamlTags';

/** A 1-based line and column. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** Where the parts of a parsed file are written. */
export interface Positions {
  /** Where the value at `path` is written, or the nearest enclosing part that exists. */
  locate(path: readonly (string | number)[]): Position | undefined;
  /** Where the key `key` of the mapping at `path` is written, else where the mapping is. */
  locateKey(path: readonly (string | number)[], key: string): Position | undefined;
}

/**
 * A parsed DAG file: its value, and where its parts are written. `positions` holds the text
 * only (not the value): it reads the text again, once, at its first question.
 */
export interface ParsedFile {
  readonly value: unknown;
  readonly positions: Positions;
  /**
   * What reading the text found wrong, each at its place; the value is read on past them (as if
   * each were not there), so that the file's other problems are reported with them: a tag other
   * than JSON's (`yamlTags.ts`), a key written as a number, boolean or null that the value holds
   * as another text (`01:`, the key `1`).
   */
  readonly problems: readonly Problem[];
  /**
   * Whether every number and boolean of the text is written as JavaScript writes it (`8080`, not
   * `08080`): known of the plain YAML reader's texts; of others, `false` (one may not be).
   */
  readonly numbersAsWritten: boolean;
}

/**
 * The `yaml` library, loaded the first time it is needed: a file the plain YAML reader or
 * `JSON.parse` reads without a problem never needs it, and loading it costs ~70 modules.
 */
function yamlLibrary(): typeof import('yaml') {
  return require('yaml') as typeof import('yaml');
}

/**
 * How DAG files are parsed as YAML: keys unique, merge keys (`<<: *base`) merged, one line per
 * error (prettyErrors would append a multi-line excerpt to each message), and no warnings on
 * stderr (a key that is a list or a mapping is a problem of the file: `changedKeys`, among `problems`).
 */
const YAML_OPTIONS = (lineCounter: import('yaml').LineCounter) => ({
  lineCounter,
  prettyErrors: false,
  uniqueKeys: true,
  merge: true,
  logLevel: 'error' as const,
});

/**
 * Most aliases a YAML file may expand: the library's guard against "billion laughs" alias bombs
 * in untrusted files (what they expand to is bounded too: `aliasSize.ts`). It is not scaled with
 * the file's lines: comment lines would then buy a quadratic expansion.
 */
const MAX_ALIAS_COUNT = 100;

/**
 * `text` with its CRLF line ends as LF, when every carriage return ends a line (a file written on
 * Windows): YAML reads both the same, and the plain reader takes LF only. Lines and columns stay.
 */
function withLineFeeds(text: string): string {
  if (!text.includes('\r') || /\r(?!\n)/.test(text)) return text;
  return text.replace(/\r\n/g, '\n');
}

/** The outcome of parsing: the file, or every syntax problem with its line and column. */
export type ParseResult = { readonly ok: true; readonly file: ParsedFile } | { readonly ok: false; readonly problems: readonly Problem[] };

/** Parses YAML (1.2, so JSON too), reporting each syntax error at its line and column. */
export function parseYaml(text: string, fileName: string): ParseResult {
  const plainText = withLineFeeds(text);
  const plain = readPlainYaml(plainText);
  if (plain !== undefined) {
    // the plain reader places what it reads; the library is for what it does not take
    const positions = lazyPositions(() => plainYamlPositions(plainText) ?? yamlPositions(text));
    return { ok: true, file: { value: plain.value, positions, problems: [], numbersAsWritten: !plain.rewritten } };
  }
  const { LineCounter, parseDocument } = yamlLibrary();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, YAML_OPTIONS(lineCounter));
  if (doc.errors.length > 0) return { ok: false, problems: yamlSyntaxProblems(doc.errors, text, lineCounter, fileName) };
  // reported with the file's other problems: the value read on without the tags
  const tags = tagProblems(doc, text).map(({ offset, message }) => ({
    file: fileName,
    ...lineAndColumn(lineCounter.linePos(offset)),
    message,
  }));
  const version = doc.directives?.yaml.version;
  if (version !== undefined && version !== '1.2') {
    // YAML 1.1 reads `yes` as true and 0777 as 511: values the file's checks would not see change
    const line = text.split('\n').findIndex((written) => written.startsWith('%YAML')) + 1;
    const message = `%YAML ${version}: DAG files are read as YAML 1.2 (where \`yes\` is text and 0777 is 777); remove the directive`;
    return { ok: false, problems: [{ file: fileName, ...(line > 0 ? { line, column: 1 } : {}), message }] };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message = error instanceof Error ? readableYamlError(error.message) : 'the file could not be read';
    // the library's error has no position: the node it is about is found again
    const offset = valueErrorOffset(doc, MAX_ALIAS_COUNT);
    const at = offset === undefined ? undefined : lineCounter.linePos(offset);
    return {
      ok: false,
      problems: [{ file: fileName, ...(at === undefined ? {} : lineAndColumn(at)), message: `YAML error: ${message}` }],
    };
  }
  // the library's value shares an anchor's copies; what reads the file next would not
  const bomb = aliasBombAt(doc);
  if (bomb !== undefined) {
    const at = lineCounter.linePos(bomb);
    const message = `YAML error: the aliases expand to more than ${MAX_ALIASED_VALUES} values (each a copy of its anchor), the guard against alias bombs: ${SHARE_BY_DEFAULTS}`;
    return { ok: false, problems: [{ file: fileName, ...lineAndColumn(at), message }] };
  }
  // the document is dropped here: positions read the text again if a problem needs one
  const keys = changedKeys(doc, fileName, (offset) => lineCounter.linePos(offset));
  const problems = [...tags, ...keys];
  return { ok: true, file: { value, positions: lazyPositions(() => yamlPositions(text)), problems, numbersAsWritten: false } };
}

/**
 * Parses JSON strictly (YAML would accept more than JSON) with `JSON.parse`; when it fails, or
 * the text nests deeper than {@link MAX_NESTING}, the first error is found again with its line
 * and column (`JSON.parse` does not always say where it is).
 */
export function parseJson(text: string, fileName: string): ParseResult {
  let value: unknown;
  let failure: string | undefined;
  try {
    value = JSON.parse(text);
    const shape = jsonShapeOf(text, MAX_NESTING);
    if (shape.tooDeep) failure = `nested deeper than ${MAX_NESTING} levels`;
    // JSON.parse keeps a repeated key's last value without a word: a second `deps` would drop the first
    else if (shape.keys !== keyCountOf(value)) return repeatedKeyProblem(text, fileName);
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  if (failure !== undefined) {
    const syntaxError = findJsonSyntaxError(text) ?? { offset: 0, message: failure };
    const { line, column } = positionOf(text, syntaxError.offset);
    // a YAML file named .json: its first line is a key, not `{`
    const yaml = /^\s*[A-Za-z_][\w.-]*[ \t]*:(?:\s|$)/.test(text) ? ' (the file reads as YAML: name it .yaml)' : '';
    return { ok: false, problems: [{ file: fileName, line, column, message: `JSON syntax error: ${syntaxError.message}${yaml}` }] };
  }
  return { ok: true, file: { value, positions: lazyPositions(() => jsonPositions(text)), problems: [], numbersAsWritten: false } };
}

/**
 * What one pass over a valid JSON text finds: whether it opens more than `limit` objects and
 * arrays inside one another, and how many keys its objects are written with (a string followed
 * by a colon), repeated keys included.
 */
function jsonShapeOf(text: string, limit: number): { readonly tooDeep: boolean; readonly keys: number } {
  let depth = 0;
  let keys = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22 /* " */) {
      // to the closing quote: the text is valid JSON, so every backslash escapes the next character
      for (i++; text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      let next = i + 1;
      while (isJsonSpace(text.charCodeAt(next))) next++;
      if (text.charCodeAt(next) === 0x3a /* : */) keys++;
    } else if (code === 0x7b || code === 0x5b /* { [ */) {
      if (++depth > limit) return { tooDeep: true, keys };
    } else if (code === 0x7d || code === 0x5d /* } ] */) depth--;
  }
  return { tooDeep: false, keys };
}

function isJsonSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** How many keys the objects of a parsed JSON value hold, all levels down. */
function keyCountOf(value: unknown): number {
  let count = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next !== 'object' || next === null) continue;
    if (Array.isArray(next)) {
      for (const item of next) if (typeof item === 'object' && item !== null) pending.push(item);
    } else {
      for (const key in next) {
        count++;
        const item = (next as Record<string, unknown>)[key];
        if (typeof item === 'object' && item !== null) pending.push(item);
      }
    }
  }
  return count;
}

/** The problem of a JSON text whose object repeats a key, at the repeated key. */
function repeatedKeyProblem(text: string, fileName: string): ParseResult {
  const repeated = repeatedJsonKey(text);
  const { line, column } = positionOf(text, repeated?.offset ?? 0);
  const shown = repeated === undefined ? 'a key' : `\`${repeated.key.length > 40 ? `${repeated.key.slice(0, 40)}…` : repeated.key}\``;
  const message = `JSON error: ${shown} is given twice in this object (keys must be unique: JSON readers keep only the last)`;
  return { ok: false, problems: [{ file: fileName, line, column, message }] };
}

/** The library's `{ line, col }` as a problem's place. */
function lineAndColumn({ line, col }: { readonly line: number; readonly col: number }): Position {
  return { line, column: col };
}

function positionOf(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** Positions made by `build` at the first question, then kept (they are only asked for when there are problems). */
function lazyPositions(build: () => Positions): Positions {
  let built: Positions | undefined;
  return {
    locate: (path) => (built ??= build()).locate(path),
    locateKey: (path, key) => (built ??= build()).locateKey(path, key),
  };
}

/**
 * Positions in a YAML text, from the `yaml` library's document (none if the text no longer
 * parses): for a text the plain YAML reader does not take, whose places it cannot give.
 */
export function yamlPositions(text: string): Positions {
  const { LineCounter, parseDocument, isMap, isScalar } = yamlLibrary();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, YAML_OPTIONS(lineCounter));
  const position = (node: Node | undefined): Position | undefined => {
    const range = node?.range;
    if (range === undefined || range === null) return undefined;
    // an empty value (`-` alone on its line) starts past the end of its line: point at its indicator
    const offset = isEmptyNode(node) ? indicatorBefore(text, range[0]) : range[0];
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const nodeAt = (path: readonly (string | number)[]): { node: unknown; found: Node | undefined } => {
    let node: unknown = doc.contents;
    let found: Node | undefined = isNode(node) ? node : undefined;
    for (const key of path) {
      node = child(node, key);
      if (!isNode(node)) break;
      found = node;
    }
    return { node, found };
  };
  return {
    locate: (path) => position(nodeAt(path).found),
    locateKey: (path, key) => {
      const { node, found } = nodeAt(path);
      const pair = isMap(node) ? node.items.find((item) => (isScalar(item.key) ? item.key.value : item.key) === key) : undefined;
      return position(isNode(pair?.key) ? pair.key : found);
    },
  };
}

/** Where the `-`, `:` or `?` written before `offset` (past spaces and tabs) is; `offset` when there is none. */
function indicatorBefore(text: string, offset: number): number {
  let at = offset - 1;
  while (at >= 0 && (text[at] === ' ' || text[at] === '\t')) at--;
  return at >= 0 && (text[at] === '-' || text[at] === ':' || text[at] === '?') ? at : offset;
}

function child(node: unknown, key: string | number): unknown {
  const { isMap, isScalar, isSeq } = yamlLibrary();
  if (isSeq(node) && typeof key === 'number') return node.items[key];
  if (isMap(node)) {
    const pair = node.items.find((item) => (isScalar(item.key) ? item.key.value : item.key) === key);
    // A key with no value (`deps:`) has no value node, or an empty one: point at the key instead.
    if (pair === undefined) return undefined;
    return pair.value === null || pair.value === undefined || isEmptyNode(pair.value) ? pair.key : pair.value;
  }
  return undefined;
}

/** A node written as nothing (`-` or `key:` with no value): its range is empty. */
function isEmptyNode(node: unknown): boolean {
  const range = isNode(node) ? node.range : undefined;
  return range !== undefined && range !== null && range[0] === range[1];
}

function isNode(value: unknown): value is Node {
  const { isAlias, isMap, isScalar, isSeq } = yamlLibrary();
  // an alias (`- *base`) is where its value is written at that place: a problem of it is placed there
  return isMap(value) || isSeq(value) || isScalar(value) || isAlias(value);
}
