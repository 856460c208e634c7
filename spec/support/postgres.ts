import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { Pool, type QueryResultRow } from 'pg';
import { servicesRequired } from './services';

/**
 * The specs' PostgreSQL: finds a server once per spec file (127.0.0.1:5432, database `test`,
 * trust auth; `RXDAG_TEST_POSTGRES_URL` overrides) and gives the suite a schema of its own,
 * dropped when the file is done. When no server answers, the suite does not run and says so
 * loudly: one passing test named "PostgreSQL not reachable at …: these tests did not run" and a
 * console warning, so `npm test` passes on a machine without the server but never hides it.
 */

/** What a suite gets: where the server is and a schema of its own. */
export interface PostgresTestDb {
  readonly connectionString: string;
  /** `rxdag_test_<random>`, dropped (with everything in it) after the suite. */
  readonly schema: string;
  /** One statement through the suite's own pool (not the journal's). */
  query<R extends QueryResultRow>(text: string, values?: readonly unknown[]): Promise<R[]>;
  /** Another fresh schema name, dropped after the suite too. */
  newSchema(): string;
  /** Runs `cleanup` after the suite, before the schemas are dropped (end journals, pools). */
  onCleanup(cleanup: () => Promise<void>): void;
}

/** Whether a server answered, and where. */
export type PostgresProbe =
  | { readonly reachable: true; readonly connectionString: string }
  | { readonly reachable: false; readonly target: string; readonly reason: string };

const PROBE_TIMEOUT_MS = 2000;

/** The connection strings tried, in order: the env override alone, else user `postgres`, then the current user. */
function candidates(): string[] {
  const override = process.env['RXDAG_TEST_POSTGRES_URL'];
  if (override !== undefined && override !== '') return [override];
  const users = [process.env['PGUSER'] ?? 'postgres', userInfo().username];
  return [...new Set(users)].map((user) => `postgres://${encodeURIComponent(user)}@127.0.0.1:5432/test`);
}

// runs in a child so that `describe` (synchronous) knows the answer before defining the tests
const PROBE_SCRIPT = `
const { Client } = require(process.argv[1]);
const [timeout, ...urls] = process.argv.slice(2);
(async () => {
  const reasons = [];
  for (const url of urls) {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: Number(timeout) });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      process.stdout.write(JSON.stringify({ url }));
      return;
    } catch (error) {
      reasons.push((error && (error.message || error.code || error.name)) || String(error));
      client.end().catch(() => {});
    }
  }
  process.stdout.write(JSON.stringify({ reason: reasons.join('; ') }));
})();
`;

let probed: PostgresProbe | undefined;

/** Checks once (per spec file) whether the test server answers, with a short connect timeout. */
export function probePostgres(): PostgresProbe {
  if (probed !== undefined) return probed;
  const urls = candidates();
  const target = urls.join(' or ');
  const child = spawnSync(process.execPath, ['-e', PROBE_SCRIPT, require.resolve('pg'), String(PROBE_TIMEOUT_MS), ...urls], {
    encoding: 'utf8',
    timeout: PROBE_TIMEOUT_MS * urls.length + 5000,
  });
  let answer: { url?: string; reason?: string } = {};
  try {
    answer = JSON.parse(child.stdout) as typeof answer;
  } catch {
    answer = { reason: child.error?.message ?? (child.stderr.trim() || `probe exited with ${child.status}`) };
  }
  probed =
    answer.url !== undefined
      ? { reachable: true, connectionString: answer.url }
      : { reachable: false, target, reason: answer.reason ?? 'no answer' };
  return probed;
}

/**
 * A `describe` whose tests need PostgreSQL: `body` defines them with a {@link PostgresTestDb}.
 * Without a server, the suite is one test that says these tests did not run, passing unless
 * `RXDAG_REQUIRE_SERVICES=1` (`.ci/run`) says the server must be there.
 */
export function describePostgres(name: string, body: (db: PostgresTestDb) => void): void {
  const probe = probePostgres();
  if (!probe.reachable) {
    const message = `PostgreSQL not reachable at ${probe.target}: these tests did not run (${probe.reason})`;
    console.warn(`\n!!! ${name}: ${message}\n!!! start it (see .ci/run) or set RXDAG_TEST_POSTGRES_URL\n`);
    describe(name, () => {
      it(message, () => {
        // where the services must be there (CI, which made sure they are up), a suite not run fails
        expect({ reachable: probe.reachable, required: servicesRequired() }).toEqual({ reachable: false, required: false });
      });
    });
    return;
  }
  const pool = new Pool({ connectionString: probe.connectionString, max: 2 });
  pool.on('error', () => undefined);
  const schemas: string[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  const newSchema = (): string => {
    const schema = `rxdag_test_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    return schema;
  };
  const db: PostgresTestDb = {
    connectionString: probe.connectionString,
    schema: newSchema(),
    query: async <R extends QueryResultRow>(text: string, values?: readonly unknown[]) =>
      (await pool.query<R>(text, values === undefined ? undefined : [...values])).rows,
    newSchema,
    onCleanup: (cleanup) => {
      cleanups.push(cleanup);
    },
  };
  describe(name, () => {
    afterAll(async () => {
      // every clean-up runs, and the schemas are dropped, whatever failed before: its error is the suite's
      const failures: unknown[] = [];
      for (const cleanup of cleanups.splice(0)) await cleanup().catch((error: unknown) => failures.push(error));
      for (const schema of schemas) {
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch((error: unknown) => failures.push(error));
      }
      await pool.end();
      if (failures.length > 0) throw failures[0];
    });
    body(db);
  });
}

/** The session of the server holding a journaled run's advisory lock (the run's owner), if one does. */
export interface LockHolder {
  readonly pid: number;
  readonly applicationName: string;
}

/**
 * Who holds the lock of run `runId` of the journal in `schema` (its key is that of
 * `rxdag:<schema>:<runId>`, see `src/postgres/sql.ts`): a spec that ends a session with
 * `pg_terminate_backend` ends exactly the one that owns its run.
 */
export async function runLockHolder(db: PostgresTestDb, schema: string, runId: string): Promise<LockHolder | undefined> {
  const [row] = await db.query<{ pid: number; application_name: string | null }>(
    `WITH k AS (SELECT hashtextextended($1, 0) AS key)
     SELECT l.pid, a.application_name FROM pg_locks l CROSS JOIN k JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
       AND l.classid::bigint = (k.key >> 32) & 4294967295 AND l.objid::bigint = k.key & 4294967295`,
    [`rxdag:${schema}:${runId}`],
  );
  return row === undefined ? undefined : { pid: row.pid, applicationName: row.application_name ?? '' };
}
