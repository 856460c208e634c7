/**
 * How the HTML report writes text, times and labels: text escaped for HTML (and the control
 * characters HTML cannot hold escaped as the terminal output escapes them), milliseconds for
 * people, labels cut short to a width, and how wide a label is drawn. It builds no markup.
 */
import { displayWidth } from '../output/displayWidth';
import { terminalText, withoutStyles } from '../output/terminalText';
import { FORMAT_CHARACTERS } from '../../dag/text';

/**
 * Control characters other than tab, line feed and carriage return (the whitespace HTML keeps):
 * C0, which HTML text may not hold (browsers drop or replace them, and one NUL makes the file
 * binary to `grep`), DEL and C1, and the format characters of `FORMAT_CHARACTERS` (text shown
 * reversed, `report\u202etxt.exe`, as on a terminal). A task's error or output may well hold
 * them (a NUL, colour escapes).
 */
const CONTROLS = new RegExp(`[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f${FORMAT_CHARACTERS}]+`, 'g');

/**
 * Escapes text for HTML and SVG content and attribute values; as on the terminal, colours and
 * styles are left out and other controls but tab, line feed and carriage return are written as
 * escapes (`\u001b`, `\u0000`, `\u202e`).
 *
 * @example
 * escapeHtml('<b>\u001b[31mred\u001b[2J</b>') // "&lt;b&gt;red\\u001b[2J&lt;/b&gt;"
 */
export function escapeHtml(text: string): string {
  return withoutStyles(text)
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
    .replace(CONTROLS, (controls) => terminalText(controls));
}

/** Milliseconds for people: `850 ms`, `12.4 s`, `3 min 05 s`, `26 h 40 min`. */
export function formatMs(ms: number): string {
  if (ms < 999.5) return `${Math.round(ms)} ms`;
  // (a value that rounds up to the next unit is said in it: 59,990 ms is `1 min 00 s`, not `60.0 s`)
  if (ms < 9995) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
  const minutes = Math.round(ms / 60_000);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** Letters drawn about as wide as the font is tall, in the sans-serif fonts of the page. */
const BROAD = /[A-Z@%&mw]/;

/** How wide one character is drawn, in ems: broad letters 0.9, other Latin 0.62, a wide character (CJK, emoji) two of those, a combining mark nothing. */
function charEm(char: string): number {
  if (BROAD.test(char)) return 0.9;
  return char.codePointAt(0)! < 0x300 ? 0.62 : displayWidth(char) * 0.62;
}

/**
 * A generous guess of how wide `text` is drawn at `fontPx`, in px: SVG text does not wrap or
 * grow its drawing, so drawings are sized from this.
 */
export function textWidth(text: string, fontPx: number): number {
  let em = 0;
  for (const char of text) em += charEm(char);
  return Math.ceil(em * fontPx);
}

/**
 * Cuts a label so that it is drawn at most `maxPx` wide at `fontPx`, with an ellipsis; whole
 * characters only (an emoji is never split into a replacement character).
 */
export function truncate(text: string, maxPx: number, fontPx: number): string {
  if (textWidth(text, fontPx) <= maxPx) return text;
  const room = maxPx / fontPx - charEm('…');
  let em = 0;
  let kept = '';
  for (const char of text) {
    em += charEm(char);
    if (em > room) break;
    kept += char;
  }
  return `${kept}…`;
}
