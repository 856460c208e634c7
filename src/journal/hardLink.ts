/**
 * The file journal's atomic create: a file written aside is linked into place under its real
 * name (`link` fails if the name is taken), so a journal or a lock is never seen half-written.
 * A file system without hard links (FAT, exFAT, some network or FUSE mounts) refuses that with
 * an error that names neither the cause nor the folder; {@link linkIntoPlace} says both. It does
 * not write, sync or remove the aside file: its callers do.
 */
import fs from 'node:fs';
import path from 'node:path';

/** What a file system without hard links answers to `link`. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Links `aside` to `target`. Throws what `link` throws (`EEXIST` when `target` is taken); a
 * refusal of hard links as such, with its code, for `target`'s folder.
 */
export function linkIntoPlace(aside: string, target: string): void {
  try {
    fs.linkSync(aside, target);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === undefined || !NO_HARD_LINKS.has(code)) throw error;
    const folder = path.dirname(target);
    const reason = (error as Error).message.replace(/^\w+: /, '').replace(/, link .*$/s, '');
    throw Object.assign(
      new Error(
        `${code}: ${reason}; the file journal needs hard links, which the file system of "${folder}" refuses ` +
          '(FAT, exFAT and some network or FUSE mounts have none): use a folder elsewhere, or a PostgreSQL store',
      ),
      { code, syscall: 'link', path: folder },
    );
  }
}
