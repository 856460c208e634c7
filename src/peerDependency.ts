/**
 * What an optional entry of rxdag (`rxdag/postgres`, `rxdag/bullmq`, `rxdag/otel`,
 * `rxdag/prometheus`) loads first: a check that the packages it is built on, optional peer
 * dependencies, are installed, which says in one line which packages to install instead of
 * Node's "Cannot find module" with its require stack. The error keeps Node's `code` and words,
 * so a caller that knows them (the CLI) still recognizes it. It loads nothing itself.
 */

/**
 * Throws when any of `packageNames` cannot be found from rxdag's own folder, as the entry's
 * `require` of it would, naming every one missing; `entry` is the entry that needs them.
 *
 * @example
 * requirePeers(['pg'], 'rxdag/postgres');
 * // Error: rxdag/postgres needs the package "pg" (an optional peer dependency of rxdag), which is not installed: npm install pg (Cannot find module 'pg')
 */
export function requirePeers(packageNames: readonly string[], entry: string): void {
  const missing: string[] = [];
  let first: unknown;
  for (const packageName of packageNames) {
    try {
      require.resolve(packageName);
    } catch (error) {
      if ((error as NodeJS.ErrnoException | null)?.code !== 'MODULE_NOT_FOUND') throw error;
      missing.push(packageName);
      first ??= error;
    }
  }
  if (missing.length === 0) return;
  const named = missing.map((name) => `"${name}"`).join(' and ');
  const which =
    missing.length === 1
      ? `the package ${named} (an optional peer dependency of rxdag), which is`
      : `the packages ${named} (optional peer dependencies of rxdag), which are`;
  const error = new Error(`${entry} needs ${which} not installed: ${installCommand(missing)} (Cannot find module '${missing[0]!}')`, {
    cause: first,
  });
  throw Object.assign(error, { code: 'MODULE_NOT_FOUND' });
}

/**
 * The command that installs `packageNames` where rxdag finds them: beside rxdag, so a global
 * rxdag (whose `require` does not look in the current project) needs `-g`.
 */
export function installCommand(packageNames: readonly string[]): string {
  const names = packageNames.join(' ');
  return isGlobalInstall() ? `npm install -g ${names} (rxdag is installed globally)` : `npm install ${names}`;
}

/** Whether this copy of rxdag lies in npm's global folder (`<prefix>/lib/node_modules/rxdag`). */
function isGlobalInstall(): boolean {
  return /[\\/]lib[\\/]node_modules[\\/]rxdag[\\/]/.test(__dirname);
}
