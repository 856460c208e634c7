/**
 * Whether this process may take up a journal file it did not write: a resume runs the tasks the
 * file holds (a shell task's command, its `env`) as this process's user, so a file of another
 * user, or one other users can write to, could hold tasks this user never wrote (a store folder
 * others can write to is where one is planted). Root's files are trusted: root could write any.
 * A file its group can write is trusted, as a private group's often is. It reads no file and
 * checks nothing else: whether the file is a journal is for the reading of its record.
 */
import type { Stats } from 'node:fs';

/**
 * Why the journal file `file`, as `stat` found it, is not taken up by this process (a clause:
 * "it is another user's …", with what to do), or `undefined` when it may be (and where a
 * process has no user id to compare).
 */
export function untrustedJournal(stat: Stats, file: string): string | undefined {
  const own = process.getuid?.();
  if (own === undefined) return undefined;
  if (stat.uid !== own && stat.uid !== 0)
    return (
      `its file ${file} is another user's (uid ${stat.uid}; this process runs as uid ${own}), who could have written ` +
      'the tasks a resume would run: resume it as that user, or make the file yours if you trust what it holds'
    );
  if ((stat.mode & 0o002) !== 0)
    return (
      `its file ${file} can be written by other users (mode ${(stat.mode & 0o777).toString(8)}), who could have written ` +
      'the tasks a resume would run: chmod o-w the file if you trust what it holds'
    );
  return undefined;
}

/** Why the journal file is not taken up when it was replaced between its check and its opening. */
export function replacedWhileRead(file: string): string {
  return `its file ${file} was replaced while the resume read it: resume it again`;
}
