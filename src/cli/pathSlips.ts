/**
 * Paths of output options (`--events`, `--report`, `--logs`) that a user cannot have meant as
 * written: a `~` the shell did not expand (`--report=~/r.html` reaches rxdag as written, and
 * would make a folder named `~`), or white space at either end (a look-alike file otherwise). It
 * says what is wrong and checks nothing on disk; `--store` has its own refusals (`storeLocation.ts`).
 */
import { homedir } from 'node:os';
import path from 'node:path';
import { escapeControls } from '../dag/text';

/** What is wrong with the path `given` to `flag`, or `undefined` when nothing of this kind is. */
export function pathSlip(flag: string, given: string): string | undefined {
  // a shell expands `~` (and `~user`) only at the start of a word
  const tilde = /^~([^/]*)(?:\/|$)/.exec(given);
  if (tilde !== null) {
    const whole = tilde[1] === '' ? `, ${path.join(homedir(), given.slice(1))}` : '';
    return `${flag} ${escapeControls(given)}: rxdag does not expand ~ (write the whole path${whole}; ./${escapeControls(given)} for one named ${escapeControls(`~${tilde[1]}`)} here)`;
  }
  if (given.trim() !== given)
    return `${flag} ${JSON.stringify(given)} begins or ends with white space, which no message would show: remove it`;
  return undefined;
}
