/**
 * What an optional entry of rxdag (`rxdag/postgres`, `rxdag/bullmq`, `rxdag/otel`,
 * `rxdag/prometheus`) loads first: a check that the packages it is built on, optional peer
 * dependencies, are installed, which says in one line which packages to install instead of
 * Node's "Cannot find module" with its require stack. The error keeps Node's `code` and words,
 * so a caller that knows them (the CLI) still recognizes it. It loads the packages it checks.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { shellWord } from './dag/text';

/**
 * Throws when any of `peers` (package name → its `require`, written out so that a bundler that
 * packs the application packs the package too) cannot be loaded because it is not there, naming
 * every one missing; `entry` is the entry that needs them. What a package that is there throws
 * as it loads is thrown as it is.
 *
 * @example
 * requirePeers({ pg: () => require('pg') }, 'rxdag/postgres');
 * // Error: rxdag/postgres needs the package "pg" (an optional peer dependency of rxdag), which is not installed: npm install pg (Cannot find module 'pg')
 */
export function requirePeers(peers: Readonly<Record<string, () => unknown>>, entry: string): void {
  const missing: string[] = [];
  let first: unknown;
  for (const [packageName, load] of Object.entries(peers)) {
    try {
      load();
    } catch (error) {
      const { code, message } = (error ?? {}) as NodeJS.ErrnoException;
      // the package itself, not a module it needs that is missing
      if (code !== 'MODULE_NOT_FOUND' || !String(message).includes(`'${packageName}'`)) throw error;
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
 * rxdag (whose `require` does not look in the current project) needs `-g`, and one npx runs from
 * its own cache finds nothing installed elsewhere.
 */
export function installCommand(packageNames: readonly string[]): string {
  const names = packageNames.join(' ');
  const prefix = globalPrefix();
  // the prefix named: rxdag installed with `npm i -g --prefix DIR` finds nothing in npm's default one
  if (prefix !== undefined) return `npm install -g --prefix ${shellWord(prefix)} ${names} (rxdag is installed globally there)`;
  if (isNpxCache()) return `npm install rxdag ${names}, then run that rxdag (npx runs one from its own cache, which has no ${names})`;
  return `npm install ${names}`;
}

/**
 * This copy of rxdag's package folder (`dist/` or `src/` is one below it); `undefined` in a bundle
 * made as an ES module, which has no `__dirname` (the hint is then the plain one).
 */
function packageRoot(): string | undefined {
  return typeof __dirname === 'string' ? path.resolve(__dirname, '..') : undefined;
}

/**
 * The prefix of npm's global folder this copy of rxdag lies in (`<prefix>/lib/node_modules/rxdag`,
 * with its command in `<prefix>/bin`; a project in a folder named `lib` has no such command
 * there), or undefined when it is not installed globally.
 */
function globalPrefix(): string | undefined {
  const root = packageRoot();
  if (root === undefined) return undefined;
  const modules = path.dirname(root);
  if (path.basename(modules) !== 'node_modules' || path.basename(path.dirname(modules)) !== 'lib') return undefined;
  const prefix = path.dirname(path.dirname(modules));
  return existsSync(path.join(prefix, 'bin', 'rxdag')) ? prefix : undefined;
}

/** Whether npx runs this copy of rxdag from its cache (`…/_npx/<hash>/node_modules/rxdag`). */
function isNpxCache(): boolean {
  return packageRoot()?.split(path.sep).includes('_npx') === true;
}
