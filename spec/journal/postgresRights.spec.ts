import { randomBytes } from 'node:crypto';
import { lastValueFrom, toArray } from 'rxjs';
import { runDag } from '../../src';
import { postgresJournal } from '../../src/postgres';
import { describePostgres } from '../support/postgres';

/**
 * The PostgreSQL journal used by a user without rights on its schema: its refusal says that the
 * user may not look at the journal's tables, not that they could not be made, and nothing runs.
 * The user is a role of its own, made for the test and dropped after it.
 */
describePostgres('the PostgreSQL journal for a user without rights on its schema', (db) => {
  const role = `rxdag_test_role_${randomBytes(4).toString('hex')}`;
  beforeAll(() => db.query(`CREATE ROLE "${role}" LOGIN`));
  db.onCleanup(async () => void (await db.query(`DROP ROLE IF EXISTS "${role}"`)));
  const dag = { id: 'rights', tasks: [{ id: 'a', agent: 'work' }] };

  it("should say it may not look at the journal's tables, and run nothing", async () => {
    // the tables are made by their owner
    const owned = postgresJournal({ connectionString: db.connectionString, schema: db.schema });
    await lastValueFrom(runDag(dag, { agents: { work: () => 1 }, journal: owned }));
    await owned.end();

    const url = new URL(db.connectionString);
    url.username = role;
    url.password = '';
    const journal = postgresJournal({ connectionString: url.toString(), schema: db.schema });
    const called: string[] = [];
    const error = await lastValueFrom(runDag(dag, { agents: { work: ({ id }) => called.push(id) }, journal })).catch(
      (caught: unknown) => caught,
    );
    await journal.end();
    expect(called).toEqual([]);
    expect(error).toMatchObject({ name: 'JournalWriteError', beforeStart: true });
    expect(String((error as Error).message)).toContain(
      `cannot check the journal's tables in schema "${db.schema}": permission denied for schema ${db.schema}`,
    );
  });

  it('makes its tables in a schema an administrator made for its user, without the right to make schemas', async () => {
    const schema = `${db.newSchema()}_given`; // dropped below, before the role
    await db.query(`CREATE SCHEMA "${schema}" AUTHORIZATION "${role}"`);
    const url = new URL(db.connectionString);
    url.username = role;
    url.password = '';
    const journal = postgresJournal({ connectionString: url.toString(), schema });
    try {
      const events = await lastValueFrom(runDag(dag, { agents: { work: () => 1 }, journal }).pipe(toArray()));
      expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
      expect((await journal.runs()).map((run) => run.status)).toEqual(['succeeded']);
    } finally {
      await journal.end();
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });
});
