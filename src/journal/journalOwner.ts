/**
 * Whether this process may take up a journal file it did not write: a resume runs the tasks the
 * file holds (a shell task's command, its `env`) as this process's user, so a file others could
 * have written could hold tasks this user never wrote: one other users can write to, or another
 * user's in a folder any user can write to (a shared `/tmp` store, where anyone can put a file).
 * Another user's file in a folder they own or share with their group is theirs to have written
 * (a teammate's run; root's own runs on a share that maps root to another user). It reads no
 * file and checks nothing else: whether the file is a journal is for the reading of its record.
 */
import type { Stats } from 'node:fs';

/**
 * Why the journal file `file`, as `stat` found it, is not taken up by this process (a clause:
 * "it is another user's …", with what to do), or `undefined` when it may be (and where a
 * process has no user id to compare). `folder`: the mode of its store's folder.
 */
export function untrustedJournal(stat: Stats, file: string, folder: number): string | undefined {
  const own = process.getuid?.();
  if (own === undefined) return undefined;
  const could = 'who could have written the tasks a resume would run';
  if ((stat.mode & 0o002) !== 0)
    return `its file ${file} can be written by other users (mode ${(stat.mode & 0o777).toString(8)}), ${could}: chmod o-w the file if you trust what it holds`;
  if ((folder & 0o002) !== 0 && stat.uid !== own && stat.uid !== 0)
    return (
      `its file ${file} is another user's (uid ${stat.uid}; this process runs as uid ${own}), in a folder any user can write to, ${could}: ` +
      'resume it as that user, or make the file yours if you trust what it holds'
    );
  return undefined;
}

/** Why the journal file is not taken up when the file read is not the one then opened to append to. */
export function replacedWhileRead(file: string): string {
  return `its file ${file} was replaced while the resume read it: resume it again`;
}
