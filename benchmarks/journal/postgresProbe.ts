import { userInfo } from 'node:os';
import { type LibKind, postgresEntry } from './lib';

/**
 * Whether case 2 can run: the build has the PostgreSQL entry, and a server answers at
 * 127.0.0.1:5432, database `test` (as the specs find it: user `$PGUSER` or `postgres`, then the
 * current user, trust auth). `RXDAG_BENCH_POSTGRES_URL` (or the specs' `RXDAG_TEST_POSTGRES_URL`)
 * names another server.
 */

export type PostgresAvailability =
  { readonly available: true; readonly connectionString: string } | { readonly available: false; readonly reason: string };

const CONNECT_TIMEOUT_MS = 2000;

function candidates(): string[] {
  const override = process.env.RXDAG_BENCH_POSTGRES_URL || process.env.RXDAG_TEST_POSTGRES_URL;
  if (override) return [override];
  const users = [process.env.PGUSER ?? 'postgres', userInfo().username];
  return [...new Set(users)].map((user) => `postgres://${encodeURIComponent(user)}@127.0.0.1:5432/test`);
}

/** The connection string without its password, for the report. */
export function redact(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return connectionString.replace(/(password\s*=\s*)\S+/gi, '$1***');
  }
}

export async function probePostgres(lib: LibKind): Promise<PostgresAvailability> {
  const entry = postgresEntry(lib);
  if ('missing' in entry) return { available: false, reason: entry.missing };
  let pg: typeof import('pg');
  try {
    pg = require('pg') as typeof import('pg');
  } catch (error) {
    return { available: false, reason: `the \`pg\` package cannot be loaded (${(error as Error).message})` };
  }
  const reasons: string[] = [];
  for (const connectionString of candidates()) {
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return { available: true, connectionString };
    } catch (error) {
      reasons.push(`${redact(connectionString)}: ${(error as Error).message || String(error)}`);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return { available: false, reason: `no PostgreSQL server answered (${reasons.join('; ')})` };
}
