/**
 * Words of a command line the CLI prints for the user to run (the `resume with:` line): one
 * argument quoted for a POSIX shell, and a command with its operand placed so that commander
 * reads it as one. It runs nothing and parses nothing.
 */

/** `text` as one word of a shell command line: as it is when it is safe, else single-quoted. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
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
