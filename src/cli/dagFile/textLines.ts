/**
 * Lines and columns of offsets in a text, and back: where its lines start is found once, then
 * each offset is placed by a binary search (a line and column by a look-up). Lines end at a
 * line feed only (a carriage return is a character of its line, as the `yaml` library counts
 * them); columns count UTF-16 code units, 1-based.
 */
import type { Position } from './sourceText';

/** A function placing an offset of `text` at its line and column. */
export function lineColumnsOf(text: string): (offset: number) => Position {
  const lineStarts = lineStartsOf(text);
  return (offset) => {
    // the last line start at or before the offset
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (lineStarts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - lineStarts[low]! + 1 };
  };
}

/** A function giving the offset in `text` of a line and column (as {@link lineColumnsOf} gives them). */
export function offsetsOf(text: string): (position: Position) => number {
  const lineStarts = lineStartsOf(text);
  return ({ line, column }) => lineStarts[line - 1]! + column - 1;
}

function lineStartsOf(text: string): Int32Array {
  let count = 1;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) count++;
  const starts = new Int32Array(count);
  let line = 1;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) starts[line++] = at + 1;
  return starts;
}
