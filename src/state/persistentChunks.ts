/**
 * A persistent vector of fixed-size chunks: a 32-way trie whose leaves are chunks (typed arrays
 * or plain arrays). Updating one chunk copies it and the few nodes above it (O(log32 n)); every
 * other node is shared with the previous version, which stays valid and unchanged.
 *
 * An {@link ChunkEditor} batches many updates: a node is copied the first time the editor
 * touches it and then edited in place, because only this editor can see that copy. This is the
 * "transient" of Clojure's vectors, and what keeps a batch of events cheap.
 * It knows nothing of tasks: what a chunk holds is the task table's business.
 */

/** What a chunk must offer: a copy of itself. Typed arrays and arrays both do. */
export interface Chunk {
  slice(): this;
}

const BITS = 5;
const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;

interface Node {
  /** The editor allowed to change this node in place, or null once frozen in a version. */
  owner: object | null;
  /** At the last level: bit i set when chunk i was copied by `owner` (so it may be changed in place). */
  ownedChunks: number;
  /** Child nodes, or chunks at the last level. */
  readonly children: (Node | Chunk)[];
}

/** One immutable version. Read it freely; change it only through {@link ChunkEditor}. */
export class PersistentChunks<C extends Chunk> {
  /** @internal use {@link PersistentChunks.from} */
  constructor(
    /** Number of chunks. */
    readonly length: number,
    /** Levels of inner nodes above the chunks; the root is always an inner node. */
    readonly shift: number,
    /** @internal */ readonly root: Node,
  ) {}

  /** A version holding `chunks`; they become owned by the structure and must not be changed. */
  static from<C extends Chunk>(chunks: readonly C[]): PersistentChunks<C> {
    let shift = 0;
    while (WIDTH ** (shift / BITS + 1) < chunks.length) shift += BITS;
    return new PersistentChunks<C>(chunks.length, shift, buildNode(chunks, 0, chunks.length, shift));
  }

  /** The chunk at `index`. Do not mutate it. */
  chunk(index: number): C {
    let node = this.root;
    for (let level = this.shift; level > 0; level -= BITS) {
      node = node.children[(index >>> level) & MASK] as Node;
    }
    return node.children[index & MASK] as C;
  }

  /**
   * A version with `length` chunks: these, then `extra()` for each new one. Rebuilds the inner
   * nodes (O(chunks / 32)) and shares every chunk; for growth, which is rare.
   */
  grow(length: number, extra: () => C): PersistentChunks<C> {
    if (length <= this.length) return this;
    const chunks: C[] = [];
    for (let i = 0; i < this.length; i++) chunks.push(this.chunk(i));
    while (chunks.length < length) chunks.push(extra());
    return PersistentChunks.from(chunks);
  }

  /** Starts a batch of edits that will produce a new version; this one never changes. */
  edit(): ChunkEditor<C> {
    return new ChunkEditor(this);
  }
}

/** A batch of edits on top of one version. Call {@link ChunkEditor.finish} once to get the result. */
export class ChunkEditor<C extends Chunk> {
  /** Token that marks nodes this editor copied and may therefore change in place. */
  private readonly token = {};
  private root: Node;
  private finished = false;
  /** The last chunk made writable, cached because events touch the same chunk in runs. */
  private lastIndex = -1;
  private lastChunk: C | undefined;

  constructor(private readonly base: PersistentChunks<C>) {
    this.root = base.root;
  }

  /** Reads a chunk as it is in this batch (the copy when it was already edited). Do not mutate it. */
  read(index: number): C {
    if (index === this.lastIndex) return this.lastChunk!;
    let node = this.root;
    for (let level = this.base.shift; level > 0; level -= BITS) {
      node = node.children[(index >>> level) & MASK] as Node;
    }
    return node.children[index & MASK] as C;
  }

  /** The chunk at `index`, copied on first write in this batch: mutate it freely until `finish`. */
  write(index: number): C {
    if (this.finished) throw new Error('ChunkEditor used after finish()');
    if (index === this.lastIndex) return this.lastChunk!;
    this.root = this.writable(this.root);
    let node = this.root;
    for (let level = this.base.shift; level > 0; level -= BITS) {
      const branch = (index >>> level) & MASK;
      const child = this.writable(node.children[branch] as Node);
      node.children[branch] = child;
      node = child;
    }
    const branch = index & MASK;
    let chunk = node.children[branch] as C;
    if ((node.ownedChunks & (1 << branch)) === 0) {
      chunk = chunk.slice();
      node.children[branch] = chunk;
      node.ownedChunks |= 1 << branch;
    }
    this.lastIndex = index;
    this.lastChunk = chunk;
    return chunk;
  }

  /** The new version. The editor cannot be used afterwards. */
  finish(): PersistentChunks<C> {
    this.finished = true;
    this.lastChunk = undefined;
    if (this.root === this.base.root) return this.base;
    return new PersistentChunks<C>(this.base.length, this.base.shift, this.root);
  }

  private writable(node: Node): Node {
    if (node.owner === this.token) return node;
    return { owner: this.token, ownedChunks: 0, children: node.children.slice() };
  }
}

function buildNode<C extends Chunk>(chunks: readonly C[], from: number, to: number, shift: number): Node {
  const children: (Node | Chunk)[] = [];
  if (shift === 0) {
    for (let i = from; i < to; i++) children.push(chunks[i]!);
  } else {
    const span = WIDTH ** (shift / BITS);
    for (let i = from; i < to; i += span) children.push(buildNode(chunks, i, Math.min(i + span, to), shift - BITS));
  }
  return { owner: null, ownedChunks: 0, children };
}
