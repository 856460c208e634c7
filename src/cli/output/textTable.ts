/**
 * Plain-text tables and times for the commands that list journaled runs (`rxdag runs`,
 * `rxdag show`): columns padded to their widest cell (in terminal columns: `タスク` takes six),
 * numbers right-aligned, control characters in a cell escaped, and wall-clock times as local
 * `YYYY-MM-DD HH:MM:SS`. No colours, no terminal width: a table line is as long as its cells
 * need (a pipe or a file has no width).
 */
import { escapeControls } from '../../dag/text';
import { displayWidth } from './displayWidth';

/** A column: its heading, and whether its cells are right-aligned (numbers). */
export interface Column {
  readonly heading: string;
  readonly right?: boolean;
}

/** The table as lines: the headings, then one line per row, cells two spaces apart. */
export function textTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string[] {
  const table = [columns.map((column) => column.heading), ...rows].map((row) => columns.map((_, i) => shown(row[i] ?? '')));
  const widths = columns.map((_, i) => table.reduce((widest, row) => Math.max(widest, widthOf(row[i]!)), 0));
  const line = (row: readonly string[]) =>
    row
      .map((text, i) => {
        const pad = widths[i]! - widthOf(text) + text.length; // in characters: a wide one takes two columns
        return columns[i]!.right === true ? text.padStart(pad) : text.padEnd(pad);
      })
      .join('  ')
      .trimEnd();
  return table.map(line);
}

/** Printable ASCII: as many columns as characters, nothing to escape (nearly every cell). */
const PLAIN = /^[\x20-\x7e]*$/;

/** A cell as printed: its control characters escaped. */
function shown(cell: string): string {
  return PLAIN.test(cell) ? cell : escapeControls(cell);
}

/** The columns a printed cell takes. */
function widthOf(text: string): number {
  return PLAIN.test(text) ? text.length : displayWidth(text);
}

/** A wall-clock time (ms since the epoch) in local time: `2026-12-02 07:12:03`. */
export function formatClock(ms: number): string {
  const at = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
}

/**
 * The time from one wall-clock reading to a later one, never negative: a run resumed on a
 * machine whose clock is behind the first one's has readings that go back.
 */
export function elapsedMs(from: number, to: number): number {
  return Math.max(0, to - from);
}
