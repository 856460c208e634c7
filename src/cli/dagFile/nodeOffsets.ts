/**
 * Where the nodes of a value read from a text are written, as offsets into that text, held
 * compactly: one row of int32 per node (a scalar, a list or a mapping), in the order the nodes
 * are written, a list or a mapping followed by its items. A reader records the nodes as it reads
 * them (the plain YAML reader does when asked, see `plainYaml.ts`); {@link NodeOffsets.positions}
 * then places a path of the value at a line and column. It reads no text and checks nothing:
 * a key is compared with its written text, so only keys written as their own value (plain
 * keys) may be recorded.
 */
import type { Position, Positions } from './sourceText';
import { lineColumnsOf } from './textLines';

const SCALAR = 0;
const LIST = 1;
const MAPPING = 2;

/** int32 in a node's row: its kind, where it is placed, where its key is written, where its rows end. */
const KIND = 0;
const OFFSET = 1;
const KEY_START = 2;
const KEY_END = 3;
/** The row past the node's last item, at any depth: the next node at its level or above. */
const END = 4;
const ROW = 5;

/**
 * The nodes of one value, recorded in document order. A node's offset is where a problem with it
 * is placed: its first character, or, for a value written as nothing, what the reader chooses
 * (the key of `key:`, the dash of `-`).
 */
export class NodeOffsets {
  private rows = new Int32Array(ROW * 1024);
  private count = 0;
  /** The key written before the next node, which is its value; -1 when it has none. */
  private keyStart = -1;
  private keyEnd = -1;

  /** The next node recorded is the value of the key written from `start` to `end`. */
  key(start: number, end: number): void {
    this.keyStart = start;
    this.keyEnd = end;
  }

  /** A scalar, or a value written as nothing, placed at `offset`. */
  scalar(offset: number): void {
    this.add(SCALAR, offset);
  }

  /** A list starting at `offset`; its items are the nodes recorded until {@link close}. */
  openList(offset: number): number {
    return this.add(LIST, offset);
  }

  /** A mapping starting at `offset`; its values are the nodes recorded until {@link close}. */
  openMapping(offset: number): number {
    return this.add(MAPPING, offset);
  }

  /** Ends the list or mapping `node` (what {@link openList} or {@link openMapping} gave). */
  close(node: number): void {
    this.rows[node * ROW + END] = this.count;
  }

  /**
   * Places paths of the value in `text`, as the `yaml` library's document places them: the value
   * at a path, else the nearest enclosing node; a key of a mapping, else the node at the path.
   */
  positions(text: string): Positions {
    const position = lineColumnsOf(text);
    /** The items of the lists and mappings asked about (a path into a long list would walk it at every question). */
    const itemsOf = new Map<number, Int32Array>();
    const items = (node: number): Int32Array => {
      let found = itemsOf.get(node);
      if (found === undefined) {
        const end = this.rows[node * ROW + END]!;
        const list: number[] = [];
        for (let item = node + 1; item < end; item = this.rows[item * ROW + END]!) list.push(item);
        itemsOf.set(node, (found = Int32Array.from(list)));
      }
      return found;
    };
    /** The items of the mappings asked about by key, the first use of a key winning (many problems in one long mapping would search it once each). */
    const keysOf = new Map<number, Map<string, number>>();
    const itemWithKey = (node: number, key: string): number => {
      let byKey = keysOf.get(node);
      if (byKey === undefined) {
        byKey = new Map();
        for (const item of items(node)) {
          const name = text.slice(this.rows[item * ROW + KEY_START]!, this.rows[item * ROW + KEY_END]!);
          if (!byKey.has(name)) byKey.set(name, item);
        }
        keysOf.set(node, byKey);
      }
      return byKey.get(key) ?? -1;
    };
    /** The item `key` of the list or mapping `node`, or -1. */
    const child = (node: number, key: string | number): number => {
      const kind = this.rows[node * ROW + KIND];
      if (kind === LIST && typeof key === 'number') {
        const list = items(node);
        return Number.isInteger(key) && key >= 0 && key < list.length ? list[key]! : -1;
      }
      if (kind === MAPPING && typeof key === 'string') return itemWithKey(node, key);
      return -1;
    };
    const nodeAt = (path: readonly (string | number)[]): { node: number; found: number } => {
      let node = 0;
      let found = 0;
      for (const key of path) {
        node = child(node, key);
        if (node < 0) break;
        found = node;
      }
      return { node, found };
    };
    const place = (node: number): Position | undefined => (this.count === 0 ? undefined : position(this.rows[node * ROW + OFFSET]!));
    return {
      locate: (path) => place(nodeAt(path).found),
      locateKey: (path, key) => {
        const { node, found } = nodeAt(path);
        const item = node < 0 ? -1 : child(node, key);
        return item < 0 ? place(found) : position(this.rows[item * ROW + KEY_START]!);
      },
    };
  }

  private add(kind: number, offset: number): number {
    if ((this.count + 1) * ROW > this.rows.length) {
      const grown = new Int32Array(this.rows.length * 2);
      grown.set(this.rows);
      this.rows = grown;
    }
    const node = this.count++;
    const row = node * ROW;
    this.rows[row + KIND] = kind;
    this.rows[row + OFFSET] = offset;
    this.rows[row + KEY_START] = this.keyStart;
    this.rows[row + KEY_END] = this.keyEnd;
    this.rows[row + END] = this.count;
    this.keyStart = -1;
    this.keyEnd = -1;
    return node;
  }
}
