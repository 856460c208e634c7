/**
 * Task id → task index, as an open-addressing hash table on one `Int32Array` over the DAG's own
 * id column: one allocation of 8 bytes a task instead of a `Map` that grows by copying
 * (figures in benchmarks/README.md, "Tricks and why").
 */
export class IdIndex {
  /** Bucket → task index + 1; 0 is an empty bucket. */
  private readonly buckets: Int32Array;
  private readonly mask: number;

  /** An empty index for up to `capacity` ids, looking them up in `ids` (filled as tasks are added). */
  constructor(
    private readonly ids: readonly string[],
    capacity: number,
  ) {
    // at most half full: linear probes stay short
    let size = 16;
    while (size < 2 * capacity) size *= 2;
    this.buckets = new Int32Array(size);
    this.mask = size - 1;
  }

  /**
   * The index of `ids`, whose first `known` are those this index holds (a DAG grown by spawned
   * tasks): its table copied while one of that size has room (its size doubles when not, so a run
   * spawning a task at a time copies a table rather than hashing every id again), the others
   * added. `undefined` when one of those is there already.
   */
  grownTo(ids: readonly string[], known: number): IdIndex | undefined {
    const grown = new IdIndex(ids, ids.length);
    if (grown.buckets.length === this.buckets.length) grown.buckets.set(this.buckets);
    else for (let i = 0; i < known; i++) grown.add(i);
    for (let i = known; i < ids.length; i++) if (grown.add(i) !== undefined) return undefined;
    return grown;
  }

  /** The index of `id`, or `undefined`. */
  get(id: string): number | undefined {
    if (typeof id !== 'string') return undefined;
    const { buckets, mask, ids } = this;
    for (let bucket = hash(id) & mask; ; bucket = (bucket + 1) & mask) {
      const entry = buckets[bucket]!;
      if (entry === 0) return undefined;
      if (ids[entry - 1] === id) return entry - 1;
    }
  }

  /**
   * Records that `ids[index]` is at `index`. Returns the index already recorded for that id (a
   * duplicate; nothing is changed) or `undefined`. No more than `capacity` ids may be added.
   */
  add(index: number): number | undefined {
    const { buckets, mask, ids } = this;
    const id = ids[index]!;
    for (let bucket = hash(id) & mask; ; bucket = (bucket + 1) & mask) {
      const entry = buckets[bucket]!;
      if (entry === 0) {
        buckets[bucket] = index + 1;
        return undefined;
      }
      if (ids[entry - 1] === id) return entry - 1;
    }
  }
}

/** FNV-1a over the UTF-16 code units, then a final mix so the low bits (the bucket) spread well. */
function hash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h;
}
