/**
 * What an optional entry of rxdag (`rxdag/postgres`, `rxdag/bullmq`, `rxdag/otel`,
 * `rxdag/prometheus`) loads first: a check that the package it is built on, an optional peer
 * dependency, is installed, which says in one line which package to install instead of Node's
 * "Cannot find module" with its require stack. The error keeps Node's `code` and words, so a
 * caller that knows them (the CLI) still recognizes it. It loads nothing itself.
 */

/**
 * Throws when `packageName` cannot be found from rxdag's own folder, as the entry's `require` of
 * it would; `entry` is the entry that needs it, for the message.
 *
 * @example
 * requirePeer('pg', 'rxdag/postgres');
 * // Error: rxdag/postgres needs the package "pg" (an optional peer dependency of rxdag), which is not installed: npm install pg (Cannot find module 'pg')
 */
export function requirePeer(packageName: string, entry: string): void {
  try {
    require.resolve(packageName);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    if (code !== 'MODULE_NOT_FOUND') throw error;
    const missing = new Error(
      `${entry} needs the package "${packageName}" (an optional peer dependency of rxdag), which is not installed: ` +
        `npm install ${packageName} (Cannot find module '${packageName}')`,
      { cause: error },
    );
    throw Object.assign(missing, { code });
  }
}
