/**
 * The UTF-8 bytes of a text to write, encoded into a buffer its owner keeps and reuses (one per
 * journal writer), up to {@link MAX_KEPT_BYTES}; a longer text gets a buffer of its own. The
 * bytes are valid until the next call. It writes nothing itself.
 * Why: `Buffer.from` of each group allocated a fresh buffer for every flush of a run.
 */

/** The largest buffer kept between groups (a group of ~3,000 events; most are far smaller). */
export const MAX_KEPT_BYTES = 1024 * 1024;
/** The smallest buffer made: the groups of a flush are a few KB to a few tens of KB. */
const MIN_KEPT_BYTES = 64 * 1024;

/** UTF-8 takes at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units). */
const MAX_BYTES_PER_UNIT = 3;

/** Texts as UTF-8 bytes, through one buffer kept between calls. */
export class TextBytes {
  private buffer: Buffer = Buffer.allocUnsafe(0);

  /**
   * `text` as UTF-8: a view of the kept buffer when it fits, else a new buffer.
   *
   * @example
   * const bytes = new TextBytes();
   * fs.writeSync(fd, bytes.of(text));
   */
  of(text: string): Buffer {
    const most = text.length * MAX_BYTES_PER_UNIT;
    if (most > MAX_KEPT_BYTES) return Buffer.from(text, 'utf8');
    if (this.buffer.length < most) this.buffer = Buffer.allocUnsafe(Math.max(most, MIN_KEPT_BYTES));
    return this.buffer.subarray(0, this.buffer.write(text, 0, 'utf8'));
  }
}
