/**
 * Paths of output options (`--events`, `--report`, `--logs`) that a user cannot have meant as
 * written: a `~` the shell did not expand (`--report=~/r.html` reaches rxdag as written, and
 * would make a folder named `~`), white space at either end (a look-alike file otherwise), or
 * bytes that are not UTF-8 (Node reads them as U+FFFD, which names another file). It
 * says what is wrong and checks nothing on disk; `--store` shares both refusals (`storeLocation.ts`).
 */
import { homedir } from 'node:os';
import path from 'node:path';
import { escapeControls } from '../dag/text';

/** What is wrong with the path `given` to `flag`, or `undefined` when nothing of this kind is. */
export function pathSlip(flag: string, given: string): string | undefined {
  const tilde = tildeSlip(given, 'one');
  if (tilde !== undefined) return `${flag} ${escapeControls(given)}: ${tilde}`;
  if (given.trim() !== given) return `${flag} ${JSON.stringify(given)} ${edgeSpaceProblem(given)}`;
  const encoding = encodingSlip(given);
  if (encoding !== undefined) return `${flag} ${escapeControls(given)}: ${encoding}`;
  return undefined;
}

/**
 * What is wrong with a path holding bytes of another encoding (a Latin-1 name under LANG=C):
 * Node reads them as U+FFFD, and a file of that name would be another; `undefined` otherwise.
 */
export function encodingSlip(given: string): string | undefined {
  if (!given.includes('\ufffd')) return undefined;
  return 'the path holds bytes that are not UTF-8 (shown as \ufffd), which rxdag cannot name a file by: give a UTF-8 name';
}

/** What is wrong with a path `given` that begins or ends with white space (a carriage return of a CRLF file named as such). */
export function edgeSpaceProblem(given: string): string {
  if (given.endsWith('\r')) return 'ends with a carriage return (from a file with CRLF line ends?): remove it';
  return 'begins or ends with white space, which no message would show: remove it';
}

/**
 * `rxdag does not expand ~ (…)` for a path `given` that starts with a `~` no shell expanded (a
 * shell expands `~` and `~user` only at the start of a word: `--store=~/runs` reaches rxdag as
 * written), with the whole path when this user's home is known; `undefined` for any other path.
 * `noun`: what `./~…` would name (`a folder`, `one`).
 */
export function tildeSlip(given: string, noun: string): string | undefined {
  const tilde = /^~([^/]*)(?:\/|$)/.exec(given);
  if (tilde === null) return undefined;
  const home = homeOrNone();
  const whole = tilde[1] === '' && path.isAbsolute(home) ? `, ${path.join(home, given.slice(1))}` : '';
  return `rxdag does not expand ~ (write the whole path${whole}; ./${escapeControls(given)} for ${noun} named ${escapeControls(`~${tilde[1]}`)} here)`;
}

/** This user's home, or '' when there is none to tell: `os.homedir()` throws for a user id without a passwd entry and no `HOME` (a container's `--user 12345`). */
function homeOrNone(): string {
  try {
    return homedir();
  } catch {
    return '';
  }
}
