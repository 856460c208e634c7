/**
 * Keeps the last `maxChars` characters of a stream of text chunks, so a chatty command cannot
 * grow the task's output (and the events log) without bound. The tail is kept because the end
 * of a log is where errors are. It starts at a line when one starts soon after the cut (half a
 * line reads like a different message); a long line is cut inside rather than dropped whole, but
 * never inside a character, nor inside a colour's escape (`ESC [ 31 m`), whose end would show as text.
 */
import { characterStartFrom } from '../../dag/text';

/** How near the cut a line must start for the tail to start there: within this fraction of the limit. */
const NEAR_LINE_FRACTION = 4;

export class TailText {
  // Chunks not yet joined; joining on every chunk would be quadratic.
  private chunks: string[] = [];
  // Characters held in `chunks`.
  private length = 0;
  // Whether anything was dropped from the front.
  private truncated = false;
  // Whether the cut fell inside a line.
  private midLine = false;

  constructor(private readonly maxChars: number) {}

  push(chunk: string): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
    // Trim only when twice the limit is held, so trimming costs O(1) amortized per character.
    if (this.length > 2 * this.maxChars) this.compact();
  }

  /** The kept text, trimmed of surrounding whitespace, with a `…` line when the front was cut. */
  text(): string {
    return this.kept((text) => text.trim());
  }

  /** The kept text as `shaped`, with a `…` line when the front was cut. */
  private kept(shaped: (text: string) => string): string {
    this.compact();
    const text = shaped(this.chunks.join(''));
    if (!this.truncated) return text;
    return this.midLine ? `…${text}` : `…\n${text}`;
  }

  /**
   * The last `count` non-empty lines (none for 0), each as a terminal shows it: a line a progress
   * bar redrew with `\r` is its last drawing, not every one; one of control sequences alone is empty.
   */
  lastLines(count: number): string[] {
    if (count <= 0) return [];
    // not trimmed: the first line keeps its indent, as a stack trace's `\tat …` lines have
    return this.kept((text) => text.trimEnd())
      .split('\n')
      .map(lastDrawing)
      .filter((line) => line.replace(DRAWS_NO_TEXT, '').replace(CONTROLS, '').trim() !== '')
      .slice(-count);
  }

  private compact(): void {
    let joined = this.chunks.join('');
    if (joined.length > this.maxChars) {
      let cut = joined.length - this.maxChars;
      if (joined[cut - 1] !== '\n') {
        const nextLine = joined.indexOf('\n', cut);
        if (nextLine >= 0 && nextLine < joined.length - 1 && nextLine - cut < this.maxChars / NEAR_LINE_FRACTION) cut = nextLine + 1;
      }
      // never inside a character as a reader sees it (an emoji's halves, a flag, a letter's accent): half of one is not text
      cut = characterStartFrom(joined, cut);
      cut = pastColour(joined, cut);
      this.midLine = joined[cut - 1] !== '\n';
      joined = joined.slice(cut);
      this.truncated = true;
    }
    this.chunks = [joined];
    this.length = joined.length;
  }
}

/** What is left of a line after its carriage returns (`\r` at its end, as in `\r\n`, redraws nothing). */
function lastDrawing(line: string): string {
  const end = line.replace(/\r+$/, '');
  return end.slice(end.lastIndexOf('\r') + 1);
}

/**
 * Escape sequences, which draw no text (CSI, OSC such as a window title, a DCS query such as
 * `tput`'s of a capability, a character set chosen, the cursor saved or restored): a colour reset
 * (`ESC [ 0 m`, `tput sgr0`'s `ESC ( B ESC [ m`) or a cursor shown again (`ESC [ ? 25 h`) on a
 * line of its own is a blank line, not the line an error is quoted by.
 */
const DRAWS_NO_TEXT = /\u001b(?:\[[0-?]*[ -/]*[@-~]|[\]P^_X][^\u0007\u001b]*(?:\u0007|\u001b\\)|[()*+][0-9A-Za-z]|[78=>c])/g;
/**
 * Control characters and characters that show nothing, which draw no text either: tmux's `tput
 * sgr0` ends with SI (`\x0f`), a bell is BEL; a zero-width space or joiner, a soft hyphen, a
 * direction mark or a tag is a format character (`\p{Cf}`); a variation selector left of an
 * emoji a tool stripped, a Hangul filler or a grapheme joiner is ignorable by default (shown as
 * nothing), a braille blank shows as a space.
 */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/gu;

/** Colour escapes (SGR: `ESC [ 1;31 m`), anchored where one may begin. */
const COLOUR = /\u001b\[[0-9;:]*m/y;

/** Longest colour escape looked back for: its parameters are a few numbers. */
const LONGEST_COLOUR = 64;

/** `cut`, or the end of the colour escape of `text` it falls inside. */
function pastColour(text: string, cut: number): number {
  const escape = text.lastIndexOf('\u001b', cut - 1);
  if (escape < 0 || cut - escape > LONGEST_COLOUR) return cut;
  COLOUR.lastIndex = escape;
  const match = COLOUR.exec(text);
  return match !== null && escape + match[0].length > cut ? escape + match[0].length : cut;
}
