/**
 * Keeps the last `maxChars` characters of a stream of text chunks, so a chatty command cannot
 * grow the task's output (and the events log) without bound. The tail is kept because the end
 * of a log is where errors are.
 */
export class TailText {
  // Chunks not yet joined; joining on every chunk would be quadratic.
  private chunks: string[] = [];
  // Characters held in `chunks`.
  private length = 0;
  // Whether anything was dropped from the front.
  private truncated = false;

  constructor(private readonly maxChars: number) {}

  push(chunk: string): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
    // Trim only when twice the limit is held, so trimming costs O(1) amortized per character.
    if (this.length > 2 * this.maxChars) this.compact();
  }

  /** The kept text, trimmed of surrounding whitespace, with a `…` line when the front was cut. */
  text(): string {
    this.compact();
    const text = this.chunks.join('').trim();
    return this.truncated ? `…\n${text}` : text;
  }

  /** The last `count` non-empty lines. */
  lastLines(count: number): string[] {
    return this.text()
      .split(/\r?\n/)
      .filter((line) => line.trim() !== '')
      .slice(-count);
  }

  private compact(): void {
    let joined = this.chunks.join('');
    if (joined.length > this.maxChars) {
      let cut = joined.length - this.maxChars;
      // Start at a line: half a line reads like a different message.
      if (joined[cut - 1] !== '\n') {
        const nextLine = joined.indexOf('\n', cut);
        if (nextLine >= 0 && nextLine < joined.length - 1) cut = nextLine + 1;
      }
      joined = joined.slice(cut);
      this.truncated = true;
    }
    this.chunks = [joined];
    this.length = joined.length;
  }
}
