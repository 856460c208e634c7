/**
 * Text from a run (a task's error and its last lines of output, a warning, a worker's name) made
 * safe to print on a terminal or into a plain log: line feeds and tabs are kept, colours and
 * styles (`ESC [ … m`, which tools print in CI without a terminal) are left out, every other
 * control character (escape, carriage return, bell, C1 and bidirectional controls…) is written
 * as an escape (`\u001b`, `\r`), so a task's output cannot clear the screen, retitle the
 * terminal or rewrite a line that was printed. The HTML report writes the C0 controls HTML
 * cannot hold with it too. It measures and cuts nothing, and is not used where text keeps its
 * exact bytes: `--json`, the events log, the journal.
 */
import { escapeControls, hasControlCharacters } from '../../dag/text';

/** A colour or style of text (Select Graphic Rendition): `ESC [ 31 m`, `ESC [ 1 ; 38 : 5 : 208 m`, `ESC [ m`. */
const STYLE = /\u001b\[[0-9;:]*m/g;

/**
 * `text` without its colours and styles, and with every other control character but line feed
 * and tab escaped.
 *
 * @example
 * terminalText('\u001b[31mred\u001b[0m\u001b[2J\u001b]0;title\u0007 hi\n\tat x') // "red\\u001b[2J\\u001b]0;title\\u0007 hi\n\tat x"
 */
export function terminalText(text: string): string {
  if (!hasControlCharacters(text)) return text; // nearly every line: no copy made
  return withoutStyles(text)
    .split('\n')
    .map((line) => line.split('\t').map(escapeControls).join('\t'))
    .join('\n');
}

/** `text` without its colours and styles (`ESC [ … m`). */
export function withoutStyles(text: string): string {
  return text.replace(STYLE, '');
}
