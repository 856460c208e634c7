/**
 * Parses the text of a DAG file, YAML or strict JSON, into its value and a map back to where each
 * part (a value, or a mapping's key) is written; syntax errors come with their line and column,
 * at most {@link MAX_SYNTAX_ERRORS} of them. Does not check what the value holds: the file
 * schema and `defineDag` do.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Problem } from '../problems';
import { findJsonSyntaxError, MAX_NESTING } from './jsonSyntax';

/** A 1-based line and column. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** A parsed DAG file: its value, and where each part of it is written. */
export interface ParsedFile {
  readonly value: unknown;
  /** Where the value at `path` is written, or the nearest enclosing part that exists. */
  locate(path: readonly (string | number)[]): Position | undefined;
  /** Where the key `key` of the mapping at `path` is written, else where the mapping is. */
  locateKey(path: readonly (string | number)[], key: string): Position | undefined;
}

/** Syntax errors listed before "… and N more": a file of garbage would otherwise print hundreds. */
export const MAX_SYNTAX_ERRORS = 10;

/** The outcome of parsing: the file, or every syntax problem with its line and column. */
export type ParseResult = { readonly ok: true; readonly file: ParsedFile } | { readonly ok: false; readonly problems: readonly Problem[] };

/** Parses YAML (1.2, so JSON too), reporting each syntax error at its line and column. */
export function parseYaml(text: string, fileName: string): ParseResult {
  const lineCounter = new LineCounter();
  // prettyErrors would append a multi-line excerpt to each message; we want one line per problem.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems: Problem[] = doc.errors.slice(0, MAX_SYNTAX_ERRORS).map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return { file: fileName, line, column: col, message: `YAML syntax error: ${readableYamlError(error.message)}` };
    });
    const more = doc.errors.length - MAX_SYNTAX_ERRORS;
    if (more > 0) {
      const { line, col } = lineCounter.linePos(doc.errors[MAX_SYNTAX_ERRORS]!.pos[0]);
      problems.push({ file: fileName, line, column: col, message: `… and ${more} more YAML syntax error${more === 1 ? '' : 's'}` });
    }
    return { ok: false, problems };
  }
  // maxAliasCount guards against "billion laughs" alias bombs in untrusted files.
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const message = error instanceof Error ? readableYamlError(error.message) : 'the file could not be read';
    return { ok: false, problems: [{ file: fileName, line: 1, column: 1, message: `YAML error: ${message}` }] };
  }
  return { ok: true, file: { value, ...locators(doc, lineCounter) } };
}

/** The parser runs out of stack on very deep nesting; say what that means for the file. */
function readableYamlError(message: string): string {
  return /Maximum call stack/.test(message) ? `nested too deeply to read (keep nesting under ${MAX_NESTING} levels)` : message;
}

/**
 * Parses JSON strictly (YAML would accept more than JSON), reporting a syntax error at its line
 * and column; positions of values come from reading the same text as YAML.
 */
export function parseJson(text: string, fileName: string): ParseResult {
  const syntaxError = findJsonSyntaxError(text);
  if (syntaxError !== undefined) {
    const { line, column } = positionOf(text, syntaxError.offset);
    return { ok: false, problems: [{ file: fileName, line, column, message: `JSON syntax error: ${syntaxError.message}` }] };
  }
  const value: unknown = JSON.parse(text);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const nowhere = { locate: () => undefined, locateKey: () => undefined };
  return { ok: true, file: { value, ...(doc.errors.length === 0 ? locators(doc, lineCounter) : nowhere) } };
}

function positionOf(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

function locators(doc: Document, lineCounter: LineCounter): Pick<ParsedFile, 'locate' | 'locateKey'> {
  const position = (node: Node | undefined): Position | undefined => {
    const offset = node?.range?.[0];
    if (offset === undefined) return undefined;
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

function child(node: unknown, key: string | number): unknown {
  if (isSeq(node) && typeof key === 'number') return node.items[key];
  if (isMap(node)) {
    const pair = node.items.find((item) => (isScalar(item.key) ? item.key.value : item.key) === key);
    // A key with no value (`deps:`) has no value node: point at the key instead.
    return pair === undefined ? undefined : (pair.value ?? pair.key);
  }
  return undefined;
}

function isNode(value: unknown): value is Node {
  return isMap(value) || isSeq(value) || isScalar(value);
}
