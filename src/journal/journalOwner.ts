/**
 * Whether this process may take up a journal file it did not write: a resume runs the tasks the
 * file holds (a shell task's command, its `env`) as this process's user, so a file others could
 * have written could hold tasks this user never wrote: one other users can write to, another
 * user's in a folder any user can write to (a shared `/tmp` store, where anyone can put a file),
 * or another user's in a store folder any user could have put in place (another user's folder,
 * or one under a folder that is not sticky, below a folder any user can write to: a `/tmp/NAME`
 * made before this user's first run there). Another user's file in a folder they own or share
 * with their group, away from such folders, is theirs to have written (a teammate's run; root's
 * own runs on a share that maps root to another user). It reads no file and checks nothing else:
 * whether the file is a journal is for the reading of its record.
 */
import fs, { type Stats } from 'node:fs';
import path from 'node:path';

/** A store's folder as a resume judges it: its own mode and owner, and what lies above it. */
export interface StoreFolder {
  readonly stat: Stats;
  /**
   * The folder above it any user can write to, when another user could have put the store's
   * folder in place there: one of the folders between (the store's included) is another
   * user's, not shared with this user's group, or that folder is not sticky. Else `undefined`.
   */
  readonly placedIn: string | undefined;
}

/** `root`'s folder and the folders above it, as `untrustedJournal` judges a journal in it. */
export function storeFolder(root: string): StoreFolder {
  const stat = fs.statSync(root);
  let placeable = false;
  let folder = fs.realpathSync(root);
  for (let above = path.dirname(folder); above !== folder; folder = above, above = path.dirname(above)) {
    placeable ||= !ours(fs.statSync(folder));
    const parent = fs.statSync(above);
    if ((parent.mode & 0o002) !== 0) return { stat, placedIn: placeable || (parent.mode & 0o1000) === 0 ? above : undefined };
  }
  return { stat, placedIn: undefined };
}

/** Whether a folder is this user's to have made: theirs, root's, or writable by a group of theirs. */
function ours(folder: Stats): boolean {
  const own = process.getuid?.();
  if (own === undefined || folder.uid === own || folder.uid === 0) return true;
  return (folder.mode & 0o020) !== 0 && (process.getgroups?.() ?? []).includes(folder.gid);
}

/**
 * Why the journal file `file`, as `stat` found it, is not taken up by this process (a clause:
 * "it is another user's …", with what to do), or `undefined` when it may be (and where a
 * process has no user id to compare). `folder`: its store's folder.
 */
export function untrustedJournal(stat: Stats, file: string, folder: StoreFolder): string | undefined {
  const own = process.getuid?.();
  if (own === undefined) return undefined;
  const could = 'who could have written the tasks a resume would run';
  if ((stat.mode & 0o002) !== 0)
    return `its file ${file} can be written by other users (mode ${(stat.mode & 0o777).toString(8)}), ${could}: chmod o-w the file if you trust what it holds`;
  if (stat.uid === own || stat.uid === 0) return undefined;
  const theirs = `its file ${file} is another user's (uid ${stat.uid}; this process runs as uid ${own})`;
  const instead = 'resume it as that user, or make the file yours if you trust what it holds';
  if ((folder.stat.mode & 0o002) !== 0) return `${theirs}, in a folder any user can write to, ${could}: ${instead}`;
  if (folder.placedIn !== undefined)
    return `${theirs}, in a folder any user could have put in ${folder.placedIn} (which any user can write to), ${could}: ${instead}`;
  return undefined;
}

/** Why the journal file is not taken up when the file read is not the one then opened to append to. */
export function replacedWhileRead(file: string): string {
  return `its file ${file} was replaced while the resume read it: resume it again`;
}
