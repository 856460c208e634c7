/**
 * Sets of small integer places (the runs of a scheduler in start order, see `runTurns.ts`): a
 * bitset with a summary word per 32 words, so the next member after a place is found in a few
 * word operations however few members there are; and counts of places before a place (a Fenwick
 * tree), so a run's place gives its index among the runs going on in O(log n). Both have a fixed
 * capacity given when made; making bigger ones is the owner's work. They know nothing of runs.
 */

/** A set of places below a capacity, with the first member in a range found quickly. */
export class PlaceSet {
  /** A bit per place. */
  private readonly words: Int32Array;
  /** A bit per word of `words`: set while that word has a bit set. */
  private readonly summary: Int32Array;
  private count = 0;

  constructor(readonly capacity: number) {
    this.words = new Int32Array(Math.ceil(capacity / 32));
    this.summary = new Int32Array(Math.ceil(this.words.length / 32));
  }

  get size(): number {
    return this.count;
  }

  has(place: number): boolean {
    return (this.words[place >>> 5]! & (1 << (place & 31))) !== 0;
  }

  add(place: number): void {
    const word = place >>> 5;
    const before = this.words[word]!;
    const after = before | (1 << (place & 31));
    if (after === before) return;
    this.words[word] = after;
    this.summary[word >>> 5]! |= 1 << (word & 31);
    this.count++;
  }

  delete(place: number): void {
    const word = place >>> 5;
    const before = this.words[word]!;
    const after = before & ~(1 << (place & 31));
    if (after === before) return;
    this.words[word] = after;
    if (after === 0) this.summary[word >>> 5]! &= ~(1 << (word & 31));
    this.count--;
  }

  /** The first member in `[from, to)`, `-1` when there is none. */
  next(from: number, to: number): number {
    if (from >= to || this.count === 0) return -1;
    let word = from >>> 5;
    let bits = this.words[word]! & (-1 << (from & 31));
    if (bits === 0) {
      // the next word with a bit set, from the summary: 32 words a step
      word = this.nextWord(word + 1, (to - 1) >>> 5);
      if (word < 0) return -1;
      bits = this.words[word]!;
    }
    const place = (word << 5) | lowestBit(bits);
    return place < to ? place : -1;
  }

  /** The first word in `[from, last]` with a bit set, `-1` when none has. */
  private nextWord(from: number, last: number): number {
    for (let at = from; at <= last; at = ((at >>> 5) + 1) << 5) {
      const bits = this.summary[at >>> 5]! & (-1 << (at & 31));
      if (bits === 0) continue;
      const word = ((at >>> 5) << 5) | lowestBit(bits);
      return word <= last ? word : -1;
    }
    return -1;
  }
}

/** How many places below a capacity are counted, before any place: a Fenwick tree of 0s and 1s. */
export class PlaceCounts {
  private readonly tree: Int32Array;

  constructor(readonly capacity: number) {
    this.tree = new Int32Array(capacity + 1);
  }

  /** Counts `place` once more (`delta` 1) or once less (`delta` -1). */
  add(place: number, delta: number): void {
    for (let i = place + 1; i <= this.capacity; i += i & -i) this.tree[i]! += delta;
  }

  /** How many counted places are below `place`. */
  before(place: number): number {
    let sum = 0;
    for (let i = place; i > 0; i -= i & -i) sum += this.tree[i]!;
    return sum;
  }
}

/** Index of the lowest set bit of a non-zero 32-bit word. */
function lowestBit(word: number): number {
  return 31 - Math.clz32(word & -word);
}
