/**
 * Words of a command line the CLI prints for the user to run (the `resume with:` line): a
 * command with its operand placed so that commander reads it as one, each argument quoted for a
 * POSIX shell (`shellWord`, with the other ways values are written into messages). It runs
 * nothing and parses nothing.
 */
import { shellWord } from '../dag/text';

export { shellWord };

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
