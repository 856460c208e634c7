/**
 * `target.push(...items)` without the spread: a spread passes every item as an argument, and
 * past about 120,000 of them (a 200k-task spawn, the ready queue of a big run drained at a
 * cancel, a file whose every task has a problem) V8 throws `RangeError: Maximum call stack size
 * exceeded`. Used wherever `items` grows with a DAG's size; it does nothing else.
 */
export function appendAll<T>(target: T[], items: readonly T[]): T[] {
  for (let i = 0; i < items.length; i++) target.push(items[i]!);
  return target;
}
