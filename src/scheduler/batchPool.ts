/**
 * A few spare batch arrays for `coalesce`, so a flush reuses an array instead of
 * allocating one. It does not track who holds a batch: whoever takes one gives it back once
 * nothing reads it any more, and a batch given back is emptied.
 *
 * Why recycle: a fresh `[]` per flush, stored into a long-lived closure, can make V8 pretenure
 * the allocation site (see benchmarks/README.md).
 */

/** How many empty arrays are kept; more given back are dropped. */
const MAX_SPARE = 4;

/** Recycled batch arrays: {@link BatchPool.take} one, {@link BatchPool.give} it back. */
export class BatchPool<T> {
  private readonly spare: T[][] = [];

  /** An empty array: a spare one if any. */
  take(): T[] {
    return this.spare.pop() ?? [];
  }

  /** Empties `batch` and keeps it for a later {@link BatchPool.take}. */
  give(batch: T[]): void {
    if (this.spare.length >= MAX_SPARE) return;
    // popping keeps the capacity and is inlined; `length = 0` is a runtime call
    while (batch.length > 0) batch.pop();
    this.spare.push(batch);
  }
}
