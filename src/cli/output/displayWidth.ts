/**
 * How many terminal columns a string takes, for the tables of `rxdag runs` and `rxdag show`:
 * East Asian wide and fullwidth characters (CJK, kana, hangul) and emoji take two, combining
 * marks and zero-width characters none, a character followed by VS16 (❤️) two, everything else one. An approximation of what
 * terminals do, from fixed code point ranges (no Unicode tables): a sequence joined with U+200D
 * (a family emoji) counts each of its parts. Control characters must be escaped before.
 */

/** Code points drawn two columns wide, as [first, last] pairs (East Asian Width W and F). */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1b000, 0x1b2ff],
  [0x1f200, 0x1f2ff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];

/** Emoji shown as emoji by default, and marks drawn on the character before them. */
const EMOJI = /\p{Emoji_Presentation}/u;
const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}]/u;
/** VARIATION SELECTOR-16: the character before it drawn as an emoji (two columns). */
const EMOJI_STYLE = 0xfe0f;

/**
 * The columns `text` takes on a terminal.
 *
 * @example
 * displayWidth('タスク') // 6
 * displayWidth('wéird 🚀') // 8
 */
export function displayWidth(text: string): number {
  let width = 0;
  let last = 0; // the width of the character before
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code === EMOJI_STYLE) {
      // ❤️: a character drawn as an emoji takes a column more
      if (last === 1) [width, last] = [width + 1, 2];
      continue;
    }
    if (code < 0x300)
      last = 1; // ASCII and Latin: the common case, no lookup
    else if (ZERO_WIDTH.test(char)) continue;
    else last = EMOJI.test(char) || WIDE.some(([first, end]) => code >= first && code <= end) ? 2 : 1;
    width += last;
  }
  return width;
}
