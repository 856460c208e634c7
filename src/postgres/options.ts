/**
 * The types of `postgresJournal`'s options, checked before anything else reads them: a
 * JavaScript caller's `schema: 42` or `pool: 'y'` is refused with a `TypeError` naming the
 * option, the value and what was expected, rather than failing deep inside Node or `pg`. It
 * checks types only: which options go together, and what their values may be (a connection
 * string `pg` reads, a schema name PostgreSQL can hold), is `connection.ts`'s and `sql.ts`'s.
 */

import { describeKind, unknownOptionMessages } from '../dag/text';
import { redactConnectionString } from './connectionString';

/** The options `postgresJournal` takes. */
const OPTIONS = ['connectionString', 'pool', 'schema', 'maxSessions'];

/** What `value` was, for a message: as `describeKind` shows it, a connection string's password hidden. */
function described(value: unknown): string {
  if (value === undefined) return 'undefined';
  return describeKind(typeof value === 'string' && value.length <= 40 ? redactConnectionString(value) : value);
}

/** Whether `value` has what the journal uses of a `pg` Pool (known by shape: `pg` may be loaded twice). */
function isPoolLike(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { connect, query, options } = value as Record<string, unknown>;
  return typeof connect === 'function' && typeof query === 'function' && typeof options === 'object' && options !== null;
}

/** For pool settings given where a Pool goes (`pool: { max: 5 }`): where such settings go. */
function poolSettingsHint(pool: unknown): string {
  const plain = typeof pool === 'object' && pool !== null && Object.getPrototypeOf(pool) === Object.prototype;
  return plain && Object.keys(pool).length > 0
    ? ' (settings for the pool rxdag makes go elsewhere: `maxSessions` bounds the runs open at once, and `pg` reads the rest from the connection string)'
    : '';
}

/**
 * Throws a `TypeError` listing every option of `options` that it does not take or that has the wrong type; a
 * `connectionString` is not read in it, as it may hold a password.
 *
 * @example
 * refuseMistypedOptions({ connectionString: 'postgres://db/app', schema: 42 })
 * // TypeError: postgresJournal: `schema` must be a string (got 42)
 */
export function refuseMistypedOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`postgresJournal: the options must be an object with \`connectionString\` or \`pool\` (got ${described(options)})`);
  }
  const { connectionString, pool, schema, maxSessions } = options as Record<string, unknown>;
  // a misspelt `shcema` would journal into the default schema, which the CLI shares
  const problems: string[] = unknownOptionMessages(options, OPTIONS);
  if (connectionString !== undefined && typeof connectionString !== 'string') {
    problems.push(`\`connectionString\` must be a string (got ${described(connectionString)})`);
  }
  if (pool !== undefined && !isPoolLike(pool)) {
    problems.push(
      `\`pool\` must be a pg Pool (an object with connect(), query() and options; got ${described(pool)})${poolSettingsHint(pool)}`,
    );
  }
  if (schema !== undefined && typeof schema !== 'string') problems.push(`\`schema\` must be a string (got ${described(schema)})`);
  if (maxSessions !== undefined && typeof maxSessions !== 'number') {
    problems.push(`\`maxSessions\` must be a positive integer (got ${described(maxSessions)})`);
  }
  if (problems.length > 0) throw new TypeError(`postgresJournal: ${problems.join('; ')}`);
}
