/** A GitHub-flavoured Markdown table; columns listed in `right` are right-aligned (numbers). */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[], right: ReadonlySet<number> = numericColumns(headers.length)): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const line = (cells: readonly string[]) => `| ${cells.map(escape).join(' | ')} |`;
  const rule = headers.map((_, i) => (right.has(i) ? '---:' : '---'));
  return [line(headers), `| ${rule.join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** Every column but the first: the usual shape of a results table. */
function numericColumns(count: number): ReadonlySet<number> {
  return new Set(Array.from({ length: count - 1 }, (_, i) => i + 1));
}
