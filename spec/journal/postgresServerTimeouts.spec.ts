import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { lastValueFrom, toArray } from 'rxjs';
import { type DagEvent, runDag } from '../../src';
import { postgresJournal } from '../../src/postgres';
import { describePostgres } from '../support/postgres';

/**
 * A `statement_timeout` or `lock_timeout` set on the role (as a DBA sets one for every
 * application) does not stop a run whose flush waits a moment on a locked table: the journal's
 * connections turn them off and bound the wait with their own `query_timeout`. One the
 * connection string gives is the user's choice, and kept.
 */
describePostgres('the PostgreSQL journal under a role with statement and lock timeouts', (db) => {
  const role = `rxdag_test_role_${randomBytes(4).toString('hex')}`;
  const schema = `${db.newSchema()}_timeouts`;
  beforeAll(async () => {
    await db.query(`CREATE ROLE "${role}" LOGIN`);
    await db.query(`ALTER ROLE "${role}" SET statement_timeout = '200ms'`);
    await db.query(`ALTER ROLE "${role}" SET lock_timeout = '200ms'`);
    await db.query(`CREATE SCHEMA "${schema}" AUTHORIZATION "${role}"`);
  });
  db.onCleanup(async () => {
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.query(`DROP ROLE IF EXISTS "${role}"`);
  });

  /** The connection string as the role, with `extra` parameters. */
  const asRole = (extra = ''): string => {
    const url = new URL(db.connectionString);
    url.username = role;
    url.password = '';
    return `${url.toString()}${url.search === '' ? '?' : '&'}${extra}`.replace(/[?&]$/, '');
  };

  /** Runs a DAG of two tasks whose first holds the journal's events table locked for `lockMs` as it ends. */
  const runWithLockedTable = async (connectionString: string, runId: string, lockMs: number) => {
    const journal = postgresJournal({ connectionString, schema });
    const locker = new Client({ connectionString: db.connectionString });
    await locker.connect();
    const unlocked: Promise<unknown>[] = [];
    const hold = async () => {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${schema}".events IN ACCESS EXCLUSIVE MODE`);
      unlocked.push(new Promise((resolve) => setTimeout(resolve, lockMs)).then(() => locker.query('COMMIT')));
      return 'held';
    };
    const dag = {
      id: 'locked',
      tasks: [
        { id: 'a', agent: 'hold' },
        { id: 'b', agent: 'done', deps: ['a'] },
      ],
    };
    try {
      const events = await lastValueFrom(runDag(dag, { runId, agents: { hold, done: () => 'b' }, journal }).pipe(toArray())).catch(
        (error: unknown) => error,
      );
      return events;
    } finally {
      await Promise.all(unlocked);
      await locker.end();
      await journal.end();
    }
  };

  it("should wait out a table locked longer than the role's timeouts, and end the run", async () => {
    const events = (await runWithLockedTable(asRole(), 'waits', 1000)) as DagEvent[];
    expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
  });

  it('should keep a statement_timeout the connection string gives: the run stops on it', async () => {
    const error = await runWithLockedTable(asRole('statement_timeout=200'), 'bounded', 1000);
    expect(error).toMatchObject({ name: 'JournalWriteError' });
    expect(String((error as Error).message)).toContain('canceling statement due to statement timeout');
  });
});
