/**
 * A value as one line of JSON that a terminal shows as text: besides the C0 controls
 * `JSON.stringify` escapes already, DEL, the C1 controls (U+009B starts an escape sequence on
 * terminals that read C1) and the format characters (`FORMAT_CHARACTERS`: the line and paragraph
 * separators, the bidirectional controls) are written as `\u` escapes. The line parses to the
 * same value: only how it reads on a screen changes. For the CLI's `--json` output, which is often read on one; it writes nothing itself.
 */
import { FORMAT_CHARACTERS } from '../../dag/text';

/** What JSON may hold raw but a terminal would act on or draw reversed. */
const SCREEN_CONTROLS = new RegExp(`[\\u007f-\\u009f${FORMAT_CHARACTERS}]`, 'g');

/**
 * @example
 * jsonLine({ stderr: 'a\u202eb' }) // '{"stderr":"a\\u202eb"}\n'
 */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value).replace(SCREEN_CONTROLS, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}
