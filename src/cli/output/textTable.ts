/**
 * Plain-text tables and times for the commands that list journaled runs (`rxdag runs`,
 * `rxdag show`): columns padded to their widest cell, numbers right-aligned, and wall-clock
 * times as local `YYYY-MM-DD HH:MM:SS`. No colours, no terminal width: a table line is as long
 * as its cells need (a pipe or a file has no width).
 */

/** A column: its heading, and whether its cells are right-aligned (numbers). */
export interface Column {
  readonly heading: string;
  readonly right?: boolean;
}

/** The table as lines: the headings, then one line per row, cells two spaces apart. */
export function textTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string[] {
  const widths = columns.map((column, i) => Math.max(column.heading.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    columns
      .map((column, i) => (column.right === true ? (cells[i] ?? '').padStart(widths[i]!) : (cells[i] ?? '').padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.heading)), ...rows.map(line)];
}

/** A wall-clock time (ms since the epoch) in local time: `2026-12-02 07:12:03`. */
export function formatClock(ms: number): string {
  const at = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
}
