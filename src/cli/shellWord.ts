/**
 * Words of a command line the CLI prints for the user to run (the `resume with:` line): one
 * argument quoted for a POSIX shell. It runs nothing and parses nothing.
 */

/** `text` as one word of a shell command line: as it is when it is safe, else single-quoted. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
