/**
 * Words of a command line the CLI prints for the user to run (the `resume with:` line): one
 * argument quoted for a POSIX shell, and a command with its operand placed so that commander
 * reads it as one. It runs nothing and parses nothing.
 */
import { hasControlCharacters, replaceControls } from '../dag/text';

/**
 * `text` as one word of a shell command line: as it is when it is safe, else single-quoted; a
 * word holding a control character (a line feed in a folder's name) in `$'…'`, with each such
 * character escaped, so that the line prints as one line and pastes as it was (bash, zsh, ksh).
 */
export function shellWord(text: string): string {
  if (/^[\w@%+=:,./-]+$/.test(text)) return text;
  if (!hasControlCharacters(text)) return `'${text.replace(/'/g, `'\\''`)}'`;
  return `$'${replaceControls(
    text.replace(/[\\']/g, (char) => `\\${char}`),
    controlEscape,
  )}'`;
}

/** One control character as `$'…'` writes it: `\n`, `\t`, `\x1b`, `\u2028`. */
function controlEscape(char: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };
  const code = char.charCodeAt(0);
  return named[char] ?? (code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/**
 * `command operand flags` as one line to paste, the operand quoted (`flags` are given quoted,
 * each with its leading space). An operand that starts with `-` would be read as an option:
 * it goes last, after `--`.
 *
 * @example
 * commandLine('rxdag resume', 'wéird dag-20261202-0712-a1b2', ' --store runs') // "rxdag resume 'wéird dag-20261202-0712-a1b2' --store runs"
 * commandLine('rxdag resume', '-x-20261202-0712-a1b2', ' --store runs') // "rxdag resume --store runs -- -x-20261202-0712-a1b2"
 */
export function commandLine(command: string, operand: string, flags = ''): string {
  return operand.startsWith('-') ? `${command}${flags} -- ${shellWord(operand)}` : `${command} ${shellWord(operand)}${flags}`;
}
