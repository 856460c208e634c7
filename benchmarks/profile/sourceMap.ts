import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Just enough of the source map v3 format to turn a position in tsc's `dist/*.js` into the line
 * of `src/*.ts` it came from: a Base64 VLQ decoder and a per-line lookup.
 */

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUE = new Map([...BASE64].map((char, value) => [char, value]));

/** One mapping: a generated column, and the source position it came from (0-based). */
interface Segment {
  readonly column: number;
  readonly source: number;
  readonly line: number;
}

/** A decoded map: per generated line (0-based), its segments in column order. */
export interface SourceMap {
  readonly sources: readonly string[];
  readonly lines: readonly (readonly Segment[])[];
}

/** Decodes one segment's VLQ fields. */
function decodeFields(text: string): number[] {
  const fields: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of text) {
    const digit = BASE64_VALUE.get(char);
    if (digit === undefined) throw new Error(`bad source-map character "${char}"`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5; // continuation bit: more digits follow
    } else {
      fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return fields;
}

export function decodeSourceMap(json: { readonly sources: readonly string[]; readonly mappings: string; readonly sourceRoot?: string }): SourceMap {
  const lines: Segment[][] = [];
  // Source index, line and column are deltas across the whole map; the column restarts each line.
  let source = 0;
  let sourceLine = 0;
  for (const lineText of json.mappings.split(';')) {
    const segments: Segment[] = [];
    let column = 0;
    for (const segmentText of lineText.split(',')) {
      if (segmentText === '') continue;
      const fields = decodeFields(segmentText);
      column += fields[0]!;
      if (fields.length >= 4) {
        source += fields[1]!;
        sourceLine += fields[2]!;
        segments.push({ column, source, line: sourceLine });
      }
    }
    lines.push(segments);
  }
  return { sources: json.sources.map((s) => (json.sourceRoot ? path.join(json.sourceRoot, s) : s)), lines };
}

/** The source position of a generated one (0-based line and column), or `undefined` when unmapped. */
export function originalPosition(map: SourceMap, line: number, column: number): { readonly source: string; readonly line: number } | undefined {
  const segments = map.lines[line];
  if (segments === undefined || segments.length === 0) return undefined;
  let best = segments[0]!;
  for (const segment of segments) {
    if (segment.column > column) break;
    best = segment;
  }
  return { source: map.sources[best.source]!, line: best.line };
}

const cache = new Map<string, SourceMap | undefined>();

/** The decoded map next to a generated file (`file.js.map`), cached; `undefined` when there is none. */
export function sourceMapOf(generatedFile: string): SourceMap | undefined {
  if (!cache.has(generatedFile)) {
    const mapFile = `${generatedFile}.map`;
    cache.set(generatedFile, existsSync(mapFile) ? decodeSourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as Parameters<typeof decodeSourceMap>[0]) : undefined);
  }
  return cache.get(generatedFile);
}
