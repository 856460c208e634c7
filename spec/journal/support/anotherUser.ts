/**
 * Runs a read as a user other than root when the specs run as root (root reads any file): with
 * the effective user id set to `nobody` for the read, the file system refuses a file of mode
 * 0000 as it does in a store another user wrote. Not root: the read runs as it is (the file
 * system refuses such a file to its owner too). The folders the read needs must be open to others.
 */
export async function asAnotherUser<T>(read: () => Promise<T>): Promise<T> {
  const root = process.geteuid?.() === 0;
  if (root) process.seteuid!(NOBODY);
  try {
    return await read();
  } finally {
    if (root) process.seteuid!(0);
  }
}

/** The user id of `nobody` on Linux. */
const NOBODY = 65534;
