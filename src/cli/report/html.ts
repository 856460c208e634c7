/**
 * How the HTML report writes text, times and labels: text escaped for HTML (and the control
 * characters HTML cannot hold escaped as the terminal output escapes them), milliseconds for
 * people, labels cut short. It builds no markup.
 */
import { terminalText } from '../output/terminalText';

/**
 * C0 control characters other than tab, line feed and carriage return (the whitespace HTML
 * keeps). HTML text may not hold them: browsers drop or replace them, and one NUL makes the file
 * binary to `grep`. A task's error or output may well hold them (a NUL, colour escapes).
 */
const C0_CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]+/g;

/**
 * Escapes text for HTML and SVG content and attribute values; C0 controls but tab, line feed and
 * carriage return are written as escapes, as on the terminal (`\u001b`, `\u0000`).
 *
 * @example
 * escapeHtml('<b>\u001b[31mred</b>') // "&lt;b&gt;\\u001b[31mred&lt;/b&gt;"
 */
export function escapeHtml(text: string): string {
  return text
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
    .replace(C0_CONTROLS, (controls) => terminalText(controls));
}

/** Milliseconds for people: `850 ms`, `12.4 s`, `3 min 05 s`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`;
}

/** Cuts a label to `max` characters, with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
