import { charactersOf } from '../../dag/text';
import { displayWidth } from './displayWidth';

/**
 * Wraps text to a terminal's width so that nothing is cut: while the progress bar is drawn,
 * the terminal's own line wrapping is off (a long line would lose its end, e.g. a failure's
 * exit code and stderr lines). Each line longer than `width` is broken at its last space that
 * fits (anywhere, for a word longer than a line), and the rest continues on the next lines
 * after `indent` spaces. Every character is kept; only spaces at a break are dropped.
 *
 * It counts screen columns (`displayWidth.ts`: wide characters such as CJK and emoji take two)
 * and never breaks inside a character as a reader sees it (a family emoji, a letter and its accents). A tab becomes the spaces to the next tab stop (every 8
 * columns), as the terminal would draw it: counted as one column, a line of tabs ran past the
 * edge and lost its end. It does not shorten anything nor know about ANSI escape sequences (the
 * CLI escapes them before).
 *
 * @example
 * wrapLines('[   0.1s] task.failed x: exited with code 3', 30, 10)
 * // "[   0.1s] task.failed x:\n          exited with code 3"
 */
export function wrapLines(text: string, width: number, indent = 0): string {
  // Too narrow for an indent and some text: no indent (still within the width).
  const pad = ' '.repeat(width - indent >= 20 ? indent : 0);
  const max = Math.max(width, 1);
  return text
    .split('\n')
    .flatMap((line) => wrapLine(line.includes('\t') ? tabsExpanded(line) : line, max, pad))
    .join('\n');
}

function wrapLine(line: string, width: number, pad: string): string[] {
  const out: string[] = [];
  let rest = line;
  let prefix = '';
  while (prefix.length + displayWidth(rest) > width) {
    const room = fitting(rest, width - prefix.length);
    // The last space within the room, not in the line's own indentation.
    const leading = rest.length - rest.trimStart().length;
    const space = rest.lastIndexOf(' ', room);
    // a character wider than the whole room still goes on a line of its own
    const cut = space > leading ? space : Math.max(room, firstCharacterLength(rest));
    out.push(prefix + rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
    prefix = pad;
  }
  // nothing left after the last break (its spaces dropped): no empty line for it
  if (rest !== '' || out.length === 0) out.push(prefix + rest);
  return out;
}

/** Tab stops of terminals: every 8 columns. */
const TAB_STOP = 8;

/** `line` with each tab replaced by the spaces to the next tab stop, columns counted from its start. */
function tabsExpanded(line: string): string {
  let out = '';
  let column = 0;
  for (const piece of line.split(/(\t)/)) {
    if (piece !== '\t') {
      out += piece;
      column += displayWidth(piece);
      continue;
    }
    const spaces = TAB_STOP - (column % TAB_STOP);
    out += ' '.repeat(spaces);
    column += spaces;
  }
  return out;
}

/** How many UTF-16 units of `text`, whole characters (never a family emoji's part), fit in `columns` screen columns. */
export function fitting(text: string, columns: number): number {
  let used = 0;
  let units = 0;
  for (const character of charactersOf(text)) {
    used += displayWidth(character);
    if (used > columns) break;
    units += character.length;
  }
  return units;
}

/** The UTF-16 length of the first character of `text` as a reader sees it. */
function firstCharacterLength(text: string): number {
  for (const character of charactersOf(text)) return character.length;
  return 0;
}
