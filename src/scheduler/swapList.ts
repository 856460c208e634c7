/**
 * An unordered list with O(1) removal: the removed item's place is taken by the last one, and
 * each item knows its place. Used for a run's running attempts instead of a Map, whose tables
 * rehash as entries come and go and leave garbage for the GC to promote. It does not keep any
 * order, and an item may be in one list at a time.
 */

/** An item that remembers its place in a {@link SwapList}. */
export interface Placed {
  /** Its index in the list while in one, else -1. */
  place: number;
}

export class SwapList<T extends Placed> {
  private readonly list: T[] = [];

  get size(): number {
    return this.list.length;
  }

  /** The items now, in no particular order (a live view: copy it before removing while iterating). */
  get items(): readonly T[] {
    return this.list;
  }

  add(item: T): void {
    item.place = this.list.length;
    this.list.push(item);
  }

  /** Removes `item`, which must be in this list. */
  remove(item: T): void {
    const last = this.list.pop()!;
    if (last !== item) {
      this.list[item.place] = last;
      last.place = item.place;
    }
    item.place = -1;
  }
}
