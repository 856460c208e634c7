/**
 * The marked blocks of RESULTS.md (`<!-- NAME:begin -->` … `<!-- NAME:end -->`): sections that
 * other commands write (`bench:journal`, `bench:cli`) or that are written by hand from a JSON
 * (`observe`, `remote`, `limits`). `npm run bench` rewrites the file from its own results; every
 * block of the file it replaces that its text does not contain is put back where it was: after
 * the block or heading it followed there (the nearest one the new text still has), in the same
 * order; at the end when none is left.
 */

interface Block {
  readonly name: string;
  readonly start: number;
  /** Just after the end marker. */
  readonly end: number;
  readonly text: string;
}

interface Heading {
  readonly line: string;
  readonly start: number;
  /** Identical heading lines before it (outside blocks): the same heading can come more than once. */
  readonly occurrence: number;
}

/** What a kept block followed in the old file. */
type Landmark =
  { readonly kind: 'block'; readonly name: string; readonly at: number } | ({ readonly kind: 'heading'; readonly at: number } & Heading);

/** A block: its markers alone on their lines (a marker quoted in a sentence is no block). */
const BLOCK = /^<!-- ([\w.-]+):begin -->$[\s\S]*?^<!-- \1:end -->$/gm;
const HEADING = /^#{1,6} .*$/gm;

function blocksOf(text: string): Block[] {
  return [...text.matchAll(BLOCK)].map((m) => ({ name: m[1]!, start: m.index, end: m.index + m[0].length, text: m[0] }));
}

function inside(blocks: readonly Block[], at: number): boolean {
  return blocks.some((b) => at >= b.start && at < b.end);
}

function headingsOf(text: string, blocks: readonly Block[]): Heading[] {
  const seen = new Map<string, number>();
  const headings: Heading[] = [];
  for (const m of text.matchAll(HEADING)) {
    if (inside(blocks, m.index)) continue;
    const occurrence = seen.get(m[0]) ?? 0;
    seen.set(m[0], occurrence + 1);
    headings.push({ line: m[0], start: m.index, occurrence });
  }
  return headings;
}

/** Where a block that followed `mark` goes in `text`: just after that block's end marker, or at the end of that heading's section. */
function placeAfter(text: string, mark: Landmark): { readonly at: number; readonly after: boolean } | undefined {
  const blocks = blocksOf(text);
  if (mark.kind === 'block') {
    const block = blocks.find((b) => b.name === mark.name);
    return block === undefined ? undefined : { at: block.end, after: true };
  }
  const headings = headingsOf(text, blocks);
  const heading = headings.find((h) => h.line === mark.line && h.occurrence === mark.occurrence);
  if (heading === undefined) return undefined;
  // the section ends at the next heading or block, whichever comes first
  const next = [...headings.map((h) => h.start), ...blocks.map((b) => b.start)].filter((at) => at > heading.start).sort((a, b) => a - b)[0];
  return { at: next ?? text.length, after: false };
}

function insert(text: string, block: string, place: { readonly at: number; readonly after: boolean } | undefined): string {
  if (place === undefined || place.at >= text.length) return `${text.replace(/\n*$/, '')}\n\n${block}\n`;
  if (place.after) return `${text.slice(0, place.at)}\n\n${block}${text.slice(place.at)}`;
  return `${text.slice(0, place.at)}${block}\n\n${text.slice(place.at)}`;
}

/**
 * `rendered` with every marked block of `previous` (the file it replaces) that it does not
 * contain itself, each after what it followed in `previous`.
 *
 * @example
 * keepBlocks('# A\n\ntext\n\n## B\n', '# A\n\nold\n\n<!-- x:begin -->\nX\n<!-- x:end -->\n\n## B\n');
 * // '# A\n\ntext\n\n<!-- x:begin -->\nX\n<!-- x:end -->\n\n## B\n'
 */
export function keepBlocks(rendered: string, previous: string | undefined): string {
  if (previous === undefined) return rendered;
  const written = new Set(blocksOf(rendered).map((b) => b.name));
  const old = blocksOf(previous);
  const headings = headingsOf(previous, old);
  let text = rendered;
  for (const block of old) {
    if (written.has(block.name)) continue;
    written.add(block.name); // a name twice in the old file: its first block only
    const landmarks: Landmark[] = [
      ...old.filter((b) => b.end <= block.start).map((b) => ({ kind: 'block' as const, name: b.name, at: b.start })),
      ...headings.filter((h) => h.start < block.start).map((h) => ({ kind: 'heading' as const, at: h.start, ...h })),
    ].sort((a, b) => b.at - a.at);
    let place: ReturnType<typeof placeAfter>;
    for (const mark of landmarks) {
      place = placeAfter(text, mark);
      if (place !== undefined) break;
    }
    text = insert(text, block.text, place);
  }
  return text;
}
