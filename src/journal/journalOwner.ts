/**
 * Whether this process may take up a journal file it did not write: a resume runs the tasks the
 * file holds (a shell task's command, its `env`) as this process's user, so a file others could
 * have written could hold tasks this user never wrote: one other users can write to, another
 * user's in a folder any user can write to (a shared `/tmp` store, where anyone can put a file),
 * or another user's reached through an entry any user could have put in place (a `/tmp/NAME`
 * made, or a symlink planted, before this user's first run there), or in a working directory
 * entered by a way it cannot see (where such a symlink may have led) unless a group of this user's
 * shares the folder. Another user's file in a folder they own or share with their group, reached
 * away from such folders, is theirs to have written (a teammate's run; root's own runs on a share
 * that maps root to another user). It reads no file and checks nothing else: whether the file is
 * a journal is for the reading of its record.
 */
import fs, { type Stats } from 'node:fs';
import path from 'node:path';

/** A store's folder as a resume judges it: where its path leads, and who could have put it there. */
export interface StoreFolder {
  /** The folder the path leads to (symlinks followed). */
  readonly stat: Stats;
  /** Its real path, symlinks resolved: the journal is read there, in the folder judged. */
  readonly real: string;
  /**
   * A folder any user can write to, when any user could have put in it an entry the store's
   * path passes through (a folder or a symlink): one not this user's, root's or shared with a
   * group of this user's; or any, when that folder is not sticky or is another user's (who may
   * rename what it holds). Else `undefined`.
   */
  readonly placedIn: string | undefined;
  /**
   * Whether the folder is in the working directory and the way this process was started into
   * that is unknown (`$PWD` unset, or naming another folder: a launcher that changes directory
   * itself, such as `env -C`, `make -C`, a program's `cwd`): a symlink planted on that way was
   * not seen.
   */
  readonly wayUnknown: boolean;
}

/** The most symlinks a path is followed through, as Linux's limit. */
const MOST_LINKS = 40;

/**
 * Where a store given as a relative path was reached from: the working directory when its
 * journal was made (its physical path, and `$PWD` then), and the path as given.
 */
export interface StoreWay {
  readonly dir: string;
  readonly physical: string;
  readonly pwd: string | undefined;
}

/** The {@link StoreWay} of a store given as `dir`, now; undefined for a whole path. */
export function storeWayOf(dir: string): StoreWay | undefined {
  return path.isAbsolute(dir) ? undefined : { dir, physical: process.cwd(), pwd: process.env.PWD };
}

/**
 * The folder `root` (absolute: where the journal's files are) as `untrustedJournal` judges a
 * journal in it: its path walked as the system resolves it, each entry judged as it is passed (a
 * symlink `/tmp/x/.rxdag` planted towards another user's folder is judged where it lies). A
 * store given relative (`way`) was reached through the working directory, so it is also judged
 * on the way the user's shell reached that (`$PWD`: `cd /tmp/proj`, a planted link; `../st` from
 * there leads where the system takes it). A launcher that changes directory without `$PWD`
 * (`env -C`, `make -C`) leaves that way unknown (`wayUnknown`), as does one that cannot be walked.
 */
export function storeFolder(root: string, way?: StoreWay): StoreFolder {
  const judged = walked(root);
  if (way === undefined) return judged;
  const logical = shellsWayTo(way.physical, way.pwd);
  if (logical === way.physical) return judged;
  // what the walk found before it failed counts (a planted link, then a loop of links)
  const seen: Seen = {};
  let walkedThere = logical !== undefined;
  try {
    if (logical !== undefined) walked(`${logical}/${way.dir}`, seen);
  } catch {
    walkedThere = false; // a way there the system does not take now
  }
  const placedIn = judged.placedIn ?? seen.placedIn;
  if (placedIn !== undefined) return { ...judged, placedIn };
  return walkedThere ? judged : { ...judged, wayUnknown: true };
}

/** What a walk has found so far. */
interface Seen {
  placedIn?: string;
}

/** `path` (absolute) walked as the system resolves it, each entry judged as it is passed. */
function walked(absolute: string, seen: Seen = {}): StoreFolder {
  const pending = absolute.split('/');
  let at = '/';
  let links = 0;
  for (let part = pending.shift(); part !== undefined; part = pending.shift()) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      at = path.dirname(at);
      continue;
    }
    const entry = path.join(at, part);
    const stat = fs.lstatSync(entry);
    seen.placedIn ??= placeableIn(at, stat);
    if (!stat.isSymbolicLink()) {
      at = entry;
      continue;
    }
    links += 1;
    if (links > MOST_LINKS)
      throw Object.assign(new Error(`ELOOP: too many symbolic links encountered, stat '${absolute}'`), { code: 'ELOOP' });
    const target = fs.readlinkSync(entry);
    if (path.isAbsolute(target)) at = '/';
    pending.unshift(...target.split('/'));
  }
  return { stat: fs.statSync(at), real: at, placedIn: seen.placedIn, wayUnknown: false };
}

/**
 * The way the user's shell reached the working directory `physical`: `$PWD` (`logical`), when it names that
 * directory (`cd /tmp/proj` through a link to another user's folder); undefined when `$PWD` is
 * unset or names another folder (a launcher changed directory without it, or it is stale).
 * Only judged: paths are still resolved from `physical`, as every other file's is.
 */
function shellsWayTo(physical: string, logical: string | undefined): string | undefined {
  if (logical === physical) return physical;
  if (logical === undefined || !path.isAbsolute(logical)) return undefined;
  try {
    const [reached, actual] = [fs.statSync(logical), fs.statSync(physical)];
    return reached.dev === actual.dev && reached.ino === actual.ino ? logical : undefined;
  } catch {
    return undefined;
  }
}

/** `folder` when any user could have put `entry` (lstat) in it, else `undefined`. */
function placeableIn(folder: string, entry: Stats): string | undefined {
  const holder = fs.statSync(folder);
  if ((holder.mode & 0o002) === 0) return undefined;
  const own = process.getuid?.();
  const keeps = (holder.mode & 0o1000) !== 0 && (holder.uid === own || holder.uid === 0);
  return keeps && ours(entry) ? undefined : folder;
}

/**
 * Whether an entry is this user's to have made: theirs, root's, or a folder or file writable by a
 * group of theirs. A symlink's mode lets its group write whoever made it: only its owner counts.
 */
function ours(entry: Stats): boolean {
  const own = process.getuid?.();
  if (own === undefined || entry.uid === own || entry.uid === 0) return true;
  return !entry.isSymbolicLink() && (entry.mode & 0o020) !== 0 && (process.getgroups?.() ?? []).includes(entry.gid);
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
    return `${theirs}, reached through a folder or symlink any user could have put in ${folder.placedIn} (which any user can write to), ${could}: ${instead}`;
  // a folder a group of this user's shares is a team's, whatever the way there
  if (folder.wayUnknown && !ours(folder.stat))
    return (
      `${theirs}, in the working directory, entered by a way this process cannot judge ($PWD does not name it: a launcher ` +
      `such as sudo, env -C or a program's cwd left it out), where a symlink any user put could have led, ${could}: ` +
      `resume it from a shell in that folder (its $PWD shows the way), name its store by its whole path, or ${instead}`
    );
  return undefined;
}

/** Why the journal file is not taken up when the file read is not the one then opened to append to. */
export function replacedWhileRead(file: string): string {
  return `its file ${file} was replaced while the resume read it: resume it again`;
}
