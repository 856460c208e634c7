/**
 * Where the parts of a valid JSON text are written: one pass over the text records where each
 * value and each key starts, so that a problem found in the parsed value can be placed at its
 * line and column. Made only when a problem is to be placed (see `sourceText.ts`), and placing
 * as the `yaml` library placed JSON before: a value at its first character (the quote of a
 * string, the bracket of a list), a key at its opening quote, a repeated key at its last use
 * (the value `JSON.parse` keeps: a problem of it is placed where that value is written).
 * It checks nothing: the text is valid JSON (`JSON.parse` read it) nested at most
 * `MAX_NESTING` levels deep. It also finds a repeated key, which a DAG file may not have.
 */
import type { Positions } from './sourceText';
import { lineColumnsOf } from './textLines';

/** A value of the text: where it starts, and its parts when it is an object or an array. */
interface JsonNode {
  readonly offset: number;
  /** An object's keys, in the order written; absent for anything else. */
  readonly keys?: readonly string[];
  readonly keyOffsets?: readonly number[];
  /** An object's values (by key order) or an array's items; absent for a scalar. */
  readonly children?: readonly JsonNode[];
}

/** The positions of the parts of `text`, a valid JSON text. */
export function jsonPositions(text: string): Positions {
  const root = new JsonScanner(text).value();
  const position = lineColumnsOf(text);
  // each object's keys by name, the last use of a key winning, made when first asked: a file of
  // many problems in one long object would search its keys once per problem
  const keyIndexes = new WeakMap<JsonNode, Map<string, number>>();
  const indexOf = (node: JsonNode, key: string): number => {
    let indexes = keyIndexes.get(node);
    if (indexes === undefined) {
      indexes = new Map(node.keys!.map((name, at) => [name, at]));
      keyIndexes.set(node, indexes);
    }
    return indexes.get(key) ?? -1;
  };
  const childOf = (node: JsonNode, key: string | number): JsonNode | undefined => {
    if (node.keys !== undefined) {
      if (typeof key !== 'string') return undefined;
      const at = indexOf(node, key);
      return at < 0 ? undefined : node.children![at];
    }
    return node.children !== undefined && typeof key === 'number' ? node.children[key] : undefined;
  };
  const nodeAt = (path: readonly (string | number)[]): { node: JsonNode | undefined; found: JsonNode } => {
    let node: JsonNode | undefined = root;
    let found = root;
    for (const key of path) {
      node = childOf(node, key);
      if (node === undefined) break;
      found = node;
    }
    return { node, found };
  };
  return {
    locate: (path) => position(nodeAt(path).found.offset),
    locateKey: (path, key) => {
      const { node, found } = nodeAt(path);
      const at = node?.keys === undefined ? -1 : indexOf(node, key);
      return position(at < 0 ? found.offset : node!.keyOffsets![at]!);
    },
  };
}

/** The first key written twice in one object of `text`, a valid JSON text, at its second use; `undefined` when none is. */
export function repeatedJsonKey(text: string): { readonly key: string; readonly offset: number } | undefined {
  const pending: JsonNode[] = [new JsonScanner(text).value()];
  let found: { key: string; offset: number } | undefined;
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (node.keys !== undefined) {
      const seen = new Set<string>();
      node.keys.forEach((key, at) => {
        const offset = node.keyOffsets![at]!;
        if (seen.has(key) && (found === undefined || offset < found.offset)) found = { key, offset };
        seen.add(key);
      });
    }
    pending.push(...(node.children ?? []));
  }
  return found;
}

class JsonScanner {
  private at = 0;

  constructor(private readonly text: string) {}

  value(): JsonNode {
    this.space();
    const offset = this.at;
    const char = this.text.charCodeAt(offset);
    if (char === 0x7b /* { */) return this.object(offset);
    if (char === 0x5b /* [ */) return this.array(offset);
    if (char === 0x22 /* " */) this.string();
    else while (this.at < this.text.length && !/[\s,\]}]/.test(this.text[this.at]!)) this.at++;
    return { offset };
  }

  private object(offset: number): JsonNode {
    const keys: string[] = [];
    const keyOffsets: number[] = [];
    const children: JsonNode[] = [];
    this.at++;
    this.space();
    if (this.text.charCodeAt(this.at) === 0x7d /* } */) {
      this.at++;
      return { offset, keys, keyOffsets, children };
    }
    for (;;) {
      this.space();
      keyOffsets.push(this.at);
      keys.push(this.string());
      this.space();
      this.at++; // the colon
      children.push(this.value());
      this.space();
      if (this.text.charCodeAt(this.at++) !== 0x2c /* , */) return { offset, keys, keyOffsets, children };
    }
  }

  private array(offset: number): JsonNode {
    const children: JsonNode[] = [];
    this.at++;
    this.space();
    if (this.text.charCodeAt(this.at) === 0x5d /* ] */) {
      this.at++;
      return { offset, children };
    }
    for (;;) {
      children.push(this.value());
      this.space();
      if (this.text.charCodeAt(this.at++) !== 0x2c /* , */) return { offset, children };
    }
  }

  /** Reads the string at the current offset; its value. */
  private string(): string {
    const start = this.at;
    let escaped = false;
    for (this.at++; this.text.charCodeAt(this.at) !== 0x22; this.at++) {
      if (this.text.charCodeAt(this.at) === 0x5c /* \ */) {
        escaped = true;
        this.at++;
      }
    }
    this.at++;
    return escaped ? (JSON.parse(this.text.slice(start, this.at)) as string) : this.text.slice(start + 1, this.at - 1);
  }

  private space(): void {
    for (;;) {
      const char = this.text.charCodeAt(this.at);
      if (char !== 0x20 && char !== 0x0a && char !== 0x0d && char !== 0x09) return;
      this.at++;
    }
  }
}
