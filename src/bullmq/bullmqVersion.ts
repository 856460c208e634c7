/**
 * Whether the bullmq installed is one rxdag's workers run on: npm refuses an older one as a peer,
 * but `--legacy-peer-deps` (or a copy put in by hand) installs it all the same, and a worker on it
 * would fail half-started with BullMQ's own words. It reads bullmq's package.json, nothing else.
 */

/** The oldest BullMQ rxdag's workers run on (its peer dependency's range). */
const MIN_BULLMQ = [6, 7] as const;

/** Throws a `TypeError` naming the bullmq installed when it is older than {@link MIN_BULLMQ}; `where` names the caller. */
export function checkBullmqVersion(where: string): void {
  const version = bullmqVersion();
  if (version !== undefined && olderThan(version, MIN_BULLMQ))
    throw new TypeError(
      `${where}: the bullmq installed (${version}) is older than rxdag needs (${MIN_BULLMQ.join('.')} or later): npm install bullmq@6`,
    );
}

/** The version of the bullmq installed, `undefined` when its package.json cannot be read (a bundle without it). */
function bullmqVersion(): string | undefined {
  try {
    const { version } = require('bullmq/package.json') as { version?: unknown };
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `version` (`major.minor.patch`) is older than `[major, minor]`; a version it cannot read is not.
 *
 * @example
 * olderThan('6.3.16', [6, 7]) // true
 */
export function olderThan(version: string, [major, minor]: readonly [number, number]): boolean {
  const [hasMajor, hasMinor] = version.split('.').map(Number);
  if (!Number.isInteger(hasMajor) || !Number.isInteger(hasMinor)) return false;
  return hasMajor! < major || (hasMajor === major && hasMinor! < minor);
}
